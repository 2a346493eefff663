// Change planning: from the previous and the next plan, the smallest correct update for
// each mode, and the UDP conntrack entries that must go (a UDP "connection" keeps its DNAT
// to a deleted endpoint until it times out: the stale-UDP black hole). Pure.
import type { PlanEndpoint, PlanServicePort, ProxyPlan, ProxyInput } from "./plan.js";
import { planProxy } from "./plan.js";
import { iptablesServiceChains, renderIptables, LARGE_CLUSTER_ENDPOINTS_THRESHOLD, type IptablesRenderOptions } from "./iptables/render.js";
import { buildNftModel, serviceFragment, HAIRPIN_ENDPOINTS, type NftRenderOptions, type NftElement } from "./nftables/model.js";
import { serializeModel } from "./nftables/render.js";
import { chainEditsRestore } from "./iptables/chain-edits.js";
import { renderServiceUpdate, type NftUpdate } from "./nftables/update.js";
import { followSlotIndex, slotIndex, slotIndexKey } from "./nftables/endpoint-maps.js";

const serviceKey = (sp: PlanServicePort) => `${sp.namespace}/${sp.name}`;

/** A membership test for "ns/name" keys that builds no string per call: it runs over every object at 10,000 Services. */
export type ServiceKeyTest = (namespace: string | undefined, name: string | undefined) => boolean;

export function serviceKeyTest(keys: Iterable<string>): ServiceKeyTest {
  const byNamespace = new Map<string, Set<string>>();
  for (const k of keys) {
    const i = k.indexOf("/");
    const ns = k.slice(0, i);
    let names = byNamespace.get(ns);
    if (!names) byNamespace.set(ns, (names = new Set()));
    names.add(k.slice(i + 1));
  }
  return (ns, name) => byNamespace.get(ns ?? "default")?.has(name ?? "") ?? false;
}

/** The plan restricted to the services the test accepts (same global settings and totals). */
function onlyServices(p: ProxyPlan, test: ServiceKeyTest): ProxyPlan {
  return { ...p, services: p.services.filter((sp) => test(sp.namespace, sp.name)) };
}

/** The plan's service ports by "ns/name" (only the services the test accepts, when given). */
function byService(plan: ProxyPlan, test?: ServiceKeyTest): Map<string, PlanServicePort[]> {
  const m = new Map<string, PlanServicePort[]>();
  for (const sp of plan.services) {
    if (test && !test(sp.namespace, sp.name)) continue;
    const k = serviceKey(sp);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(sp);
  }
  return m;
}

/** Settings outside the services that every rule depends on: a change means a full sync. */
function globalKey(plan: ProxyPlan): string {
  return JSON.stringify([plan.config, plan.nodeIPs, plan.nodeName, plan.ipFamily, plan.totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD]);
}

/**
 * Services ("ns/name") whose plan entries differ, including added and removed ones. With
 * `among` (the services a sync's watch events named), only those are compared: work
 * proportional to the change, not to all services.
 */
export function changedServices(prev: ProxyPlan, next: ProxyPlan, among?: Iterable<string>): string[] {
  const test = among === undefined ? undefined : serviceKeyTest(among);
  const a = byService(prev, test);
  const b = byService(next, test);
  const out: string[] = [];
  for (const [k, ports] of b) {
    const old = a.get(k);
    if (!old || JSON.stringify(old) !== JSON.stringify(ports)) out.push(k);
  }
  for (const k of a.keys()) if (!b.has(k)) out.push(k);
  return out.sort();
}

/**
 * Re-plans only the given services ("ns/name") and splices them into prev: the input is the
 * whole new state, but the work is proportional to the change (the proxy knows which
 * Services and EndpointSlices its watch events touched).
 */
