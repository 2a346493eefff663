// A container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go
// makeEnvironmentVariables + pkg/kubelet/envvars): envFrom ConfigMaps, then the container's own
// env with `$(VAR)` expansion and valueFrom sources, then the service link variables that the
// container did not set itself.
//
// Order: the kubelet collects variables in Go maps, so its order is unspecified. We pick a stable
// one: container variables in declaration order (envFrom keys sorted per source, first), then the
// service variables, services sorted by name, each in envvars.FromServices order.
import type { ConfigMap, Container, EnvVar, Pod, Secret, Service } from "../api/types.js";

export interface EnvEntry {
  name: string;
  value: string;
}

export interface ContainerEnvResult {
  env: EnvEntry[];
  /** Set when the kubelet would refuse to start the container (missing ConfigMap or key). */
  error?: string;
  /** Kubelet's warning event text for skipped envFrom keys. */
  warnings: string[];
}

/** The kubelet's environment for `container` of `pod`. Throws when the kubelet would fail. */
export function containerEnv(
  pod: Pod,
  container: Container,
  services: Service[],
  configMaps: ConfigMap[],
  secrets: Secret[] = [],
): EnvEntry[] {
  const r = containerEnvResult(pod, container, services, configMaps, secrets);
  if (r.error) throw new Error(r.error);
  return r.env;
}

