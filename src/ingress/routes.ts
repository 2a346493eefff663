// From served Ingresses (+ Services, EndpointSlices, Secrets) to one route table: a server per
// host and, in each, its routes in the order the specification gives them precedence.
//
// Matching rules (networking.k8s.io/v1, kubernetes.io/docs/concepts/services-networking/ingress):
// - Host: exact host first, then a wildcard `*.foo.com` (exactly one label), then the rules
//   without a host (the catch-all server). A host's server holds only that host's rules, as
//   ingress-nginx does: a request for a known host that matches none of its paths goes to the
//   default backend, never to the host-less rules.
// - Path: Exact matches the whole path; Prefix matches by `/`-separated elements, a trailing
//   `/` ignored. Longest path first; on a tie Exact wins. We list Exact routes first (an Exact
//   route that matches is always at least as long as any matching prefix), then Prefix and
//   regex routes by length, longest first.
// - ImplementationSpecific is treated as Prefix; with use-regex "true", Prefix and
//   ImplementationSpecific paths are regular expressions anchored at the start of the path.
// - Rules of several Ingresses for one host are merged; when two name the same path (same
//   kind), the older Ingress (creationTimestamp, then namespace/name) wins, as in ingress-nginx.
// - No match: the defaultBackend of the oldest Ingress that contributes the host, else the
//   oldest served Ingress's defaultBackend, else 404.
// - Backends go to the Service's ClusterIP:port (the node's proxy balances, so endpoint changes
//   need no reload); headless Services go to their ready endpoints.
import { createHash } from "node:crypto";
import type { EndpointSlice, Ingress, IngressBackend, PathType, Secret, Service, ServicePort } from "../api/types.js";
import { ingressKey, parseAnnotations, type AnnotationError, type LocationOptions } from "./annotations.js";

export type PathKind = "Exact" | "Prefix" | "Regex";

export type Backend =
  | { type: "service"; service: string; port: number; address: string }
  | { type: "endpoints"; service: string; port: number; addresses: string[] }
  | { type: "none"; status: 404 | 503; reason: string };

export interface Route {
  /** The path as written in the Ingress ("/" when omitted). */
  path: string;
  kind: PathKind;
  declaredPathType: PathType;
  /** "namespace/name" of the Ingress. */
  ingress: string;
  backend: Backend;
  options: LocationOptions;
}

export interface Fallback {
  /** "" when no Ingress gave a defaultBackend (404). */
  ingress: string;
  backend: Backend;
  options: LocationOptions;
}

export interface ServerTLS {
  /** "namespace/name" of the Secret. */
  secret: string;
  ingress: string;
  /** The Secret exists, has type kubernetes.io/tls and both keys. */
  available: boolean;
  reason?: string;
  /** Digest of the certificate and key: a renewed Secret changes the configuration text (and so reloads nginx). */
  digest?: string;
}

export interface Server {
  /** Lower-case host; "" is the catch-all server (rules without host, unknown hosts). */
  host: string;
  wildcard: boolean;
  /** Precedence order: the first route that matches a request wins. */
  routes: Route[];
  fallback: Fallback;
  tls?: ServerTLS;
}

export interface RouteConflict {
  host: string;
  path: string;
  kind: PathKind;
  /** The Ingress whose route is used. */
  winner: string;
  /** The Ingress whose route is ignored. */
  loser: string;
}

export interface RouteTable {
  /** Catch-all server first, then hosts in string order. */
  servers: Server[];
  conflicts: RouteConflict[];
  /** Things that made a route unusable (bad paths, missing Secrets), one line each. */
  problems: string[];
}

export interface RoutesInput {
  /** Ingresses this controller serves (see class.ts), with valid annotations (see chooseEffectiveIngresses). */
  ingresses: readonly Ingress[];
  services: readonly Service[];
  endpointSlices?: readonly EndpointSlice[];
  secrets?: readonly Secret[];
}

/** A DNS-1123 subdomain, optionally `*.` in front (what API validation admits for rule hosts). */
export const HOST_RE = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const NOT_FOUND: Backend = { type: "none", status: 404, reason: "no rule matched and no default backend" };

/** Trailing slashes do not count for Prefix matching ("/foo/" is "/foo"); "/" stays "/". */
export function normalizePrefix(path: string): string {
  const p = path.replace(/\/+$/, "");
  return p === "" ? "/" : p;
}

/** Length that orders routes: longer first. */
export function routeLength(r: Pick<Route, "kind" | "path">): number {
  return r.kind === "Prefix" ? normalizePrefix(r.path).length : r.path.length;
}

const KIND_RANK: Record<PathKind, number> = { Exact: 0, Prefix: 1, Regex: 2 };