export function replanServices(prev: ProxyPlan, input: ProxyInput, changed: Iterable<string>): ProxyPlan {
  const want = serviceKeyTest(changed);
  const sub = planProxy({
    ...input,
    services: input.services.filter((s) => want(s.metadata.namespace, s.metadata.name)),
    endpointSlices: input.endpointSlices.filter((s) => want(s.metadata.namespace, s.metadata.labels?.["kubernetes.io/service-name"])),
  });
  // prev.services is sorted by namespace/name: drop the changed ones, then insert the new
  // ports by binary search (no full re-sort; the proxy calls this on every watch event).
  let totalEndpoints = prev.totalEndpoints;
  const services = prev.services.filter((sp) => {
    if (!want(sp.namespace, sp.name)) return true;
    totalEndpoints -= sp.endpoints.length;
    return false;
  });
  for (const sp of sub.services) {
    const k = serviceKey(sp);
    let lo = 0;
    let hi = services.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (serviceKey(services[mid]) <= k) lo = mid + 1;
      else hi = mid;
    }
    services.splice(lo, 0, sp);
    totalEndpoints += sp.endpoints.length;
  }
  return { ...prev, services, totalEndpoints, warnings: sub.warnings };
}

export interface IptablesUpdate {
  kind: "full" | "partial";
  /** iptables-restore --noflush input. */
  restore: string;
  changedServices: string[];
  deletedChains: string[];
}

export interface IptablesUpdateOptions extends IptablesRenderOptions {
  /** Services ("ns/name") known to have changed; computed when absent. */
  changed?: string[];
  /**
   * How a partial restore treats the top-level chains (KUBE-SERVICES & co.): "rewrite" them
   * whole as kube-proxy does (the default, compared with upstream's tests), or "edit" only the
   * changed services' rules in place (src/proxy/iptables/chain-edits.ts): the lab's choice,
   * since iptables-nft takes about a second to replace a 10,000-rule chain.
   */
  topLevel?: "rewrite" | "edit";
  /**
   * A full restore even though prev is known (kube-proxy's retry after a failed partial
   * restore): every chain is rewritten and prev's chains that next lacks are deleted.
   */
  full?: boolean;
  /**
   * The per-service nat chains the kernel has now (savedServiceChains of an iptables-save),
   * when prev may not describe it (after a failed restore): a full restore deletes the ones
   * next does not use, as kube-proxy does from its own iptables-save.
   */
  existingChains?: readonly string[];
}

const SERVICE_CHAIN = /^:(KUBE-(?:SVC|SVL|EXT|FW|SEP)-[A-Z2-7]{16}) /;

/** kube-proxy's per-service chains (KUBE-SVC/SVL/EXT/FW/SEP-<hash>) in the nat table of an iptables-save. */
export function savedServiceChains(save: string): string[] {
  const out: string[] = [];
  let nat = false;
  for (const line of save.split("\n")) {
    if (line.startsWith("*")) nat = line === "*nat";
    else if (nat) {
      const m = SERVICE_CHAIN.exec(line);
      if (m) out.push(m[1]);
    }
  }
  return out;
}

/** kube-proxy's sync: full the first time or when global settings change, else partial. */
export function planIptablesUpdate(prev: ProxyPlan | undefined, next: ProxyPlan, opts: IptablesUpdateOptions = {}): IptablesUpdate {
  if (!prev || opts.full || globalKey(prev) !== globalKey(next)) {
    // A full restore also deletes prev's chains and the kernel's (after a failed restore)
    // that next does not use.
    const deleted = staleChains(prev, next, opts.existingChains);
    return { kind: "full", restore: renderIptables(next, { ...opts, deleteChains: deleted }), changedServices: [], deletedChains: deleted };
  }
  const changed = opts.changed ?? changedServices(prev, next);
  const test = serviceKeyTest(changed);
  const before = onlyServices(prev, test);
  const after = onlyServices(next, test);
  const deleted = staleChains(before, after);
  const restore =
    opts.topLevel === "edit"
      ? // Full renders of just the changed services, before and after: their difference is the edit.
        chainEditsRestore(renderIptables(before, opts), renderIptables(after, { ...opts, deleteChains: deleted }))
      : renderIptables(next, { ...opts, onlyServices: new Set(changed), deleteChains: deleted });
  return { kind: "partial", restore, changedServices: changed, deletedChains: deleted };
}

/**
 * Per-service nat chains of prev (and of `existing`, names from the kernel) that next does
 * not have, sorted, once each. For a partial sync both plans are the changed
 * services only: chain names hash the service port (and endpoint), so a changed service's
 * chains can only be kept by itself, and the hashing stays proportional to the change.
 */