export function containerEnvResult(
  pod: Pod,
  container: Container,
  services: Service[],
  configMaps: ConfigMap[],
  secrets: Secret[] = [],
): ContainerEnvResult {
  const ns = pod.metadata.namespace ?? "default";
  const warnings: string[] = [];
  const serviceEnv = serviceEnvVars(ns, pod.spec.enableServiceLinks !== false, services);
  const serviceMap = new Map(serviceEnv.map((e) => [e.name, e.value]));
  const cmByName = new Map(configMaps.filter((c) => (c.metadata.namespace ?? "default") === ns).map((c) => [c.metadata.name ?? "", c]));
  const secretByName = new Map(secrets.filter((s) => (s.metadata.namespace ?? "default") === ns).map((s) => [s.metadata.name ?? "", s]));
  // Insertion-ordered: a later definition replaces the value and keeps the first position.
  const tmp = new Map<string, string>();

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    let data: Record<string, string> | undefined;
    let what: string;
    if (from.configMapRef) {
      what = "configMap";
      const cm = cmByName.get(from.configMapRef.name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        return { env: [], warnings, error: `configmap "${from.configMapRef.name}" not found` };
      }
      data = cm.data ?? {};
    } else if (from.secretRef) {
      what = "secret";
      const s = secretByName.get(from.secretRef.name);
      if (!s) {
        if (from.secretRef.optional) continue;
        return { env: [], warnings, error: `secret "${from.secretRef.name}" not found` };
      }
      data = secretData(s);
    } else continue;
    const invalid: string[] = [];
    for (const key of Object.keys(data).sort()) {
      const k = prefix + key;
      if (!isEnvVarName(k)) {
        invalid.push(k);
        continue;
      }
      tmp.set(k, data[key]);
    }
    if (invalid.length) {
      const name = from.configMapRef?.name ?? from.secretRef?.name;
      warnings.push(
        `Keys [${invalid.sort().join(", ")}] from the EnvFrom ${what} ${ns}/${name} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }

  const mapping = (name: string): string | undefined => tmp.get(name) ?? serviceMap.get(name);
  for (const ev of container.env ?? []) {
    const v = envVarValue(ev, pod, mapping, cmByName, secretByName, ns);
    if (v.error) return { env: [], warnings, error: v.error };
    if (v.skip) continue;
    tmp.set(ev.name, v.value ?? "");
  }

  const env: EnvEntry[] = [...tmp].map(([name, value]) => ({ name, value }));
  for (const e of serviceEnv) if (!tmp.has(e.name)) env.push(e);
  return { env, warnings };
}

function envVarValue(
  ev: EnvVar,
  pod: Pod,
  mapping: (n: string) => string | undefined,
  cms: Map<string, ConfigMap>,
  secrets: Map<string, Secret>,
  ns: string,
): { value?: string; skip?: boolean; error?: string } {
  if (ev.value) return { value: expandEnv(ev.value, mapping) };
  const from = ev.valueFrom;
  if (!from) return { value: "" };
  if (from.fieldRef) {
    const v = fieldRefValue(pod, from.fieldRef.fieldPath);
    if (v === undefined) return { error: `unsupported fieldPath: ${from.fieldRef.fieldPath}` };
    return { value: v };
  }
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = cms.get(ref.name);
    if (!cm) return ref.optional ? { skip: true } : { error: `configmap "${ref.name}" not found` };
    const v = cm.data?.[ref.key];
    if (v === undefined) return ref.optional ? { skip: true } : { error: `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}` };
    return { value: v };
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const s = secrets.get(ref.name);
    if (!s) return ref.optional ? { skip: true } : { error: `secret "${ref.name}" not found` };
    const v = secretData(s)[ref.key];
    if (v === undefined) return ref.optional ? { skip: true } : { error: `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` };
    return { value: v };
  }
  return { value: "" };
}

function secretData(s: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = v;
  return out;
}

/** The downward API fields the kubelet resolves for env (podFieldSelectorRuntimeValue). */
export function fieldRefValue(pod: Pod, path: string): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) return (m[1] === "labels" ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]] ?? "";
  const spec = pod.spec as unknown as Record<string, unknown>;
  switch (path) {
    case "metadata.name":
      return pod.metadata.name ?? "";
    case "metadata.namespace":
      return pod.metadata.namespace ?? "default";
    case "metadata.uid":
      return pod.metadata.uid ?? "";
    case "spec.nodeName":
      return pod.spec.nodeName ?? "";
    case "spec.serviceAccountName":
      return typeof spec.serviceAccountName === "string" ? spec.serviceAccountName : "";
    case "status.hostIP":
      return pod.status?.hostIP ?? "";
    case "status.hostIPs":
      return (pod.status?.hostIPs ?? []).map((h) => h.ip).join(",");
    case "status.podIP":
      return pod.status?.podIP ?? "";
    case "status.podIPs":
      return (pod.status?.podIPs ?? []).map((p) => p.ip).join(",");
  }
  return undefined;
}

/**
 * Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion): `$$` is a literal `$`,
 * unknown or unterminated references stay as written.
 */
export function expandEnv(input: string, mapping: (name: string) => string | undefined): string {
  let out = "";
  let checkpoint = 0;
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== "$" || i + 1 >= input.length) continue;
    out += input.slice(checkpoint, i);
    const next = input[i + 1];
    let advance = 1;
    if (next === "$") out += "$";
    else if (next === "(") {
      const close = input.indexOf(")", i + 2);
      if (close < 0) out += "$(";
      else {
        const name = input.slice(i + 2, close);
        const v = mapping(name);
        out += v ?? `$(${name})`;
        advance = close - i;
      }
    } else out += "$" + next;
    i += advance;
    checkpoint = i + 1;
  }
  return out + input.slice(checkpoint);
}

/** IsEnvVarName: `[-._a-zA-Z][-._a-zA-Z0-9]*`, and not "." / ".." / starting with "..". */
export function isEnvVarName(s: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(s) && s !== "." && s !== ".." && !s.startsWith("..");
}

function isServiceIPSet(s: Service): boolean {
  const ip = s.spec.clusterIP;
  return !!ip && ip !== "None";
}

/** The service link variables the kubelet gives a Pod in namespace `ns` (getServiceEnvVarMap + FromServices). */
export function serviceEnvVars(ns: string, enableServiceLinks: boolean, services: Service[]): EnvEntry[] {
  const byName = new Map<string, Service>();
  for (const s of services) {
    if (!isServiceIPSet(s)) continue;
    const sns = s.metadata.namespace ?? "default";
    const name = s.metadata.name ?? "";
    // The master service of `default` always; the Pod's own namespace when service links are on.
    if (sns === "default" && name === "kubernetes") {
      if (!byName.has(name)) byName.set(name, s);
    } else if (sns === ns && enableServiceLinks) byName.set(name, s);
  }
  const out: EnvEntry[] = [];
  for (const name of [...byName.keys()].sort()) out.push(...fromService(byName.get(name)!));
  return out;
}

function envName(s: string): string {
  const n = s.replace(/[.-]/g, "_").toUpperCase();
  return /^[0-9]/.test(n) ? "_" + n : n;
}

function fromService(svc: Service): EnvEntry[] {
  const ports = svc.spec.ports ?? [];
  if (ports.length === 0) return [];
  const ip = svc.spec.clusterIP!;
  const prefix = envName(svc.metadata.name ?? "");
  const out: EnvEntry[] = [{ name: `${prefix}_SERVICE_HOST`, value: ip }];
  out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
  for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
  // Docker link variables; IPv6 addresses in brackets in the URLs (net.JoinHostPort upstream).
  const host = ip.includes(":") ? `[${ip}]` : ip;
  ports.forEach((p, i) => {
    const proto = (p.protocol ?? "TCP").toLowerCase();
    const url = `${proto}://${host}:${p.port}`;
    if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push({ name: pp, value: url }, { name: `${pp}_PROTO`, value: proto }, { name: `${pp}_PORT`, value: String(p.port) }, { name: `${pp}_ADDR`, value: ip });
  });
  return out;
}
