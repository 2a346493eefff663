// Pod and PodSpec validation as upstream's ValidatePod / ValidatePodSpec (the parts that
// networking depends on: containers and their ports, DNS policy and config, hostname).
import type { Container, Pod, PodSpec, PodTemplateSpec, Probe } from "../types.js";
import { duplicate, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import { isEnvVarName, isValidPortName, isValidPortNum } from "./strings.js";
import {
  nameIsDNSSubdomain,
  validateAnnotations,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateIP,
  validateLabels,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validatePortNumOrName,
  validateProtocol,
} from "./meta.js";

const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCH_PATHS = 32;
const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const RESTART_POLICIES = ["Always", "OnFailure", "Never"];

function validateContainerPorts(c: Container, hostNetwork: boolean, isPod: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (c.ports ?? []).forEach((p, i) => {
    const ip = `${path}[${i}]`;
    if (!p || typeof p !== "object") return;
    if (p.name) {
      const msgs = isValidPortName(p.name);
      if (msgs.length) for (const m of msgs) errs.push(invalid(`${ip}.name`, p.name, m));
      else if (names.has(p.name)) errs.push(duplicate(`${ip}.name`, p.name));
      else names.add(p.name);
    }
    if (!p.containerPort) errs.push(required(`${ip}.containerPort`, ""));
    else for (const m of isValidPortNum(p.containerPort)) errs.push(invalid(`${ip}.containerPort`, p.containerPort, m));
    if (p.hostPort) for (const m of isValidPortNum(p.hostPort)) errs.push(invalid(`${ip}.hostPort`, p.hostPort, m));
    errs.push(...validateProtocol(p.protocol, `${ip}.protocol`));
    // In a Pod the (defaulted) hostPort must equal containerPort; a template may leave it 0.
    const hp = p.hostPort ?? 0;
    if (hostNetwork && (isPod || hp !== 0) && hp !== p.containerPort) {
      errs.push(invalid(`${ip}.hostPort`, hp, "must match `containerPort` when `hostNetwork` is true"));
    }
  });
  return errs;
}

function validateProbe(p: Probe | undefined, path: string): FieldError[] {
  if (!p || typeof p !== "object") return [];
  const errs: FieldError[] = [];
  const handlers = [p.httpGet, p.tcpSocket, p.exec, (p as Record<string, unknown>).grpc].filter((h) => h !== undefined && h !== null).length;
  if (handlers === 0) errs.push(required(path, "must specify a handler type"));
  else if (handlers > 1) errs.push({ type: "FieldValueForbidden", field: path, detail: "may not specify more than 1 handler type" });
  if (p.httpGet) errs.push(...validatePortNumOrName(p.httpGet.port, `${path}.httpGet.port`));
  if (p.tcpSocket) errs.push(...validatePortNumOrName(p.tcpSocket.port, `${path}.tcpSocket.port`));
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"] as const) {
    errs.push(...validateNonnegative(p[f], `${path}.${f}`));
  }
  return errs;
}

function validateContainers(list: Container[] | undefined, names: Set<string>, hostNetwork: boolean, isPod: boolean, path: string, requireOne: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!list || list.length === 0) return requireOne ? [required(path, "")] : [];
  list.forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!c || typeof c !== "object") return;
    if (!c.name) errs.push(required(`${p}.name`, ""));
    else {
      errs.push(...validateDNS1123Label(c.name, `${p}.name`));
      if (names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
      else names.add(c.name);
    }
    if (!c.image) errs.push(required(`${p}.image`, ""));
    // Only Pods: a blank image is a special token in some pod templates.
    else if (isPod && c.image.trim() !== c.image) errs.push(invalid(`${p}.image`, c.image, "must not have leading or trailing whitespace"));
    errs.push(...validateContainerPorts(c, hostNetwork, isPod, `${p}.ports`));
    (c.env ?? []).forEach((e, j) => {
      const ep = `${p}.env[${j}]`;
      if (!e?.name) errs.push(required(`${ep}.name`, ""));
      else for (const m of isEnvVarName(e.name)) errs.push(invalid(`${ep}.name`, e.name, m));
    });
    errs.push(...validateProbe(c.readinessProbe, `${p}.readinessProbe`));
    errs.push(...validateProbe(c.livenessProbe, `${p}.livenessProbe`));
  });
  return errs;
}

