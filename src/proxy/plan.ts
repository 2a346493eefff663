// The mode-independent proxy plan: from Services and EndpointSlices (as kube-proxy sees them
// on one node) to one entry per service port with its addresses, policies and the endpoints
// that Cluster and Local traffic use (upstream's CategorizeEndpoints). Pure.
import type { EndpointSlice, Service, Protocol } from "../api/types.js";
import type { KubeProxyConfiguration } from "./config.js";
import { canonicalCIDR, isIPv4, parseIPv4 } from "./ip.js";
import { formatIPv4 } from "../cluster/ipv4.js";
import { canonicalIPv6 as rfc5952 } from "../cluster/ipv6.js";
import { joinHostPort } from "./service-port-name.js";

export type IPFamily = "IPv4" | "IPv6";

export interface ProxyInput {
  services: Service[];
  endpointSlices: EndpointSlice[];
  nodeName: string;
  /** The node's own addresses (NodePorts, LoadBalancerSourceRanges "allow from node"). */
  nodeIPs: string[];
  config: KubeProxyConfiguration;
  /** The node's labels (topology.kubernetes.io/zone for topology hints). */
  nodeLabels?: Record<string, string>;
  ipFamily?: IPFamily;
}

export interface PlanEndpoint {
  ip: string;
  port: number;
  /** "ip:port" (IPv6 in brackets): kube-proxy's endpoint string. */
  endpoint: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  isLocal: boolean;
  zoneHints: string[];
}

export interface PlanServicePort {
  namespace: string;
  name: string;
  portName: string;
  /** servicePortName: "ns/name" or "ns/name:port". */
  spn: string;
  protocol: Protocol;
  /** lower-case protocol, as rules spell it. */
  proto: "tcp" | "udp" | "sctp";
  clusterIP: string;
  port: number;
  nodePort: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  healthCheckNodePort: number;
  sessionAffinity: "None" | "ClientIP";
  stickyMaxAgeSeconds: number;
  externalTrafficPolicy: "Cluster" | "Local";
  internalTrafficPolicy: "Cluster" | "Local";
  externallyAccessible: boolean;
  internalPolicyLocal: boolean;
  externalPolicyLocal: boolean;
  usesClusterEndpoints: boolean;
  usesLocalEndpoints: boolean;
  /** Every endpoint kube-proxy knows for this port, sorted by "ip:port". */
  endpoints: PlanEndpoint[];
  clusterEndpoints: PlanEndpoint[];
  localEndpoints: PlanEndpoint[];
  /** Union of the two above, sorted: the endpoints that get a SEP/endpoint chain here. */
  reachableEndpoints: PlanEndpoint[];
  /** Usable endpoints exist somewhere in the cluster. */
  hasEndpoints: boolean;
}

export interface ProxyPlan {
  nodeName: string;
  nodeIPs: string[];
  ipFamily: IPFamily;
  config: KubeProxyConfiguration;
  /** Sorted by namespace/name, then the service's port order. */
  services: PlanServicePort[];
  totalEndpoints: number;
  /** Objects or fields skipped, with why (never fatal). */
  warnings: string[];
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
/** Shared lower-case protocol strings (toLowerCase made a new string per service port). */
const LOWER_PROTOCOL: Record<string, string> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };
const ZONE_LABEL = "topology.kubernetes.io/zone";

function familyOf(ip: string): IPFamily | undefined {
  if (ip.includes(":")) return "IPv6";
  if (isIPv4(ip)) return "IPv4";
  return undefined;
}

/** An octet written with a leading zero ("10.180.00.001"). */
const PADDED_OCTET = /(?:^|\.)0\d/;

/**
 * kube-proxy parses addresses leniently (leading zeros are decimal) and writes them in
 * canonical form; the common unpadded address is returned as it is (one regex test).
 */
function canonicalIPv4(ip: string): string {
  if (!PADDED_OCTET.test(ip)) return ip;
  const n = parseIPv4(ip);
  return n === undefined ? ip : formatIPv4(n);
}

