// The smaller core/v1 and discovery.k8s.io/v1 kinds: Namespace, Node, ConfigMap, Secret,
// Event, Endpoints and EndpointSlice (upstream core and discovery validation).
import type { ConfigMap, EndpointAddress, EndpointPort, EndpointSlice, Endpoints, Event, KubeObject, Namespace, Node, Secret } from "../types.js";
import { duplicate, invalid, notSupported, required, tooLong, tooMany, type FieldError } from "../field-errors.js";
import { isConfigMapKey, isDNS1123Subdomain, isDNS1123Label, isIPv6, isQualifiedName, isValidPortNum } from "./strings.js";
import {
  isIPSloppy,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateCIDR,
  validateDNS1123Label,
  validateIP,
  validateNonSpecialIP,
  validateObjectMeta,
  validateProtocol,
} from "./meta.js";

const MAX_CONFIG_SIZE = 1024 * 1024;

export function validateNamespace(ns: Namespace): FieldError[] {
  return validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
}

export function validateNode(n: Node): FieldError[] {
  const errs = validateObjectMeta(n.metadata, false, nameIsDNSSubdomain);
  const cidrs = n.spec?.podCIDRs ?? [];
  cidrs.forEach((c, i) => errs.push(...validateCIDR(c, `spec.podCIDRs[${i}]`)));
  if (cidrs.length > 1) {
    const fams = cidrs.map((c) => c.includes(":"));
    if (cidrs.length > 2 || fams[0] === fams[1]) errs.push(invalid("spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"));
  }
  return errs;
}

function validateDataKeys(data: Record<string, string> | undefined, path: string, other?: Record<string, string>): { errs: FieldError[]; size: number } {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(data ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(`${path}[${k}]`, k, m));
    if (other && k in other) errs.push(invalid(`${path}[${k}]`, k, "duplicate of key present in binaryData"));
    size += String(v ?? "").length;
  }
  return { errs, size };
}

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  const d = validateDataKeys(cm.data, "data", cm.binaryData);
  const b = validateDataKeys(cm.binaryData, "binaryData");
  errs.push(...d.errs, ...b.errs);
  if (d.size + b.size > MAX_CONFIG_SIZE) errs.push(tooLong("", "", MAX_CONFIG_SIZE));
  return errs;
}

export function validateSecret(s: Secret): FieldError[] {
  const errs = validateObjectMeta(s.metadata, true, nameIsDNSSubdomain);
  const d = validateDataKeys(s.data, "data");
  errs.push(...d.errs);
  for (const k of Object.keys(s.stringData ?? {})) for (const m of isConfigMapKey(k)) errs.push(invalid(`stringData[${k}]`, k, m));
  const data = { ...(s.data ?? {}), ...(s.stringData ?? {}) };
  if (s.type === "kubernetes.io/tls") {
    if (!("tls.crt" in data)) errs.push(required("data[tls.crt]", ""));
    if (!("tls.key" in data)) errs.push(required("data[tls.key]", ""));
  }
  return errs;
}

export function validateEvent(ev: Event): FieldError[] {
  const errs = validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain);
  if (!ev.involvedObject || typeof ev.involvedObject !== "object") errs.push(required("involvedObject", ""));
  if (ev.type !== undefined && ev.type !== "Normal" && ev.type !== "Warning") errs.push(notSupported("type", ev.type, ["Normal", "Warning"]));
  return errs;
}

function validateEndpointAddress(a: EndpointAddress, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ipErrs = validateIP(String(a?.ip ?? ""), `${path}.ip`);
  errs.push(...ipErrs);
  if (a?.hostname) errs.push(...validateDNS1123Label(a.hostname, `${path}.hostname`));
  if (a?.nodeName) for (const m of nameIsDNSSubdomain(a.nodeName, false)) errs.push(invalid(`${path}.nodeName`, a.nodeName, m));
  if (ipErrs.length === 0) errs.push(...validateNonSpecialIP(a.ip, `${path}.ip`));
  return errs;
}

function validateEndpointPort(p: EndpointPort, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(required(`${path}.name`, ""));
  else if (p.name) errs.push(...validateDNS1123Label(p.name, `${path}.name`));
  for (const m of isValidPortNum(p.port ?? 0)) errs.push(invalid(`${path}.port`, p.port ?? 0, m));
  errs.push(...validateProtocol(p.protocol, `${path}.protocol`));
  if (p.appProtocol !== undefined) for (const m of isQualifiedName(p.appProtocol)) errs.push(invalid(`${path}.appProtocol`, p.appProtocol, m));
  return errs;
}