/** Sorts routes into precedence order (stable: equal keys keep their input order). */
export function sortRoutes(routes: Route[]): Route[] {
  return routes
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const ea = a.r.kind === "Exact" ? 0 : 1;
      const eb = b.r.kind === "Exact" ? 0 : 1;
      if (ea !== eb) return ea - eb;
      const d = routeLength(b.r) - routeLength(a.r);
      if (d !== 0) return d;
      const k = KIND_RANK[a.r.kind] - KIND_RANK[b.r.kind];
      return k !== 0 ? k : a.i - b.i;
    })
    .map((x) => x.r);
}

/** Oldest first: creationTimestamp, then namespace/name (as ingress-nginx orders them). */
export function compareIngressAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = ingressKey(a);
  const kb = ingressKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function hostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function resolveBackend(
  namespace: string,
  b: IngressBackend | undefined,
  services: readonly Service[],
  slices: readonly EndpointSlice[],
): Backend {
  if (!b) return NOT_FOUND;
  if (!b.service) return { type: "none", status: 503, reason: "resource backends are not supported" };
  const name = b.service.name;
  const key = `${namespace}/${name}`;
  const svc = services.find((s) => s.metadata.name === name && (s.metadata.namespace ?? "default") === namespace);
  if (!svc) return { type: "none", status: 503, reason: `service "${key}" not found` };
  if (svc.spec.type === "ExternalName") return { type: "none", status: 503, reason: `service "${key}" is of type ExternalName, which is not supported as a backend` };
  const want = b.service.port ?? {};
  let sp: ServicePort | undefined;
  if (want.number !== undefined && want.number !== 0) sp = svc.spec.ports?.find((p) => p.port === want.number && (p.protocol ?? "TCP") === "TCP");
  else if (want.name) sp = svc.spec.ports?.find((p) => p.name === want.name && (p.protocol ?? "TCP") === "TCP");
  if (!sp) {
    const what = want.number ? `port ${want.number}` : `port named "${want.name ?? ""}"`;
    return { type: "none", status: 503, reason: `service "${key}" has no TCP ${what}` };
  }
  const ip = svc.spec.clusterIP;
  if (ip && ip !== "None") return { type: "service", service: key, port: sp.port, address: hostPort(ip, sp.port) };
  // Headless: the ready endpoints themselves (these change with scaling and need a reload).
  const addresses = new Set<string>();
  for (const sl of slices) {
    if ((sl.metadata.namespace ?? "default") !== namespace) continue;
    if (sl.metadata.labels?.["kubernetes.io/service-name"] !== name) continue;
    if (sl.addressType === "FQDN") continue;
    const ep = (sl.ports ?? []).find((p) => (p.name ?? "") === (sp!.name ?? "") && (p.protocol ?? "TCP") === "TCP");
    if (!ep) continue;
    for (const e of sl.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      for (const a of e.addresses) addresses.add(hostPort(a, ep.port));
    }
  }
  if (addresses.size === 0) return { type: "none", status: 503, reason: `service "${key}" has no ready endpoints` };
  return { type: "endpoints", service: key, port: sp.port, addresses: [...addresses].sort() };
}

/** The default backend's location carries the Ingress's options, without path rewriting. */
function fallbackOptions(o: LocationOptions): LocationOptions {
  const { rewriteTarget: _r, ...rest } = o;
  return { ...rest, useRegex: false };
}

function pathProblem(path: string, kind: PathKind): string | undefined {
  if (/[\x00-\x1f\x7f]/.test(path)) return "must not contain control characters";
  if (kind !== "Regex" && !path.startsWith("/")) return "must be an absolute path";
  return undefined;
}

function tlsSecretState(ns: string, name: string, secrets: readonly Secret[]): { available: boolean; reason?: string; digest?: string } {
  const s = secrets.find((x) => x.metadata.name === name && (x.metadata.namespace ?? "default") === ns);
  if (!s) return { available: false, reason: `secret "${ns}/${name}" not found` };
  if (s.type !== "kubernetes.io/tls") return { available: false, reason: `secret "${ns}/${name}" is of type ${s.type ?? "Opaque"}, not kubernetes.io/tls` };
  if (!s.data?.["tls.crt"] || !s.data?.["tls.key"]) return { available: false, reason: `secret "${ns}/${name}" lacks tls.crt or tls.key` };
  return { available: true, digest: createHash("sha256").update(s.data["tls.crt"]).update("\n").update(s.data["tls.key"]).digest("hex").slice(0, 16) };
}

