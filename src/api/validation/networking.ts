// networking.k8s.io/v1 validation (pkg/apis/networking/validation): Ingress, IngressClass,
// NetworkPolicy, with upstream's field paths and messages.
import type { Ingress, IngressBackend, IngressClass, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from "../types.js";
import { forbidden, GoValue, invalid, notSupported, required, tooLong, type FieldError } from "../field-errors.js";
import { validateLabelSelector } from "../labels.js";
import { isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum, isWildcardDNS1123Subdomain, regexError } from "./strings.js";
import { isIPSloppy, nameIsDNS1035Label, nameIsDNSSubdomain, validateCIDR, validateObjectMeta } from "./meta.js";

const INVALID_PATH_SEQUENCES = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES = ["/..", "/."];
const PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"];

/** Upstream IsPathSegmentName: names that must survive as one URL path segment. */
function isPathSegmentName(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  const errs: string[] = [];
  if (name.includes("/")) errs.push("may not contain '/'");
  if (name.includes("%")) errs.push("may not contain '%'");
  return errs;
}

function validateTypedLocalObjectReference(r: { apiGroup?: string; kind?: string; name?: string }, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (r.apiGroup !== undefined) for (const m of isDNS1123Subdomain(r.apiGroup)) errs.push(invalid(`${path}.apiGroup`, r.apiGroup, m));
  if (!r.kind) errs.push(required(`${path}.kind`, ""));
  else for (const m of isPathSegmentName(r.kind)) errs.push(invalid(`${path}.kind`, r.kind, m));
  if (!r.name) errs.push(required(`${path}.name`, ""));
  else for (const m of isPathSegmentName(r.name)) errs.push(invalid(`${path}.name`, r.name, m));
  return errs;
}

export function validateIngressBackend(b: IngressBackend | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!b || typeof b !== "object") return [invalid(path, "", "resource or service backend is required")];
  const hasResource = b.resource !== undefined && b.resource !== null;
  const hasService = b.service !== undefined && b.service !== null;
  if (hasResource && hasService) return [invalid(path, "", "cannot set both resource and service backends")];
  if (hasResource) return validateTypedLocalObjectReference(b.resource!, `${path}.resource`);
  if (!hasService) return [invalid(path, "", "resource or service backend is required")];
  const svc = b.service!;
  if (!svc.name) errs.push(required(`${path}.service.name`, ""));
  else for (const m of nameIsDNS1035Label(svc.name, false)) errs.push(invalid(`${path}.service.name`, svc.name, m));
  const port = svc.port ?? {};
  const hasName = !!port.name;
  const hasNumber = !!port.number;
  if (hasName && hasNumber) errs.push(invalid(path, "", "cannot set both port name & port number"));
  else if (hasName) for (const m of isValidPortName(port.name!)) errs.push(invalid(`${path}.service.port.name`, port.name, m));
  else if (hasNumber) for (const m of isValidPortNum(port.number!)) errs.push(invalid(`${path}.service.port.number`, port.number, m));
  else errs.push(required(path, "port name or number is required"));
  return errs;
}