function staleChains(prev: ProxyPlan | undefined, next: ProxyPlan, existing: readonly string[] = []): string[] {
  if (!prev && existing.length === 0) return [];
  const keep = new Set<string>();
  for (const s of iptablesServiceChains(next).values()) for (const c of s) keep.add(c);
  const out = new Set<string>();
  if (prev) for (const chains of iptablesServiceChains(prev).values()) for (const c of chains) if (!keep.has(c)) out.add(c);
  for (const c of existing) if (!keep.has(c)) out.add(c);
  return [...out].sort();
}

export interface NftablesUpdate extends Partial<NftUpdate> {
  kind: "full" | "partial";
  script: string;
  changedServices: string[];
}

export function planNftablesUpdate(prev: ProxyPlan | undefined, next: ProxyPlan, opts: NftRenderOptions & { changed?: string[]; deferChainDeletes?: boolean } = {}): NftablesUpdate {
  if (!prev || globalKey(prev) !== globalKey(next)) {
    return { kind: "full", script: serializeModel(buildNftModel(next, opts)), changedServices: [] };
  }
  const sel = opts.endpointSelection ?? "maps";
  let changed = opts.changed ?? changedServices(prev, next);
  let test = serviceKeyTest(changed);
  let prevChanged = onlyServices(prev, test);
  let nextChanged = onlyServices(next, test);
  if (sel === "maps") {
    // A service sharing an endpoint-map slot with a changed one changes form with it.
    const more = slotNeighbours(prev, next, prevChanged.services, nextChanged.services, changed);
    if (more.length) {
      changed = [...changed, ...more];
      test = serviceKeyTest(changed);
      prevChanged = onlyServices(prev, test);
      nextChanged = onlyServices(next, test);
    }
  }
  const ipX = next.ipFamily === "IPv6" ? "ip6" : "ip";
  // Fragments from the whole plan: a chain's endpoint-map slot depends on the other services.
  const frags = (only: ProxyPlan, whole: ProxyPlan) => only.services.map((sp) => serviceFragment(sp, whole, ipX, sel));
  // An endpoint IP can back several services: its hairpin element stays while any other
  // (unchanged) service still uses it. Each plan's address use counts follow from the
  // previous plan's by the changed services alone (a set of all 100,000 addresses built per
  // update cost ~15 ms of a one-endpoint change at 10k x 10, a scan of them ~5 ms); prev's
  // are counted in full only when none are known, at the first hairpin element removed.
  const prevUse = addressUses.get(prev);
  let nextUse = prevUse && followAddressUse(prevUse, prevChanged, nextChanged);
  if (nextUse) addressUses.set(next, nextUse);
  const stillUsed = (e: NftElement) => {
    if (e.set !== HAIRPIN_ENDPOINTS) return false;
    if (!nextUse) {
      // Counted for prev, which later updates from it (or from next) reuse.
      const counted = countAddressUse(prev);
      addressUses.set(prev, counted);
      addressUses.set(next, (nextUse = followAddressUse(counted, prevChanged, nextChanged)));
    }
    // The changed services no longer have it (it is being removed): any count is another's.
    return useCount(nextUse, e.key) > 0; // a hairpin element is keyed by its address
  };
  const u = renderServiceUpdate(frags(prevChanged, prev), frags(nextChanged, next), { family: ipX, deferChainDeletes: opts.deferChainDeletes, stillUsed });
  return { kind: "partial", changedServices: changed, ...u };
}

/** Services not in `changed` whose ports share an endpoint-map slot with a changed port, before or after. */
function slotNeighbours(prev: ProxyPlan, next: ProxyPlan, before: PlanServicePort[], after: PlanServicePort[], changed: string[]): string[] {
  const prevIx = slotIndex(prev);
  const nextIx = followSlotIndex(prev, next, before, after);
  const known = new Set(changed);
  const out = new Set<string>();
  for (const sp of [...before, ...after]) {
    const k = slotIndexKey(sp);
    for (const ix of [prevIx, nextIx]) {
      const l = ix.get(k);
      if (l && l.length > 1) for (const svc of l) if (!known.has(svc)) out.add(svc);
    }
  }
  return [...out];
}

/**
 * How many of a plan's service ports have each endpoint address among their reachable
 * endpoints: a shared base, never changed once made, plus this plan's own differences.
 */
interface AddressUse {
  base: ReadonlyMap<string, number>;
  delta: Map<string, number>;
}

/** Known address use counts per plan (plans are not changed once made). */
const addressUses = new WeakMap<ProxyPlan, AddressUse>();

