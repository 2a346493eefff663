// kube-proxy's nftables design as data: the fixed part of table `ip kube-proxy` and, per
// service port, the chains, map/set elements and affinity sets it owns. The full render and
// the per-service update transactions are both serialized from this model, so they cannot
// disagree. Pure.
import { clusterCIDRFor, masqueradeMark } from "../config.js";
import { nftEndpointBase, nftServiceBase } from "../hash.js";
import { inCIDR } from "../ip.js";
import type { PlanEndpoint, PlanServicePort, ProxyPlan } from "../plan.js";
import { nodePortIPs } from "../iptables/render.js";
import { endpointSlot, MAX_MAPPED_ENDPOINTS, type EndpointSlot } from "./endpoint-maps.js";

export const TABLE = "kube-proxy";

/**
 * How a service chain picks an endpoint.
 * - "maps" (default, built to scale): one rule per service chain,
 *   `meta l4proto tcp dnat ip addr . port to numgen random mod k offset O map @endpoints-tcp-XX`,
 *   the endpoints being elements O .. O+k-1 of one of 256 shared data maps (see
 *   endpoint-maps.ts): an endpoint change is an element change, which the kernel applies
 *   without re-validating the table. Chains with session affinity, a single endpoint, more
 *   than MAX_MAPPED_ENDPOINTS, or a slot shared with another service port use "rules".
 * - "rules": one rule per endpoint in the service chain,
 *   `numgen random mod (n-i) == 0 meta l4proto tcp dnat to ip:port` (the iptables statistic
 *   scheme: each endpoint gets 1/n overall), and no per-endpoint chains at all.
 * - "vmap": upstream's shape: an `endpoint-...` chain per endpoint and
 *   `numgen random mod n vmap { 0 : goto ..., ... }`, an anonymous map per service; the
 *   kernel's bulk load of those grows quadratically with the number of services.
 * None but "vmap" uses anonymous sets, so bulk loads stay linear.
 */
export type EndpointSelection = "maps" | "rules" | "vmap";

export interface NftRenderOptions {
  endpointSelection?: EndpointSelection;
}

export interface NftElement {
  /** The set or map. */
  set: string;
  /**
   * Key as nft prints it, e.g. "10.96.0.1 . tcp . 443"; in hairpin-endpoints the address
   * alone, which is both halves of the key (see elementKey): 100,000s of them at 10k x 10,
   * deduplicated by the address without making a string each.
   */
  key: string;
  /** Map value ("goto chain", "drop"); undefined for plain sets. */
  value?: string;
  comment?: string;
}

export interface NftChain {
  name: string;
  rules: string[];
  comment?: string;
}

export interface NftAffinitySet {
  name: string;
  timeoutSeconds: number;
}

/** Everything one service port owns in the table. */
export interface NftServiceFragment {
  /** "ns/name": the unit of change. */
  service: string;
  chains: NftChain[];
  elements: NftElement[];
  affinitySets: NftAffinitySet[];
  /**
   * Its chains' endpoints kept in shared endpoint maps (declared once, never deleted: other
   * services share them): elements offset+i : endpoints[i]. One record per chain rather than
   * an NftElement per endpoint: a full render at 10k x 10 made 100,000 of those for nothing.
   */
  mapped: NftMappedEndpoints[];
}

export interface NftMappedEndpoints {
  map: string;
  offset: number;
  endpoints: { ip: string; port: number }[];
}

/** An endpoint map element's value: the DNAT target as `dnat ip addr . port` takes it. */
export function endpointMapValue(ep: { ip: string; port: number }): string {
  return `${ep.ip} . ${ep.port}`;
}

/** The map elements of a fragment's mapped endpoints, as NftElements (for update diffs). */
export function mappedElements(f: NftServiceFragment): NftElement[] {
  return f.mapped.flatMap((m) => m.endpoints.map((ep, i) => ({ set: m.map, key: String(m.offset + i), value: endpointMapValue(ep) })));
}

export interface NftSetDecl {
  name: string;
  kind: "set" | "map";
  type: string;
  comment: string;
}