/**
 * What may make an IPv6 address non-canonical: capitals, a group starting with 0 (padded, or
 * a zero group that may belong compressed), or "::" standing for one group (RFC 5952 writes
 * that 0). Errs toward the slow path: a false alarm only costs a parse.
 */
const IPV6_MAYBE_LONG = /[A-F]|(?:^|:)0(?:[0-9a-fA-F]|:|$)/;
const maybeNonCanonicalIPv6 = (ip: string) => IPV6_MAYBE_LONG.test(ip) || (ip.includes("::") && ip.split(":").filter(Boolean).length === 7);

/**
 * kube-proxy writes IPv6 addresses as Go's net.IP.String() does (RFC 5952: lower case, the
 * longest zero run compressed); so does the WHATWG URL serializer. Dotted tails are left as
 * written (Go prints those differently).
 */
function canonicalIPv6(ip: string): string {
  if (!maybeNonCanonicalIPv6(ip) || ip.includes(".")) return ip;
  return rfc5952(ip) ?? ip; // not an address: left for validation to name
}

/** Endpoint addresses come from EndpointSlices of one addressType; a cheap check suffices. */
function endpointFamily(ip: string): IPFamily {
  return ip.includes(":") ? "IPv6" : "IPv4";
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Shared by every endpoint without topology hints (read-only): 100,000s of empty arrays cost GC time. */
const NO_HINTS: string[] = Object.freeze([]) as unknown as string[];

/** Endpoints per "ns/name" -> "portName/PROTO", unsorted, duplicates included (see sortEndpoints). */
function collectEndpoints(slices: EndpointSlice[], family: IPFamily, nodeName: string, warnings: string[]): Map<string, Map<string, PlanEndpoint[]>> {
  const out = new Map<string, Map<string, PlanEndpoint[]>>();
  for (const s of slices) {
    if (s.addressType !== family) continue;
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const ns = s.metadata.namespace ?? "default";
    const key = `${ns}/${svc}`;
    let byPort = out.get(key);
    if (!byPort) out.set(key, (byPort = new Map()));
    for (const p of s.ports ?? []) {
      if (typeof p.port !== "number" || p.port <= 0) {
        warnings.push(`EndpointSlice ${ns}/${s.metadata.name}: port ${JSON.stringify(p.name ?? "")} has no number; skipped`);
        continue;
      }
      const pk = `${p.name ?? ""}/${p.protocol ?? "TCP"}`;
      let eps = byPort.get(pk);
      if (!eps) byPort.set(pk, (eps = []));
      // joinHostPort with the ":port" made once per port, not per endpoint.
      const portSuffix = `:${p.port}`;
      for (const e of s.endpoints ?? []) {
        const raw = e.addresses?.[0];
        if (!raw || endpointFamily(raw) !== family) continue;
        const ip = family === "IPv4" ? canonicalIPv4(raw) : canonicalIPv6(raw);
        const hints = e.hints?.forZones;
        eps.push({
          ip,
          port: p.port,
          endpoint: family === "IPv6" ? joinHostPort(ip, p.port) : ip + portSuffix,
          ready: e.conditions?.ready ?? true,
          serving: e.conditions?.serving ?? true,
          terminating: e.conditions?.terminating ?? false,
          nodeName: e.nodeName,
          isLocal: !!e.nodeName && e.nodeName === nodeName,
          zoneHints: hints && hints.length ? hints.map((z) => z.name) : NO_HINTS,
        });
      }
    }
  }
  return out;
}

const byEndpoint = (a: PlanEndpoint, b: PlanEndpoint) => compareStrings(a.endpoint, b.endpoint);

/**
 * Up to this many endpoints (the usual port) are sorted by insertion: ~5x faster than
 * Array.prototype.sort with a comparator for 10 (no call per comparison), 10,000s of times a plan.
 */
const INSERTION_SORT_MAX = 32;

/** Sorts eps by endpoint in place, stably. */
function insertionSortByEndpoint(eps: PlanEndpoint[]): void {
  for (let i = 1; i < eps.length; i++) {
    const e = eps[i];
    const key = e.endpoint;
    let j = i - 1;
    while (j >= 0 && eps[j].endpoint > key) {
      eps[j + 1] = eps[j];
      j--;
    }
    eps[j + 1] = e;
  }
}

/**
 * Sorted by "ip:port", one entry per endpoint. The same endpoint in two slices (a slice move,
 * or an IP reused from a terminating Pod) is the later copy unless that one is terminating,
 * as kube-proxy's EndpointSliceCache.addEndpoints decides (1.30+).
 */
function sortEndpoints(eps: PlanEndpoint[]): PlanEndpoint[] {
  // Stable either way: copies of one endpoint stay in slice order.
  if (eps.length <= INSERTION_SORT_MAX) insertionSortByEndpoint(eps);
  else eps.sort(byEndpoint);
  let w = 0;
  for (let r = 0; r < eps.length; r++) {
    const e = eps[r];
    if (w > 0 && eps[w - 1].endpoint === e.endpoint) {
      if (!e.terminating) eps[w - 1] = e;
      continue;
    }
    eps[w++] = e;
  }
  eps.length = w;
  return eps;
}

/** The ready endpoints; eps itself when all are (the usual case: one array less per port). */
function readyOnly(eps: PlanEndpoint[]): PlanEndpoint[] {
  for (const e of eps) if (!e.ready) return eps.filter((x) => x.ready);
  return eps;
}

function categorize(sp: PlanServicePort, zone: string | undefined): void {
  const eps = sp.endpoints;
  let useTopology = false;
  let useServingTerminating = false;
  let hasAny = false;
  let cluster: PlanEndpoint[] = [];
  let local: PlanEndpoint[] = [];
  if (sp.usesClusterEndpoints) {
    if (zone) {
      // Zone hints apply only when every ready endpoint has one and one is for our zone.
      const ready = eps.filter((e) => e.ready);
      useTopology = ready.length > 0 && ready.every((e) => e.zoneHints.length > 0) && ready.some((e) => e.zoneHints.includes(zone));
    }
    cluster = useTopology ? eps.filter((e) => e.ready && e.zoneHints.includes(zone!)) : readyOnly(eps);
    if (cluster.length === 0) cluster = eps.filter((e) => e.serving && e.terminating);
    if (cluster.length > 0) hasAny = true;
  }
  if (sp.usesLocalEndpoints) {
    let localReady = false;
    let localServingTerminating = false;
    for (const e of eps) {
      if (e.ready) {
        hasAny = true;
        if (e.isLocal) localReady = true;
      } else if (e.serving && e.terminating) {
        hasAny = true;
        if (e.isLocal) localServingTerminating = true;
      }
    }
    if (localReady) local = eps.filter((e) => e.isLocal && e.ready);
    else if (localServingTerminating) {
      useServingTerminating = true;
      local = eps.filter((e) => e.isLocal && e.serving && e.terminating);
    }
  }
  sp.clusterEndpoints = cluster;
  sp.localEndpoints = local;
  sp.hasEndpoints = hasAny;
  if (!sp.usesLocalEndpoints) sp.reachableEndpoints = cluster;
  else if (!sp.usesClusterEndpoints) sp.reachableEndpoints = local;
  else if (!useTopology && !useServingTerminating) sp.reachableEndpoints = cluster;
  else {
    const m = new Map<string, PlanEndpoint>();
    for (const e of [...cluster, ...local]) m.set(e.endpoint, e);
    sp.reachableEndpoints = [...m.values()].sort((a, b) => compareStrings(a.endpoint, b.endpoint));
  }
}

export function planProxy(input: ProxyInput): ProxyPlan {
  const family = input.ipFamily ?? "IPv4";
  const warnings: string[] = [];
  const endpointsBySvc = collectEndpoints(input.endpointSlices, family, input.nodeName, warnings);
  const zone = input.nodeLabels?.[ZONE_LABEL];
  const canonical = family === "IPv4" ? canonicalIPv4 : canonicalIPv6;
  const services: PlanServicePort[] = [];
  // Keys built once, not twice per comparison.
  const keyed = input.services.map((svc) => ({ key: `${svc.metadata.namespace ?? "default"}/${svc.metadata.name ?? ""}`, svc }));
  keyed.sort((a, b) => compareStrings(a.key, b.key));
  for (const { key, svc } of keyed) {
    const spec = svc.spec ?? {};
    const ns = svc.metadata.namespace ?? "default";
    const name = svc.metadata.name ?? "";
    if (spec.type === "ExternalName") continue;
    const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
    if (ips.length === 0 || ips[0] === "None") continue; // headless or not yet allocated
    const familyIP = ips.find((ip) => familyOf(ip) === family);
    if (!familyIP) continue;
    const clusterIP = canonical(familyIP);
    const externalIPs = (spec.externalIPs ?? []).filter((ip) => familyOf(ip) === family).map(canonical);
    const lbIPs = (svc.status?.loadBalancer?.ingress ?? [])
      .filter((i) => i.ip && i.ipMode !== "Proxy" && familyOf(i.ip) === family)
      .map((i) => canonical(i.ip as string));
    const sourceRanges: string[] = [];
    for (const r of spec.loadBalancerSourceRanges ?? []) {
      // The plan's family only (MapCIDRsByIPFamily), masked and canonical.
      if (r.includes(":") !== (family === "IPv6")) continue;
      const c = canonicalCIDR(r);
      if (c) sourceRanges.push(c);
      else warnings.push(`Service ${ns}/${name}: loadBalancerSourceRanges: ignoring invalid CIDR ${JSON.stringify(r)}`);
    }
    const etp = spec.externalTrafficPolicy === "Local" ? "Local" : "Cluster";
    const itp = spec.internalTrafficPolicy === "Local" ? "Local" : "Cluster";
    const affinity = spec.sessionAffinity === "ClientIP" ? "ClientIP" : "None";
    const sticky = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800;
    const hcnp = spec.type === "LoadBalancer" && etp === "Local" ? spec.healthCheckNodePort ?? 0 : 0;
    const byPort = endpointsBySvc.get(key); // "ns/name"
    for (const p of spec.ports ?? []) {
      const protocol: Protocol = p.protocol ?? "TCP";
      const portName = p.name ?? "";
      const nodePort = p.nodePort ?? 0;
      const externallyAccessible = nodePort !== 0 || lbIPs.length > 0 || externalIPs.length > 0;
      const externalPolicyLocal = externallyAccessible && etp === "Local";
      const internalPolicyLocal = itp === "Local";
      const found = byPort?.get(`${portName}/${protocol}`);
      // A copy: two ports of one service may share the same endpoint list.
      const eps = found ? sortEndpoints([...found]) : [];
      const sp: PlanServicePort = {
        namespace: ns,
        name,
        portName,
        spn: portName ? `${key}:${portName}` : key, // servicePortNameString
        protocol,
        proto: (LOWER_PROTOCOL[protocol] ?? protocol.toLowerCase()) as PlanServicePort["proto"],
        clusterIP,
        port: p.port,
        nodePort,
        externalIPs,
        loadBalancerIPs: lbIPs,
        loadBalancerSourceRanges: sourceRanges,
        healthCheckNodePort: hcnp,
        sessionAffinity: affinity,
        stickyMaxAgeSeconds: sticky,
        externalTrafficPolicy: etp,
        internalTrafficPolicy: itp,
        externallyAccessible,
        internalPolicyLocal,
        externalPolicyLocal,
        // Cluster endpoints also for external traffic under a Local policy: its short circuit (upstream UsesClusterEndpoints).
        usesClusterEndpoints: !internalPolicyLocal || externallyAccessible,
        usesLocalEndpoints: internalPolicyLocal || (externallyAccessible && externalPolicyLocal),
        endpoints: eps,
        clusterEndpoints: [],
        localEndpoints: [],
        reachableEndpoints: [],
        hasEndpoints: false,
      };
      categorize(sp, zone);
      services.push(sp);
    }
  }
  const totalEndpoints = services.reduce((n, s) => n + s.endpoints.length, 0);
  return { nodeName: input.nodeName, nodeIPs: input.nodeIPs, ipFamily: family, config: input.config, services, totalEndpoints, warnings };
}
