// Service validation as upstream's ValidateService / ValidateServiceUpdate
// (pkg/apis/core/validation/validation.go), same field paths and messages.
import type { Service, ServicePort } from "../types.js";
import { duplicate, forbidden, GoValue, goQuote, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import { isQualifiedName, isValidPortNum } from "./strings.js";
import {
  nameIsDNS1035Label,
  validateCIDR,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateIP,
  validateLabels,
  validateNonSpecialIP,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validatePortNumOrName,
  validateProtocol,
} from "./meta.js";

const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;
const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

/** spec.clusterIPs as the Service strategy syncs it from spec.clusterIP before validation. */
function clusterIPsOf(svc: Service): string[] {
  const s = svc.spec ?? {};
  if (s.clusterIPs && s.clusterIPs.length) return s.clusterIPs;
  return s.clusterIP ? [s.clusterIP] : [];
}

function isHeadless(svc: Service): boolean {
  const ips = clusterIPsOf(svc);
  return ips.length === 1 && ips[0] === "None";
}

/** Go's %#v of the (protocol, port) key upstream reports duplicates with. */
function servicePortKey(p: ServicePort): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${goQuote(p.protocol ?? "")}, AppProtocol:(*string)(nil), Port:${p.port ?? 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function validateServicePort(sp: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) {
    errs.push(required(`${path}.name`, ""));
  } else if (sp.name) {
    errs.push(...validateDNS1123Label(sp.name, `${path}.name`));
    if (names.has(sp.name)) errs.push(duplicate(`${path}.name`, sp.name));
    else names.add(sp.name);
  }
  for (const m of isValidPortNum(sp.port ?? 0)) errs.push(invalid(`${path}.port`, sp.port ?? 0, m));
  errs.push(...validateProtocol(sp.protocol, `${path}.protocol`));
  // An unset targetPort is the zero IntOrString upstream, which fails the range check.
  errs.push(...validatePortNumOrName(sp.targetPort ?? 0, `${path}.targetPort`));
  if (sp.appProtocol !== undefined) for (const m of isQualifiedName(sp.appProtocol)) errs.push(invalid(`${path}.appProtocol`, sp.appProtocol, m));
  return errs;
}

function externallyAccessible(svc: Service): boolean {
  const s = svc.spec;
  return s.type === "LoadBalancer" || s.type === "NodePort" || (s.type === "ClusterIP" && (s.externalIPs ?? []).length > 0);
}

export function validateService(svc: Service): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label);
  const s = svc.spec ?? {};
  const ports = s.ports ?? [];
  const headless = isHeadless(svc);
  const clusterIPs = clusterIPsOf(svc);

  if (ports.length === 0 && !headless && s.type !== "ExternalName") errs.push(required("spec.ports", ""));
  switch (s.type) {
    case "LoadBalancer":
      if (headless) errs.push(invalid("spec.clusterIPs[0]", clusterIPs[0], "may not be set to 'None' for LoadBalancer services"));
      break;
    case "NodePort":
      if (headless) errs.push(invalid("spec.clusterIPs[0]", clusterIPs[0], "may not be set to 'None' for NodePort services"));
      break;
    case "ExternalName": {
      if (clusterIPs.length > 0) errs.push(forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
      if ((s.ipFamilies ?? []).length > 0) errs.push(forbidden("spec.ipFamilies", "may not be set for ExternalName services"));
      if (s.ipFamilyPolicy !== undefined) errs.push(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
      // A CNAME may end in a dot (fully qualified).
      const cname = (s.externalName ?? "").replace(/\.$/, "");
      if (cname.length > 0) errs.push(...validateDNS1123Subdomain(cname, "spec.externalName"));
      else errs.push(required("spec.externalName", ""));
      break;
    }
  }

  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p ?? ({} as ServicePort), ports.length > 1, names, `spec.ports[${i}]`)));

  if (s.selector) errs.push(...validateLabels(s.selector, "spec.selector"));

  if (!s.sessionAffinity) errs.push(required("spec.sessionAffinity", ""));
  else if (s.sessionAffinity !== "ClientIP" && s.sessionAffinity !== "None") errs.push(notSupported("spec.sessionAffinity", s.sessionAffinity, ["ClientIP", "None"]));
  if (s.sessionAffinity === "ClientIP") {
    const p = "spec.sessionAffinityConfig";
    const cfg = s.sessionAffinityConfig;
    if (!cfg) errs.push(required(p, "when session affinity type is ClientIP"));
    else if (!cfg.clientIP) errs.push(required(`${p}.clientIP`, "when session affinity type is ClientIP"));
    else if (cfg.clientIP.timeoutSeconds === undefined || cfg.clientIP.timeoutSeconds === null) errs.push(required(`${p}.clientIP.timeoutSeconds`, "when session affinity type is ClientIP"));
    else {
      const t = cfg.clientIP.timeoutSeconds;
      if (t <= 0 || t > MAX_CLIENT_IP_AFFINITY_SECONDS) {
        errs.push(invalid(`${p}.clientIP.timeoutSeconds`, t, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`));
      }
    }
  } else if (s.sessionAffinity === "None" && s.sessionAffinityConfig) {
    errs.push(forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"));
  }

  errs.push(...validateClusterIPsRelatedFields(svc));

  (s.externalIPs ?? []).forEach((ip, i) => {
    const e = validateIP(ip, `spec.externalIPs[${i}]`);
    errs.push(...(e.length ? e : validateNonSpecialIP(ip, `spec.externalIPs[${i}]`)));
  });

  if (!s.type) errs.push(required("spec.type", ""));
  else if (!SERVICE_TYPES.includes(s.type)) errs.push(notSupported("spec.type", s.type, SERVICE_TYPES));

  if (s.type === "ClusterIP") {
    ports.forEach((p, i) => {
      if (p?.nodePort) errs.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }

  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p?.nodePort) return;
    const key = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(key);
  });

  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p?.protocol}/${p?.port}`;
    if (seen.has(key)) errs.push(duplicate(`spec.ports[${i}]`, servicePortKey(p)));
    seen.add(key);
  });

  const ranges = s.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0) {
    // Upstream spells this path with a capital L.
    const fp = "spec.LoadBalancerSourceRanges";
    if (s.type !== "LoadBalancer") errs.push(forbidden(fp, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...validateCIDR(String(r).trim(), `${fp}[${i}]`)));
  }

  if (s.allocateLoadBalancerNodePorts !== undefined && s.type !== "LoadBalancer") {
    errs.push(forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"));
  }
  if (s.type === "LoadBalancer" && s.allocateLoadBalancerNodePorts === undefined) errs.push(required("allocateLoadBalancerNodePorts", ""));

  if (s.type === "LoadBalancer") {
    if (s.loadBalancerClass !== undefined) for (const m of isQualifiedName(s.loadBalancerClass)) errs.push(invalid("spec.loadBalancerClass", s.loadBalancerClass, m));
  } else if (s.loadBalancerClass !== undefined) {
    errs.push(forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"));
  }

  // External traffic policy.
  if (!externallyAccessible(svc)) {
    if (s.externalTrafficPolicy) errs.push(invalid("spec.externalTrafficPolicy", s.externalTrafficPolicy, "may only be set for externally-accessible services"));
  } else if (!s.externalTrafficPolicy) {
    errs.push(required("spec.externalTrafficPolicy", ""));
  } else if (s.externalTrafficPolicy !== "Cluster" && s.externalTrafficPolicy !== "Local") {
    errs.push(notSupported("spec.externalTrafficPolicy", s.externalTrafficPolicy, ["Cluster", "Local"]));
  }
  const needsHealthCheck = s.type === "LoadBalancer" && s.externalTrafficPolicy === "Local";
  if (!needsHealthCheck) {
    if (s.healthCheckNodePort) {
      errs.push(invalid("spec.healthCheckNodePort", s.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  } else if (s.healthCheckNodePort) {
    for (const m of isValidPortNum(s.healthCheckNodePort)) errs.push(invalid("spec.healthCheckNodePort", s.healthCheckNodePort, m));
  }
  // (A missing healthCheckNodePort is allocated by the registry before validation upstream.)

  // Internal traffic policy.
  if (s.internalTrafficPolicy === undefined) {
    if (s.type === "NodePort" || s.type === "LoadBalancer" || s.type === "ClusterIP") errs.push(required("spec.internalTrafficPolicy", ""));
  } else if (s.internalTrafficPolicy !== "Cluster" && s.internalTrafficPolicy !== "Local") {
    errs.push(notSupported("spec.internalTrafficPolicy", s.internalTrafficPolicy, ["Cluster", "Local"]));
  }
  return errs;
}

const isV6 = (ip: string) => ip.includes(":");

function validateClusterIPsRelatedFields(svc: Service): FieldError[] {
  const s = svc.spec ?? {};
  if (s.type === "ExternalName") return [];
  const errs: FieldError[] = [];
  const ips = clusterIPsOf(svc);
  if (s.clusterIP) {
    if (ips.length === 0) errs.push(required("spec.clusterIPs", ""));
    else if (ips[0] !== s.clusterIP) errs.push(invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"));
  } else if ((s.clusterIPs ?? []).length !== 0) {
    errs.push(invalid("spec.clusterIPs", s.clusterIPs, "must be empty when `clusterIP` is not specified"));
  }
  const seen = new Set<string>();
  (s.ipFamilies ?? []).forEach((f, i) => {
    if (f !== "IPv4" && f !== "IPv6") errs.push(notSupported(`spec.ipFamilies[${i}]`, f, ["IPv4", "IPv6"]));
    if (seen.has(f)) errs.push(duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (s.ipFamilyPolicy !== undefined && !["PreferDualStack", "RequireDualStack", "SingleStack"].includes(s.ipFamilyPolicy)) {
    errs.push(notSupported("spec.ipFamilyPolicy", s.ipFamilyPolicy, ["PreferDualStack", "RequireDualStack", "SingleStack"]));
  }
  let bad = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === "None") {
      if (ips.length > 1) {
        bad = true;
        errs.push(invalid("spec.clusterIPs", ips, "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(ip, `spec.clusterIPs[${i}]`);
    if (e.length) bad = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(invalid("spec.clusterIPs", ips, "may only hold up to 2 values"));
  if (bad) return errs;
  if (ips.length > 1 && isV6(ips[0]) === isV6(ips[1])) errs.push(invalid("spec.clusterIPs", ips, "may specify no more than one IP for each IP family"));
  const fams = s.ipFamilies ?? [];
  if (!isHeadless(svc) && ips.length > 0 && fams.length > 0) {
    ips.forEach((ip, i) => {
      if (i > fams.length - 1) return;
      if (fams[i] === "IPv4" && isV6(ip)) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fams[i] === "IPv6" && !isV6(ip)) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

/** Update rules: allocated cluster IPs and IP families may not change (except to/from ExternalName). */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const s = svc.spec ?? {};
  const o = old.spec ?? {};
  if (s.type !== "ExternalName" && o.type !== "ExternalName") {
    const newIPs = clusterIPsOf(svc);
    const oldIPs = clusterIPsOf(old);
    if (!(isHeadless(svc) && isHeadless(old))) {
      if (oldIPs.length === newIPs.length) {
        oldIPs.forEach((ip, i) => {
          if (ip !== newIPs[i]) errs.push(invalid(`spec.clusterIPs[${i}]`, newIPs, "may not change once set"));
        });
      } else if (oldIPs.length > newIPs.length) {
        if (newIPs.length === 0) errs.push(invalid("spec.clusterIPs[0]", newIPs, "primary clusterIP can not be unset"));
        if (oldIPs.length > 0 && newIPs.length > 0 && newIPs[0] !== oldIPs[0]) errs.push(invalid("spec.clusterIPs[0]", newIPs, "may not change once set"));
        if (newIPs.length === 1 && s.ipFamilyPolicy !== "SingleStack") {
          errs.push(invalid("spec.ipFamilyPolicy", s.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
        }
      } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
        errs.push(invalid("spec.clusterIPs[0]", newIPs, "may not change once set"));
      }
    }
    if (isHeadless(svc) === isHeadless(old) && !isHeadless(svc)) {
      const nf = s.ipFamilies ?? [];
      const of = o.ipFamilies ?? [];
      if (nf.length === of.length) {
        of.forEach((f, i) => {
          if (f !== nf[i]) errs.push(invalid("spec.ipFamilies[0]", nf, "may not change once set"));
        });
      } else if (of.length > nf.length && nf.length > 0 && nf[0] !== of[0]) {
        errs.push(invalid("spec.ipFamilies[0]", clusterIPsOf(svc), "may not change once set"));
      }
    }
  }
  if (s.type === "LoadBalancer" && o.type === "LoadBalancer" && s.loadBalancerClass !== o.loadBalancerClass) {
    errs.push(invalid("spec.loadBalancerClass", s.loadBalancerClass ?? null, "may not change once set"));
  }
  const hc = (x: typeof s) => x.type === "LoadBalancer" && x.externalTrafficPolicy === "Local";
  if (hc(s) && hc(o) && s.healthCheckNodePort !== o.healthCheckNodePort) errs.push(forbidden("spec.healthCheckNodePort", "field is immutable"));
  return [...errs, ...validateService(svc)];
}