export interface NftModel {
  family: "ip" | "ip6";
  baseChains: { name: string; type: "filter" | "nat"; hook: string; priority: number; rules: string[] }[];
  /** Fixed regular chains with their rules. */
  chains: NftChain[];
  sets: NftSetDecl[];
  /** Fixed elements (nodeport-ips). */
  elements: NftElement[];
  services: NftServiceFragment[];
}

export const SERVICE_IPS = "service-ips";
export const SERVICE_NODEPORTS = "service-nodeports";
export const CLUSTER_IPS = "cluster-ips";
export const NO_ENDPOINT_SERVICES = "no-endpoint-services";
export const NO_ENDPOINT_NODEPORTS = "no-endpoint-nodeports";
export const FIREWALL_IPS = "firewall-ips";
export const NODEPORT_IPS = "nodeport-ips";
/**
 * Scaling deviation from upstream: kube-proxy writes, per endpoint chain, a hairpin rule
 * (`ip saddr <ep> jump mark-for-masquerade`) and, per service chain, the off-cluster
 * masquerade rule. Here hairpin traffic is found by one set lookup in nat-postrouting
 * (source == DNATed destination) and off-cluster ClusterIP traffic by one rule in
 * `services`: the same packets get masqueraded, with a third fewer rules to load.
 */
export const HAIRPIN_ENDPOINTS = "hairpin-endpoints";

export function serviceChainNames(sp: PlanServicePort): { svc: string; local: string; ext: string; fw: string } {
  const base = nftServiceBase(sp.namespace, sp.name, sp.proto, sp.portName);
  return { svc: `service-${base}`, local: `local-${base}`, ext: `external-${base}`, fw: `firewall-${base}` };
}

export function endpointChainName(sp: PlanServicePort, ep: PlanEndpoint): string {
  return `endpoint-${nftEndpointBase(sp.namespace, sp.name, sp.proto, sp.portName, ep.ip, ep.port)}`;
}
export function affinitySetName(sp: PlanServicePort, ep: PlanEndpoint): string {
  return `affinity-${nftEndpointBase(sp.namespace, sp.name, sp.proto, sp.portName, ep.ip, ep.port)}`;
}

export function buildNftModel(plan: ProxyPlan, opts: NftRenderOptions = {}): NftModel {
  const m = fixedNftModel(plan);
  m.services = plan.services.map((sp) => serviceFragment(sp, plan, m.family, opts.endpointSelection ?? "maps"));
  return m;
}