export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain);
  (ep.subsets ?? []).forEach((ss, i) => {
    const p = `subsets[${i}]`;
    if (!ss || typeof ss !== "object") return;
    if ((ss.addresses ?? []).length === 0 && (ss.notReadyAddresses ?? []).length === 0) {
      errs.push(required(p, "must specify `addresses` or `notReadyAddresses`"));
    }
    (ss.addresses ?? []).forEach((a, j) => errs.push(...validateEndpointAddress(a, `${p}.addresses[${j}]`)));
    (ss.notReadyAddresses ?? []).forEach((a, j) => errs.push(...validateEndpointAddress(a, `${p}.notReadyAddresses[${j}]`)));
    const ports = ss.ports ?? [];
    ports.forEach((pt, j) => errs.push(...validateEndpointPort(pt ?? ({} as EndpointPort), ports.length > 1, `${p}.ports[${j}]`)));
  });
  return errs;
}

const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"];
const MAX_ADDRESSES = 100;
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 100;

/** IsFullyQualifiedDomainName (a trailing dot allowed, at least two labels). */
function validateFQDN(value: string, path: string): FieldError[] {
  if (value.length === 0) return [required(path, "")];
  const name = value.replace(/\.$/, "");
  const msgs = isDNS1123Subdomain(name);
  if (msgs.length) return [invalid(path, name, msgs.join(","))];
  const labels = name.split(".");
  if (labels.length < 2) return [invalid(path, name, "should be a domain with at least two segments separated by dots")];
  for (const l of labels) {
    const le = isDNS1123Label(l);
    if (le.length) return [invalid(path, l, le.join(","))];
  }
  return [];
}

/** discovery/validation: address type, endpoints (addresses by type, hostname) and ports. */
export function validateEndpointSlice(es: EndpointSlice): FieldError[] {
  const errs = validateObjectMeta(es.metadata, true, nameIsDNSSubdomain);
  const at = es.addressType;
  if (!at) errs.push(required("addressType", ""));
  else if (!ADDRESS_TYPES.includes(at)) errs.push(notSupported("addressType", at, ADDRESS_TYPES));
  const endpoints = es.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTS) {
    errs.push(tooMany("endpoints", endpoints.length, MAX_ENDPOINTS));
  } else {
    endpoints.forEach((e, i) => {
      const p = `endpoints[${i}]`;
      if (!e || typeof e !== "object") return;
      const addrs = e.addresses ?? [];
      if (addrs.length === 0) errs.push(required(`${p}.addresses`, "must contain at least 1 address"));
      else if (addrs.length > MAX_ADDRESSES) errs.push(tooMany(`${p}.addresses`, addrs.length, MAX_ADDRESSES));
      addrs.forEach((a, j) => {
        const ap = `${p}.addresses[${j}]`;
        // Unknown address types are not checked (upstream falls through).
        if (at === "IPv4") {
          if (!isIPSloppy(a) || a.includes(":")) errs.push(invalid(ap, a, "must be a valid IPv4 address"));
          else errs.push(...validateNonSpecialIP(a, ap));
        } else if (at === "IPv6") {
          if (!isIPv6(a)) errs.push(invalid(ap, a, "must be a valid IPv6 address"));
          else errs.push(...validateNonSpecialIP(a, ap));
        } else if (at === "FQDN") {
          errs.push(...validateFQDN(a, ap));
        }
      });
      if (e.hostname !== undefined) errs.push(...validateDNS1123Label(e.hostname, `${p}.hostname`));
    });
  }
  const ports = es.ports ?? [];
  if (ports.length > MAX_PORTS) {
    errs.push(tooMany("ports", ports.length, MAX_PORTS));
    return errs;
  }
  const names = new Set<string>();
  ports.forEach((pt, i) => {
    const p = `ports[${i}]`;
    if (!pt || typeof pt !== "object") return;
    const n = pt.name ?? "";
    if (n) errs.push(...validateDNS1123Label(n, `${p}.name`));
    if (names.has(n)) errs.push(duplicate(`${p}.name`, n));
    else names.add(n);
    errs.push(...validateProtocol(pt.protocol, `${p}.protocol`));
    if (pt.appProtocol !== undefined) for (const m of isQualifiedName(pt.appProtocol)) errs.push(invalid(`${p}.appProtocol`, pt.appProtocol, m));
  });
  return errs;
}

/** Kinds without specific rules still get their metadata checked. */
export function validateGeneric(o: KubeObject, namespaced: boolean): FieldError[] {
  return validateObjectMeta(o.metadata, namespaced, nameIsDNSSubdomain);
}