/** `isCreate`: the class annotation must agree with spec.ingressClassName (checked on create only). */
export function validateIngress(ing: Ingress, isCreate = true): FieldError[] {
  const errs = validateObjectMeta(ing.metadata, true, nameIsDNSSubdomain);
  const s = ing.spec ?? {};
  const rules = s.rules ?? [];
  if (rules.length === 0 && !s.defaultBackend) {
    errs.push(invalid("spec", new GoValue(s.rules ? "[]networking.IngressRule{}" : "[]networking.IngressRule(nil)"), "either `defaultBackend` or `rules` must be specified"));
  }
  if (s.defaultBackend) errs.push(...validateIngressBackend(s.defaultBackend, "spec.defaultBackend"));
  rules.forEach((rule, i) => {
    const rp = `spec.rules[${i}]`;
    if (!rule || typeof rule !== "object") return;
    if (rule.host) {
      if (isIPSloppy(rule.host)) errs.push(invalid(`${rp}.host`, rule.host, "must be a DNS name, not an IP address"));
      const msgs = rule.host.includes("*") ? isWildcardDNS1123Subdomain(rule.host) : isDNS1123Subdomain(rule.host);
      for (const m of msgs) errs.push(invalid(`${rp}.host`, rule.host, m));
    }
    if (rule.http) {
      const paths = rule.http.paths ?? [];
      if (paths.length === 0) errs.push(required(`${rp}.http.paths`, ""));
      paths.forEach((p, j) => {
        const pp = `${rp}.http.paths[${j}]`;
        if (!p || typeof p !== "object") return;
        const path = p.path ?? "";
        if (!p.pathType) {
          errs.push(required(`${pp}.pathType`, "pathType must be specified"));
          return;
        }
        if (p.pathType === "Exact" || p.pathType === "Prefix") {
          if (!path.startsWith("/")) errs.push(invalid(`${pp}.path`, path, "must be an absolute path"));
          if (path.length > 0) {
            for (const seq of INVALID_PATH_SEQUENCES) if (path.includes(seq)) errs.push(invalid(`${pp}.path`, path, `must not contain '${seq}'`));
            for (const suf of INVALID_PATH_SUFFIXES) if (path.endsWith(suf)) errs.push(invalid(`${pp}.path`, path, `cannot end with '${suf}'`));
          }
        } else if (p.pathType === "ImplementationSpecific") {
          if (path.length > 0 && !path.startsWith("/")) errs.push(invalid(`${pp}.path`, path, "must be an absolute path"));
        } else {
          errs.push(notSupported(`${pp}.pathType`, p.pathType, PATH_TYPES));
        }
        errs.push(...validateIngressBackend(p.backend, `${pp}.backend`));
      });
    }
  });
  (s.tls ?? []).forEach((t, i) => {
    (t?.hosts ?? []).forEach((h, j) => {
      const host = String(h);
      const msgs = host.includes("*") ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      for (const m of msgs) errs.push(invalid(`spec.tls[${i}].hosts[${j}]`, host, m));
    });
    if (t?.secretName) for (const m of nameIsDNSSubdomain(t.secretName, false)) errs.push(invalid(`spec.tls[${i}].secretName`, t.secretName, m));
  });
  if (s.ingressClassName !== undefined) {
    for (const m of nameIsDNSSubdomain(s.ingressClassName, false)) errs.push(invalid("spec.ingressClassName", s.ingressClassName, m));
  }
  const annotation = ing.metadata?.annotations?.["kubernetes.io/ingress.class"];
  if (isCreate && annotation !== undefined && s.ingressClassName !== undefined && annotation !== s.ingressClassName) {
    errs.push(invalid("annotations.kubernetes.io/ingress.class", annotation, "must match `ingressClassName` when both are specified"));
  }
  return errs;
}

const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";

export function validateIngressClass(ic: IngressClass, old?: IngressClass): FieldError[] {
  const errs = validateObjectMeta(ic.metadata, false, nameIsDNSSubdomain);
  const c = ic.spec?.controller ?? "";
  if (old && (old.spec?.controller ?? "") !== c) errs.push(invalid("spec.controller", c, "field is immutable"));
  if (c.length === 0) {
    errs.push(required("spec.controller", ""));
  } else {
    if (c.length > 250) errs.push(tooLong("spec.controller", "", 250));
    const slash = c.indexOf("/");
    const host = slash < 0 ? c : c.slice(0, slash);
    const rest = slash < 0 ? "" : c.slice(slash + 1);
    if (slash < 0 || host.length === 0 || rest.length === 0) {
      errs.push(invalid("spec.controller", c, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    } else {
      for (const m of isDNS1123Subdomain(host)) errs.push(invalid("spec.controller", host, m));
      if (!new RegExp(`^${HTTP_PATH_FMT}$`).test(rest)) errs.push(invalid("spec.controller", rest, regexError("Invalid path", HTTP_PATH_FMT)));
    }
  }
  const p = ic.spec?.parameters;
  if (p) {
    const pp = "spec.parameters";
    errs.push(...validateTypedLocalObjectReference(p, pp));
    if (p.scope === undefined || p.scope === null) {
      errs.push(required(`${pp}.scope`, ""));
    } else if (p.scope !== "Cluster" && p.scope !== "Namespace") {
      errs.push(notSupported(`${pp}.scope`, p.scope, ["Cluster", "Namespace"]));
    } else {
      if (p.scope === "Namespace") {
        if (p.namespace === undefined) errs.push(required(`${pp}.namespace`, "`parameters.scope` is set to 'Namespace'"));
        else for (const m of isDNS1123Label(p.namespace)) errs.push(invalid(`${pp}.namespace`, p.namespace, m));
      }
      if (p.scope === "Cluster" && p.namespace !== undefined) errs.push(forbidden(`${pp}.namespace`, "`parameters.scope` is set to 'Cluster'"));
    }
  }
  return errs;
}

function validateNetworkPolicyPort(p: NetworkPolicyPort, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, ["TCP", "UDP", "SCTP"]));
  if (p.port !== undefined && p.port !== null) {
    if (typeof p.port === "number") {
      for (const m of isValidPortNum(p.port)) errs.push(invalid(`${path}.port`, p.port, m));
      if (p.endPort !== undefined) {
        if (p.endPort < p.port) errs.push(invalid(`${path}.endPort`, p.endPort, "must be greater than or equal to `port`"));
        for (const m of isValidPortNum(p.endPort)) errs.push(invalid(`${path}.endPort`, p.endPort, m));
      }
    } else {
      if (p.endPort !== undefined) errs.push(invalid(`${path}.endPort`, p.endPort, "may not be specified when `port` is non-numeric"));
      for (const m of isValidPortName(p.port)) errs.push(invalid(`${path}.port`, p.port, m));
    }
  } else if (p.endPort !== undefined) {
    errs.push(invalid(`${path}.endPort`, p.endPort, "may not be specified when `port` is not specified"));
  }
  return errs;
}