/** The model without its services (the table's fixed part). */
export function fixedNftModel(plan: ProxyPlan): NftModel {
  const ipX = plan.ipFamily === "IPv6" ? "ip6" : "ip";
  const addrType = plan.ipFamily === "IPv6" ? "ipv6_addr" : "ipv4_addr";
  const noLocalhost = plan.ipFamily === "IPv6" ? "ip6 daddr != ::1" : "ip daddr != 127.0.0.0/8";
  const mark = masqueradeMark(plan.config);
  const npIPs = nodePortIPs(plan);

  const baseChains: NftModel["baseChains"] = [
    { name: "filter-prerouting", type: "filter", hook: "prerouting", priority: -110, rules: ["ct state new jump firewall-check"] },
    { name: "filter-input", type: "filter", hook: "input", priority: -110, rules: ["ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"] },
    { name: "filter-forward", type: "filter", hook: "forward", priority: -110, rules: ["ct state new jump service-endpoints-check", "ct state new jump cluster-ips-check"] },
    { name: "filter-output", type: "filter", hook: "output", priority: -110, rules: ["ct state new jump service-endpoints-check", "ct state new jump firewall-check"] },
    { name: "filter-output-post-dnat", type: "filter", hook: "output", priority: -90, rules: ["ct state new jump cluster-ips-check"] },
    { name: "nat-prerouting", type: "nat", hook: "prerouting", priority: -100, rules: ["jump services"] },
    { name: "nat-output", type: "nat", hook: "output", priority: -100, rules: ["jump services"] },
    { name: "nat-postrouting", type: "nat", hook: "postrouting", priority: 100, rules: ["jump masquerading"] },
  ];
  const npMatch = npIPs === null ? noLocalhost : `${ipX} daddr @${NODEPORT_IPS}`;
  const cfg = plan.config;
  const localCIDR = clusterCIDRFor(cfg, plan.ipFamily);
  const offCluster = cfg.iptables.masqueradeAll
    ? [`${ipX} daddr @${CLUSTER_IPS} jump mark-for-masquerade`]
    : localCIDR
      ? [`${ipX} daddr @${CLUSTER_IPS} ${ipX} saddr != ${localCIDR} jump mark-for-masquerade`]
      : [];
  const chains: NftChain[] = [
    { name: "nodeport-endpoints-check", rules: [`${npMatch} meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS}`] },
    { name: "service-endpoints-check", rules: [`${ipX} daddr . meta l4proto . th dport vmap @${NO_ENDPOINT_SERVICES}`] },
    { name: "firewall-check", rules: [`${ipX} daddr . meta l4proto . th dport vmap @${FIREWALL_IPS}`] },
    {
      name: "services",
      rules: [
        ...offCluster,
        `${ipX} daddr . meta l4proto . th dport vmap @${SERVICE_IPS}`,
        npIPs === null ? `fib daddr type local ${noLocalhost} meta l4proto . th dport vmap @${SERVICE_NODEPORTS}` : `${ipX} daddr @${NODEPORT_IPS} meta l4proto . th dport vmap @${SERVICE_NODEPORTS}`,
      ],
    },
    // kube-proxy's words (mark ... or/and/xor) and its unconditional fully-random masquerade.
    { name: "masquerading", rules: [`ct status dnat ${ipX} saddr . ${ipX} daddr @${HAIRPIN_ENDPOINTS} jump mark-for-masquerade`, `mark and ${mark} == 0 return`, `mark set mark xor ${mark}`, "masquerade fully-random"] },
    { name: "cluster-ips-check", rules: [`${ipX} daddr @${CLUSTER_IPS} reject comment "Reject traffic to invalid ports of ClusterIPs"`] },
    { name: "mark-for-masquerade", rules: [`mark set mark or ${mark}`] },
    { name: "reject-chain", rules: ["reject"], comment: `helper for @${NO_ENDPOINT_SERVICES} / @${NO_ENDPOINT_NODEPORTS}` },
  ];
  const sets: NftSetDecl[] = [
    { name: CLUSTER_IPS, kind: "set", type: addrType, comment: "Active ClusterIPs" },
    { name: NO_ENDPOINT_SERVICES, kind: "map", type: `${addrType} . inet_proto . inet_service : verdict`, comment: "vmap to drop or reject packets to services with no endpoints" },
    { name: NO_ENDPOINT_NODEPORTS, kind: "map", type: "inet_proto . inet_service : verdict", comment: "vmap to drop or reject packets to service nodeports with no endpoints" },
    { name: FIREWALL_IPS, kind: "map", type: `${addrType} . inet_proto . inet_service : verdict`, comment: "destinations that are subject to LoadBalancerSourceRanges" },
    { name: SERVICE_IPS, kind: "map", type: `${addrType} . inet_proto . inet_service : verdict`, comment: "ClusterIP, ExternalIP and LoadBalancer IP traffic" },
    { name: SERVICE_NODEPORTS, kind: "map", type: "inet_proto . inet_service : verdict", comment: "NodePort traffic" },
    { name: HAIRPIN_ENDPOINTS, kind: "set", type: `${addrType} . ${addrType}`, comment: "endpoint to itself after DNAT: masqueraded" },
  ];
  const elements: NftElement[] = [];
  if (npIPs !== null) {
    sets.push({ name: NODEPORT_IPS, kind: "set", type: addrType, comment: "IPs that accept NodePort traffic" });
    for (const ip of npIPs) if (!ip.startsWith("127.") && ip !== "::1") elements.push({ set: NODEPORT_IPS, key: ip });
  }
  return { family: ipX, baseChains, chains, sets, elements, services: [] };
}