export function buildRoutes(input: RoutesInput): RouteTable {
  const slices = input.endpointSlices ?? [];
  const secrets = input.secrets ?? [];
  const ingresses = [...input.ingresses].sort(compareIngressAge);
  const problems: string[] = [];
  const conflicts: RouteConflict[] = [];

  interface Acc { host: string; routes: Route[]; seen: Map<string, string>; fallback?: Fallback; tls?: ServerTLS }
  const servers = new Map<string, Acc>();
  const server = (host: string): Acc => {
    let s = servers.get(host);
    if (!s) servers.set(host, (s = { host, routes: [], seen: new Map() }));
    return s;
  };
  server("");
  let globalFallback: Fallback | undefined;

  for (const ing of ingresses) {
    const key = ingressKey(ing);
    const ns = ing.metadata.namespace ?? "default";
    const { options } = parseAnnotations(ing);
    const def = ing.spec?.defaultBackend;
    const defFallback: Fallback | undefined = def
      ? { ingress: key, backend: resolveBackend(ns, def, input.services, slices), options: fallbackOptions(options) }
      : undefined;
    if (defFallback && !globalFallback) globalFallback = defFallback;

    for (const rule of ing.spec?.rules ?? []) {
      const host = (rule.host ?? "").toLowerCase();
      if (host !== "" && !HOST_RE.test(host)) {
        problems.push(`ingress "${key}": host ${JSON.stringify(rule.host)} is not a DNS name or *.wildcard`);
        continue;
      }
      const acc = server(host);
      if (defFallback && !acc.fallback) acc.fallback = defFallback;
      for (const p of rule.http?.paths ?? []) {
        const path = p.path || "/";
        const kind: PathKind = p.pathType === "Exact" ? "Exact" : options.useRegex ? "Regex" : "Prefix";
        const bad = pathProblem(path, kind);
        if (bad) {
          problems.push(`ingress "${key}": path ${JSON.stringify(path)} ${bad}`);
          continue;
        }
        const id = `${kind} ${kind === "Prefix" ? normalizePrefix(path) : path}`;
        const owner = acc.seen.get(id);
        if (owner !== undefined) {
          conflicts.push({ host, path, kind, winner: owner, loser: key });
          continue;
        }
        acc.seen.set(id, key);
        acc.routes.push({ path, kind, declaredPathType: p.pathType, ingress: key, backend: resolveBackend(ns, p.backend, input.services, slices), options });
      }
    }

    for (const t of ing.spec?.tls ?? []) {
      if (!t.secretName) continue;
      for (const h of t.hosts ?? []) {
        const host = h.toLowerCase();
        if (!HOST_RE.test(host)) continue;
        const acc = server(host);
        if (defFallback && !acc.fallback) acc.fallback = defFallback;
        if (acc.tls) continue;
        const st = tlsSecretState(ns, t.secretName, secrets);
        if (!st.available) problems.push(`ingress "${key}": TLS for ${host}: ${st.reason}`);
        acc.tls = { secret: `${ns}/${t.secretName}`, ingress: key, ...st };
      }
    }
  }

  const notFound: Fallback = { ingress: "", backend: NOT_FOUND, options: { useRegex: false, backendProtocol: "HTTP" } };
  const out: Server[] = [...servers.values()]
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
    .map((a) => ({
      host: a.host,
      wildcard: a.host.startsWith("*."),
      routes: sortRoutes(a.routes),
      fallback: a.host === "" ? (globalFallback ?? notFound) : (a.fallback ?? globalFallback ?? notFound),
      ...(a.tls && a.host !== "" ? { tls: a.tls } : {}),
    }));
  return { servers: out, conflicts, problems };
}

export interface EffectiveIngresses {
  /** What to route: valid current versions, or the last valid version of an invalid Ingress. */
  ingresses: Ingress[];
  /** Annotation errors of the current versions (one Event each). */
  invalid: AnnotationError[];
  /** The new last-valid versions by "namespace/name" (only of Ingresses still present). */
  lastGood: Map<string, Ingress>;
}

/**
 * A broken Ingress must not take the others down, nor lose its own routes: an Ingress whose
 * annotations are invalid keeps its last valid version (none: it is left out).
 */
export function chooseEffectiveIngresses(current: readonly Ingress[], lastGood: ReadonlyMap<string, Ingress>): EffectiveIngresses {
  const ingresses: Ingress[] = [];
  const invalid: AnnotationError[] = [];
  const next = new Map<string, Ingress>();
  for (const ing of current) {
    const key = ingressKey(ing);
    const { errors } = parseAnnotations(ing);
    if (errors.length === 0) {
      ingresses.push(ing);
      next.set(key, ing);
      continue;
    }
    invalid.push(...errors);
    const prev = lastGood.get(key);
    if (prev) {
      ingresses.push(prev);
      next.set(key, prev);
    }
  }
  return { ingresses, invalid, lastGood: next };
}
