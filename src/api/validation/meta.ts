// ObjectMeta validation (apimachinery api/validation/objectmeta.go) and the small field
// helpers that upstream's validation packages share.
import type { ObjectMeta } from "../types.js";
import { forbidden, GoValue, invalid, required, tooLong, type FieldError } from "../field-errors.js";
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isIP, isLabelValue, isQualifiedName, isValidPortName, isValidPortNum } from "./strings.js";

/** A name check: returns upstream's messages; `prefix` = used as generateName (a trailing '-' is fine). */
export type NameValidator = (name: string, prefix: boolean) => string[];

const maskTrailingDash = (name: string) => (name.length > 1 && name.endsWith("-") ? `${name.slice(0, -2)}a` : name);

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);


export function validateDNS1123Label(value: string, path: string): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(path, value, m));
}

export function validateDNS1123Subdomain(value: string, path: string): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => invalid(path, value, m));
}

export function validateNonnegative(value: number | undefined, path: string): FieldError[] {
  return typeof value === "number" && value < 0 ? [invalid(path, value, "must be greater than or equal to 0")] : [];
}

/** Label maps: keys and values, each error at the map's own path (as upstream reports them). */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) errs.push(invalid(path, k, m));
    for (const m of isLabelValue(String(v))) errs.push(invalid(path, v, m));
  }
  return errs;
}

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    total += k.length + String(v).length;
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, "", TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/**
 * Upstream ValidateObjectMeta. An empty namespace on a namespaced kind is accepted here:
 * the registry (or the CLI) fills in "default" before storing.
 */
export function validateObjectMeta(meta: ObjectMeta | undefined, namespaced: boolean, nameFn: NameValidator, path = "metadata"): FieldError[] {
  const errs: FieldError[] = [];
  if (!meta || typeof meta !== "object") return [required(`${path}.name`, "name or generateName is required")];
  if (meta.generateName) for (const m of nameFn(meta.generateName, true)) errs.push(invalid(`${path}.generateName`, meta.generateName, m));
  if (!meta.name) {
    if (!meta.generateName) errs.push(required(`${path}.name`, "name or generateName is required"));
  } else {
    for (const m of nameFn(meta.name, false)) errs.push(invalid(`${path}.name`, meta.name, m));
  }
  if (namespaced) {
    if (meta.namespace) for (const m of isDNS1123Label(meta.namespace)) errs.push(invalid(`${path}.namespace`, meta.namespace, m));
  } else if (meta.namespace) {
    errs.push(forbidden(`${path}.namespace`, "not allowed on this type"));
  }
  errs.push(...validateNonnegative(meta.generation, `${path}.generation`));
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  const refs = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  let firstController = "";
  for (const r of refs) {
    // Upstream reports these at the list's path, without an index.
    const p = `${path}.ownerReferences`;
    const version = typeof r?.apiVersion === "string" ? r.apiVersion.split("/").pop() ?? "" : "";
    if (!version) errs.push(invalid(`${p}.apiVersion`, r?.apiVersion ?? "", "version must not be empty"));
    if (!r?.kind) errs.push(invalid(`${p}.kind`, r?.kind ?? "", "must not be empty"));
    if (!r?.name) errs.push(invalid(`${p}.name`, r?.name ?? "", "must not be empty"));
    if (!r?.uid) errs.push(invalid(`${p}.uid`, r?.uid ?? "", "must not be empty"));
    if (r?.controller === true) {
      const cur = `${r.kind}/${r.name}`;
      if (firstController) {
        errs.push(invalid(p, new GoValue("[]v1.OwnerReference{...}"), `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`));
      } else firstController = cur;
    }
  }
  for (const f of Array.isArray(meta.finalizers) ? meta.finalizers : []) {
    for (const m of isQualifiedName(String(f))) errs.push(invalid(`${path}.finalizers`, f, m));
  }
  return errs;
}

/** Immutable name/namespace/uid etc. on update (upstream ValidateObjectMetaUpdate, the parts that apply here). */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta, path = "metadata"): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = (field: keyof ObjectMeta) => {
    if (old[field] !== undefined && meta[field] !== undefined && meta[field] !== old[field]) errs.push(invalid(`${path}.${field}`, meta[field], "field is immutable"));
  };
  immutable("name");
  immutable("namespace");
  immutable("uid");
  immutable("creationTimestamp");
  if (typeof meta.generation === "number" && typeof old.generation === "number" && meta.generation < old.generation) {
    errs.push(invalid(`${path}.generation`, meta.generation, "must not be decremented"));
  }
  // Labels, annotations and owner references are checked by the create rules, which every
  // update path here runs as well.
  return errs;
}

/** IsValidIP as the API server checks it (IPv4 leading zeros are tolerated, as ParseIPSloppy does). */
export function validateIP(value: string, path: string): FieldError[] {
  return isIPSloppy(value) ? [] : [invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")];
}

export function isIPSloppy(s: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return s.split(".").every((p) => Number(p) <= 255);
  return isIP(s);
}

export function validateCIDR(value: string, path: string): FieldError[] {
  const i = value.indexOf("/");
  const ok = i > 0 && isIPSloppy(value.slice(0, i)) && /^\d+$/.test(value.slice(i + 1)) && Number(value.slice(i + 1)) <= (value.includes(":") ? 128 : 32);
  return ok ? [] : [invalid(path, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")];
}

/** ValidateNonSpecialIP: addresses a Service or endpoint must never point at. */
export function validateNonSpecialIP(ip: string, path: string): FieldError[] {
  const v4 = ip.includes(".") && !ip.includes(":") ? ip.split(".").map(Number) : undefined;
  const lower = ip.toLowerCase();
  if (v4 ? v4.every((x) => x === 0) : /^[0:]+$/.test(lower) || lower === "::") return [invalid(path, ip, "may not be unspecified (0.0.0.0, ::)")];
  if (v4 ? v4[0] === 127 : lower === "::1") return [invalid(path, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)")];
  if (v4 ? v4[0] === 169 && v4[1] === 254 : /^fe[89ab]/.test(lower)) return [invalid(path, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")];
  if (v4 ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0 : /^ff02:/.test(lower)) return [invalid(path, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")];
  return [];
}

export const SUPPORTED_PROTOCOLS = ["SCTP", "TCP", "UDP"];

export function validateProtocol(protocol: string | undefined, path: string): FieldError[] {
  if (!protocol) return [required(path, "")];
  if (!SUPPORTED_PROTOCOLS.includes(protocol)) return [{ type: "FieldValueNotSupported", field: path, value: protocol, supported: SUPPORTED_PROTOCOLS }];
  return [];
}

/** A port number (1-65535) or an IANA_SVC_NAME (upstream ValidatePortNumOrName). */
export function validatePortNumOrName(port: number | string | undefined, path: string): FieldError[] {
  if (port === undefined || port === null) return [];
  if (typeof port === "number") return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === "string") return isValidPortName(port).map((m) => invalid(path, port, m));
  return [];
}