/** The chains, elements and affinity sets of one service port (upstream syncProxyRules' loop body). */
export function serviceFragment(sp: PlanServicePort, plan: ProxyPlan, ipX: string, selection: EndpointSelection): NftServiceFragment {
  const cfg = plan.config;
  const n = serviceChainNames(sp);
  const p = sp.proto;
  const frag: NftServiceFragment = { service: `${sp.namespace}/${sp.name}`, chains: [], elements: [], affinitySets: [], mapped: [] };
  const hasEndpoints = sp.hasEndpoints;
  const usesCluster = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints;
  const usesLocal = sp.localEndpoints.length > 0 && sp.usesLocalEndpoints;
  const internalChain = sp.internalPolicyLocal ? n.local : n.svc;
  const hasInternal = hasEndpoints && !(sp.internalPolicyLocal && sp.localEndpoints.length === 0);
  const externalPolicyChain = sp.externalPolicyLocal ? n.local : n.svc;
  const hasExternal = hasEndpoints && !(sp.externalPolicyLocal && sp.localEndpoints.length === 0);
  const usesExt = hasEndpoints && sp.externallyAccessible;
  const usesFW = sp.loadBalancerIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  let intVerdict = "";
  let extVerdict = "";
  if (!hasEndpoints) intVerdict = extVerdict = "goto reject-chain";
  else {
    if (!hasInternal) intVerdict = "drop";
    if (!hasExternal) extVerdict = "drop";
  }
  const key = (ip: string, port: number) => `${ip} . ${p} . ${port}`;
  const el = (set: string, k: string, value?: string, comment?: string) => frag.elements.push({ set, key: k, value, comment });

  el(CLUSTER_IPS, sp.clusterIP);
  if (hasInternal) el(SERVICE_IPS, key(sp.clusterIP, sp.port), `goto ${internalChain}`);
  else el(NO_ENDPOINT_SERVICES, key(sp.clusterIP, sp.port), intVerdict, sp.spn);
  for (const eip of sp.externalIPs) {
    if (hasEndpoints) el(SERVICE_IPS, key(eip, sp.port), `goto ${n.ext}`);
    if (!hasExternal) el(NO_ENDPOINT_SERVICES, key(eip, sp.port), extVerdict, sp.spn);
  }
  for (const lb of sp.loadBalancerIPs) {
    if (hasEndpoints) el(SERVICE_IPS, key(lb, sp.port), `goto ${n.ext}`);
    if (usesFW) el(FIREWALL_IPS, key(lb, sp.port), `goto ${n.fw}`);
  }
  if (!hasExternal) for (const lb of sp.loadBalancerIPs) el(NO_ENDPOINT_SERVICES, key(lb, sp.port), extVerdict, sp.spn);
  if (sp.nodePort !== 0) {
    if (hasEndpoints) el(SERVICE_NODEPORTS, `${p} . ${sp.nodePort}`, `goto ${n.ext}`);
    if (!hasExternal) el(NO_ENDPOINT_NODEPORTS, `${p} . ${sp.nodePort}`, extVerdict, sp.spn);
  }

  // One hash per endpoint, shared by its chain, its affinity set and the service's rules;
  // made only when named (endpoint chains or affinity sets): "rules" mode without session
  // affinity names no endpoint at all.
  const epBase = new Map<PlanEndpoint, string>();
  const base = (ep: PlanEndpoint) => {
    let b = epBase.get(ep);
    if (b === undefined) epBase.set(ep, (b = nftEndpointBase(sp.namespace, sp.name, sp.proto, sp.portName, ep.ip, ep.port)));
    return b;
  };
  const epChain = (ep: PlanEndpoint) => `endpoint-${base(ep)}`;
  const epAffinity = (ep: PlanEndpoint) => `affinity-${base(ep)}`;
  const chains = new Map<string, string[]>();
  const chain = (name: string) => {
    let r = chains.get(name);
    if (!r) chains.set(name, (r = []));
    return r;
  };
  // Declaration order as upstream: endpoint chains, policy chains, external, firewall.
  const endpointChains = selection === "vmap";
  if (endpointChains) for (const ep of sp.reachableEndpoints) chain(epChain(ep));
  if (usesCluster) chain(n.svc);
  if (usesLocal) chain(n.local);
  if (usesExt) chain(n.ext);
  if (usesFW) chain(n.fw);

  // (Off-cluster ClusterIP traffic is marked by the one rule in `services`; see HAIRPIN_ENDPOINTS.)
  if (usesExt) {
    const ext = chain(n.ext);
    if (!sp.externalPolicyLocal) ext.push("jump mark-for-masquerade");
    else {
      const localCIDR = clusterCIDRFor(cfg, plan.ipFamily);
      if (localCIDR) ext.push(`${ipX} saddr ${localCIDR} goto ${n.svc} comment "short-circuit pod traffic"`);
      ext.push(`fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`);
      ext.push(`fib saddr type local goto ${n.svc} comment "short-circuit local traffic"`);
    }
    if (hasExternal) ext.push(`goto ${externalPolicyChain}`);
  }
  if (usesFW) {
    const sources = [...sp.loadBalancerSourceRanges];
    const nodeIP = plan.nodeIPs[0];
    if (nodeIP && sp.loadBalancerSourceRanges.some((c) => inCIDR(c, nodeIP))) sources.push(...sp.loadBalancerIPs);
    // " , ": kube-proxy joins every word of a rule with a space (knftables.Concat).
    chain(n.fw).push(`${ipX} saddr != { ${sources.join(" , ")} } drop`);
  }
  if (sp.sessionAffinity === "ClientIP") {
    for (const ep of sp.reachableEndpoints) frag.affinitySets.push({ name: epAffinity(ep), timeoutSeconds: sp.stickyMaxAgeSeconds });
  }
  // A chain's endpoints as map elements where they can be (see EndpointSelection).
  const slot = (eps: PlanEndpoint[], local: boolean): EndpointSlot | undefined =>
    selection === "maps" && sp.sessionAffinity !== "ClientIP" && eps.length > 1 && eps.length <= MAX_MAPPED_ENDPOINTS ? endpointSlot(plan, sp, local) : undefined;
  const toEndpoints = (name: string, eps: PlanEndpoint[], local: boolean) => {
    const s = slot(eps, local);
    if (!s) return writeServiceToEndpointRules(chain(name), sp, eps, ipX, selection, epChain, epAffinity);
    chain(name).push(`meta l4proto ${p} dnat ${ipX} addr . port to numgen random mod ${eps.length} offset ${s.offset} map @${s.map}`);
    frag.mapped.push({ map: s.map, offset: s.offset, endpoints: eps });
  };
  if (usesCluster) toEndpoints(n.svc, sp.clusterEndpoints, false);
  if (usesLocal) toEndpoints(n.local, sp.localEndpoints, true);
  for (const ep of sp.reachableEndpoints) el(HAIRPIN_ENDPOINTS, ep.ip);
  if (endpointChains) for (const ep of sp.reachableEndpoints) {
    const r = chain(epChain(ep));
    if (sp.sessionAffinity === "ClientIP") r.push(`update @${epAffinity(ep)} { ${ipX} saddr }`);
    r.push(`meta l4proto ${p} dnat to ${ep.endpoint}`);
  }
  frag.chains = [...chains].map(([name, rules]) => ({ name, rules }));
  return frag;
}