/** Above this many differences a plan's counts are written out as a base of their own. */
const MAX_USE_DELTA = 4096;

function countAddressUse(plan: ProxyPlan): AddressUse {
  const base = new Map<string, number>();
  for (const sp of plan.services) for (const ep of sp.reachableEndpoints) base.set(ep.ip, (base.get(ep.ip) ?? 0) + 1);
  return { base, delta: new Map() };
}

function useCount(u: AddressUse, ip: string): number {
  return (u.base.get(ip) ?? 0) + (u.delta.get(ip) ?? 0);
}

/** The counts after the services in `before` became those in `after` (work in their size). */
function followAddressUse(u: AddressUse, before: ProxyPlan, after: ProxyPlan): AddressUse {
  const delta = new Map(u.delta);
  // A difference that cancels out is dropped: endpoints that come and go leave no trace.
  const add = (ip: string, n: number) => {
    const d = (delta.get(ip) ?? 0) + n;
    if (d === 0) delta.delete(ip);
    else delta.set(ip, d);
  };
  for (const sp of before.services) for (const ep of sp.reachableEndpoints) add(ep.ip, -1);
  for (const sp of after.services) for (const ep of sp.reachableEndpoints) add(ep.ip, 1);
  if (delta.size <= MAX_USE_DELTA) return { base: u.base, delta };
  const base = new Map(u.base);
  for (const [ip, n] of delta) {
    const c = (base.get(ip) ?? 0) + n;
    if (c > 0) base.set(ip, c);
    else base.delete(ip);
  }
  return { base, delta: new Map() };
}

/** One `conntrack` invocation (arguments after the program name) and why. */
export interface ConntrackFlush {
  args: string[];
  reason: string;
}

/**
 * UDP conntrack entries to delete after moving from prev to next, as kube-proxy does:
 * for each UDP service port, entries DNATed to an endpoint that is no longer used (per
 * ClusterIP, external IP, LoadBalancer IP and NodePort), and, for service ports that had
 * no endpoints and now have some, the entries to their addresses (a client kept retrying
 * into the REJECT and would otherwise stay stuck on the cached verdict).
 */
export function staleUdpEndpoints(prev: ProxyPlan | undefined, next: ProxyPlan): ConntrackFlush[] {
  const out: ConntrackFlush[] = [];
  const prevPorts = new Map<string, PlanServicePort>();
  for (const sp of prev?.services ?? []) if (sp.protocol === "UDP") prevPorts.set(`${sp.spn}/${sp.protocol}`, sp);
  const nextPorts = new Map<string, PlanServicePort>();
  for (const sp of next.services) if (sp.protocol === "UDP") nextPorts.set(`${sp.spn}/${sp.protocol}`, sp);
  const seen = new Set<string>();
  const add = (args: string[], reason: string) => {
    const k = args.join(" ");
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ args, reason });
  };
  const addresses = (sp: PlanServicePort) => [sp.clusterIP, ...sp.externalIPs, ...sp.loadBalancerIPs];
  for (const [k, old] of prevPorts) {
    const now = nextPorts.get(k);
    const kept = new Set((now?.reachableEndpoints ?? []).map((e: PlanEndpoint) => e.endpoint));
    for (const ep of old.reachableEndpoints) {
      if (kept.has(ep.endpoint)) continue;
      const why = `${old.spn}: endpoint ${ep.endpoint} removed`;
      for (const ip of addresses(old)) add(["-D", "-p", "udp", "--orig-dst", ip, "--dst-nat", ep.ip], why);
      if (old.nodePort) add(["-D", "-p", "udp", "--orig-port-dst", String(old.nodePort), "--dst-nat", ep.ip], why);
    }
  }
  for (const [k, now] of nextPorts) {
    const old = prevPorts.get(k);
    const had = old ? old.reachableEndpoints.length > 0 : false;
    if (had || now.reachableEndpoints.length === 0 || !prev) continue;
    const why = `${now.spn}: first endpoint`;
    for (const ip of addresses(now)) add(["-D", "-p", "udp", "--orig-dst", ip, "--orig-port-dst", String(now.port)], why);
    if (now.nodePort) add(["-D", "-p", "udp", "--orig-port-dst", String(now.nodePort)], why);
  }
  return out;
}