function validateNetworkPolicyPeer(peer: NetworkPolicyPeer, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (peer.podSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
  }
  if (peer.namespaceSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
  }
  if (peer.ipBlock) {
    n++;
    const b = peer.ipBlock;
    if (!b.cidr) errs.push(required(`${path}.ipBlock.cidr`, ""));
    else {
      const e = validateCIDR(b.cidr, `${path}.ipBlock.cidr`);
      errs.push(...e);
      if (e.length === 0) {
        (b.except ?? []).forEach((x, i) => {
          const ep = `${path}.ipBlock.except[${i}]`;
          const xe = validateCIDR(x, ep);
          if (xe.length) errs.push(...xe);
          else if (!cidrStrictSubset(x, b.cidr)) errs.push(invalid(ep, x, "must be a strict subset of `cidr`"));
        });
      }
    }
  }
  if (n === 0) errs.push(required(path, "must specify a peer"));
  else if (peer.ipBlock && n > 1) errs.push(forbidden(path, "may not specify both ipBlock and another peer"));
  return errs;
}

function v4(ip: string): number {
  return ip.split(".").reduce((a, p) => a * 256 + Number(p), 0);
}

/** IPv4 only (IPv6 except ranges are accepted unchecked). */
function cidrStrictSubset(inner: string, outer: string): boolean {
  if (inner.includes(":") || outer.includes(":")) return true;
  const [ia, ib] = inner.split("/");
  const [oa, ob] = outer.split("/");
  const ibits = Number(ib);
  const obits = Number(ob);
  if (ibits <= obits) return false;
  const mask = obits === 0 ? 0 : (0xffffffff << (32 - obits)) >>> 0;
  return ((v4(ia) & mask) >>> 0) === ((v4(oa) & mask) >>> 0);
}

export function validateNetworkPolicy(np: NetworkPolicy): FieldError[] {
  const errs = validateObjectMeta(np.metadata, true, nameIsDNSSubdomain);
  const s = np.spec;
  if (!s || typeof s !== "object") return errs;
  errs.push(...validateLabelSelector(s.podSelector, "spec.podSelector"));
  (s.ingress ?? []).forEach((r, i) => {
    (r?.ports ?? []).forEach((p, j) => errs.push(...validateNetworkPolicyPort(p, `spec.ingress[${i}].ports[${j}]`)));
    (r?.from ?? []).forEach((p, j) => errs.push(...validateNetworkPolicyPeer(p, `spec.ingress[${i}].from[${j}]`)));
  });
  (s.egress ?? []).forEach((r, i) => {
    (r?.ports ?? []).forEach((p, j) => errs.push(...validateNetworkPolicyPort(p, `spec.egress[${i}].ports[${j}]`)));
    (r?.to ?? []).forEach((p, j) => errs.push(...validateNetworkPolicyPeer(p, `spec.egress[${i}].to[${j}]`)));
  });
  const types = s.policyTypes ?? [];
  if (types.length > 2) {
    const shown = new GoValue(`[]networking.PolicyType{${types.map((t) => JSON.stringify(t)).join(", ")}}`);
    errs.push(invalid("spec.policyTypes", shown, "may not specify more than two policyTypes"));
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== "Ingress" && t !== "Egress") errs.push(notSupported(`spec.policyTypes[${i}]`, t, ["Ingress", "Egress"]));
  });
  return errs;
}