/** `isPod`: the spec of a Pod (not a template), which some rules treat more strictly. */
export function validatePodSpec(spec: PodSpec | undefined, path: string, isPod = false): FieldError[] {
  if (!spec || typeof spec !== "object") return [required(`${path}.containers`, "")];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  const hostNet = spec.hostNetwork === true;
  errs.push(...validateContainers(spec.containers, names, hostNet, isPod, `${path}.containers`, true));
  errs.push(...validateContainers(spec.initContainers, names, hostNet, isPod, `${path}.initContainers`, false));

  if (!spec.restartPolicy) errs.push(required(`${path}.restartPolicy`, ""));
  else if (!RESTART_POLICIES.includes(spec.restartPolicy)) errs.push(notSupported(`${path}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES));

  if (!spec.dnsPolicy) errs.push(required(`${path}.dnsPolicy`, ""));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy)) errs.push(notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  errs.push(...validatePodDNSConfig(spec, `${path}.dnsConfig`));

  if (spec.hostname) errs.push(...validateDNS1123Label(spec.hostname, `${path}.hostname`));
  if (spec.subdomain) errs.push(...validateDNS1123Label(spec.subdomain, `${path}.subdomain`));
  if (spec.nodeName) for (const m of nameIsDNSSubdomain(spec.nodeName, false)) errs.push(invalid(`${path}.nodeName`, spec.nodeName, m));
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  errs.push(...validateNonnegative(spec.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`));
  return errs;
}

function validatePodDNSConfig(spec: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === "None") {
    if (!cfg) return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")];
    if (!cfg.nameservers || cfg.nameservers.length === 0) {
      return [required(`${path}.nameservers`, "must provide at least one DNS nameserver when `dnsPolicy` is None")];
    }
  }
  if (!cfg) return errs;
  const ns = cfg.nameservers ?? [];
  if (ns.length > MAX_DNS_NAMESERVERS) errs.push(invalid(`${path}.nameservers`, ns, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`));
  ns.forEach((n, i) => errs.push(...validateIP(String(n), `${path}.nameservers[${i}]`)));
  const searches = cfg.searches ?? [];
  if (searches.length > MAX_DNS_SEARCH_PATHS) errs.push(invalid(`${path}.searches`, searches, `must not have more than ${MAX_DNS_SEARCH_PATHS} search paths`));
  if (searches.join(" ").length > MAX_DNS_SEARCH_LIST_CHARS) {
    errs.push(invalid(`${path}.searches`, searches, `must not have more than ${MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list`));
  }
  searches.forEach((s, i) => {
    const v = String(s);
    // A single "." (the root) is allowed; a trailing dot is fine.
    if (v === ".") return;
    errs.push(...validateDNS1123Subdomain(v.replace(/\.$/, ""), `${path}.searches[${i}]`));
  });
  (cfg.options ?? []).forEach((o, i) => {
    if (!o?.name) errs.push(required(`${path}.options[${i}]`, "Option.Name must not be empty"));
  });
  return errs;
}

export function validatePod(pod: Pod): FieldError[] {
  return [...validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain), ...validatePodSpec(pod.spec, "spec", true)];
}

/** Upstream forbids changing most of a Pod's spec after creation. */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  const strip = (s: PodSpec | undefined) => {
    const c = structuredClone(s ?? ({} as PodSpec)) as PodSpec & Record<string, unknown>;
    // The mutable parts: container images, activeDeadlineSeconds, tolerations additions.
    for (const ctr of c.containers ?? []) delete (ctr as Partial<Container>).image;
    for (const ctr of c.initContainers ?? []) delete (ctr as Partial<Container>).image;
    delete c.activeDeadlineSeconds;
    delete c.tolerations;
    // nodeName may be set once (binding).
    if (!(old.spec?.nodeName)) delete c.nodeName;
    return JSON.stringify(c);
  };
  const oldSpec = structuredClone(old.spec) as PodSpec;
  if (oldSpec && !old.spec?.nodeName) delete (oldSpec as Partial<PodSpec>).nodeName;
  if (strip(pod.spec) !== strip(oldSpec)) {
    errs.push({
      type: "FieldValueForbidden",
      field: "spec",
      detail:
        "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    });
  }
  return [...errs, ...validatePod(pod)];
}

/** ValidatePodTemplateSpec: labels, annotations and the Pod spec under `path`. */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: string): FieldError[] {
  if (!t || typeof t !== "object") return [required(path, "")];
  return [
    ...validateLabels(t.metadata?.labels, `${path}.labels`),
    ...validateAnnotations(t.metadata?.annotations, `${path}.annotations`),
    ...validatePodSpec(t.spec, `${path}.spec`),
  ];
}