function writeServiceToEndpointRules(
  out: string[],
  sp: PlanServicePort,
  eps: PlanEndpoint[],
  ipX: string,
  selection: EndpointSelection,
  epChain: (ep: PlanEndpoint) => string,
  epAffinity: (ep: PlanEndpoint) => string,
): void {
  const k = eps.length;
  const affinity = sp.sessionAffinity === "ClientIP";
  if (selection === "vmap") {
    if (affinity) for (const ep of eps) out.push(`${ipX} saddr @${epAffinity(ep)} goto ${epChain(ep)}`);
    out.push(`numgen random mod ${k} vmap { ${eps.map((ep, i) => `${i} : goto ${epChain(ep)}`).join(" , ")} }`);
    return;
  }
  // Inline endpoints: what upstream's endpoint chain does (refresh affinity, DNAT), in the rule.
  const to = (ep: PlanEndpoint) => `${affinity ? `update @${epAffinity(ep)} { ${ipX} saddr } ` : ""}meta l4proto ${sp.proto} dnat to ${ep.endpoint}`;
  if (affinity) for (const ep of eps) out.push(`${ipX} saddr @${epAffinity(ep)} ${to(ep)}`);
  eps.forEach((ep, i) => {
    out.push(i < k - 1 ? `numgen random mod ${k - i} == 0 ${to(ep)}` : to(ep));
  });
}
