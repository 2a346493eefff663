// Where a service chain's endpoints live when they are map elements ("maps" endpoint
// selection): one rule per chain, `dnat ip addr . port to numgen random mod k offset O map
// @endpoints-tcp-XX`, and the k endpoints as elements O .. O+k-1 of a shared data map.
//
// Why: changing an endpoint is then an element change, and element changes in a data map
// make the kernel validate nothing. Any new rule with a NAT, jump or immediate expression
// makes it re-walk every chain reachable from the base chains (twice: the nat chains of
// prerouting and output both reach the services): ~25-45 ms at 10k services x 10 endpoints
// with a rule per endpoint, which was most of a one-endpoint change.
//
// Why shards: every element added to a map is checked against every rule bound to it, and
// every rule binding a map against all its elements, so one map for all services is
// quadratic (25 s to load at 10k x 10), and a map per service costs nft a set cache of
// 10,000 sets on every call. 256 shard maps keep both small. One set of shards per protocol:
// the map's data is declared `typeof ... : ip daddr . tcp dport`, and nft 1.0.6 refuses a
// later rule of another protocol (or `th dport`, against any) on a map it reads back.
//
// The offset comes from the chain's hash (the 8 base32 characters that start nftables chain
// names): 8 bits pick the shard, 19 bits a slot of 2^12 keys, the last bit tells a service's
// cluster chain from its local chain. Two service ports of one protocol whose hashes share
// shard and slot (rare: ~0.4 expected pairs at 10,000 service ports) both keep their endpoints
// as rules. Pure.
import type { PlanServicePort, ProxyPlan } from "../plan.js";
import { nftServiceBase } from "../hash.js";

/** Keys per slot: a chain with more endpoints keeps them as rules. */
export const MAX_MAPPED_ENDPOINTS = 4096;

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The 27 bits of a service port's hash that place it: shard (high 8) and slot (low 19). */
export function slotKeyOfBase(base: string): number {
  let h = 0;
  for (let i = 0; i < 8; i++) {
    const v = BASE32.indexOf(base[i]);
    if (v < 0) throw new Error(`not an nftables chain hash: ${JSON.stringify(base.slice(0, 8))}`);
    h = h * 32 + v;
  }
  // 40 bits; keep the top 27.
  return Math.floor(h / 2 ** 13);
}

export function endpointMapName(shard: number, proto: string): string {
  return `endpoints-${proto}-${shard.toString(16).padStart(2, "0")}`;
}

/** The protocol of an endpoint map, from its name. */
export function endpointMapProtocol(name: string): string {
  const m = /^endpoints-(tcp|udp|sctp)-[0-9a-f]{2}$/.exec(name);
  if (!m) throw new Error(`not an endpoint map: ${JSON.stringify(name)}`);
  return m[1];
}

export interface EndpointSlot {
  map: string;
  /** First key of the chain's slot. */
  offset: number;
}

/** The map and first key for a service port's cluster (local = false) or local chain. */
export function slotOfKey(key: number, local: boolean, proto: string): EndpointSlot {
  const shard = key >>> 19;
  const slot = ((key & 0x7ffff) << 1) | (local ? 1 : 0);
  return { map: endpointMapName(shard, proto), offset: slot * MAX_MAPPED_ENDPOINTS };
}

export function serviceSlotKey(sp: PlanServicePort): number {
  return slotKeyOfBase(nftServiceBase(sp.namespace, sp.name, sp.proto, sp.portName));
}

/** A service port's place among the maps: its protocol's maps, then its slot key. */
export function slotIndexKey(sp: PlanServicePort): number {
  return PROTOCOLS.indexOf(sp.proto) * 2 ** 27 + serviceSlotKey(sp);
}

const PROTOCOLS = ["tcp", "udp", "sctp"];

/** Slot index key (slotIndexKey) -> the services ("ns/name") whose ports have it: more than one is a collision. */
export type SlotIndex = ReadonlyMap<number, readonly string[]>;

const indexes = new WeakMap<ProxyPlan, SlotIndex>();

export function slotIndex(plan: ProxyPlan): SlotIndex {
  let ix = indexes.get(plan);
  if (!ix) indexes.set(plan, (ix = buildSlotIndex(plan.services)));
  return ix;
}

function buildSlotIndex(services: readonly PlanServicePort[]): Map<number, string[]> {
  const ix = new Map<number, string[]>();
  for (const sp of services) {
    const k = slotIndexKey(sp);
    const svc = `${sp.namespace}/${sp.name}`;
    // One entry per port: two ports of one service sharing a key collide too.
    const l = ix.get(k);
    if (l) l.push(svc);
    else ix.set(k, [svc]);
  }
  return ix;
}

/** The slot of a service port's chain, or undefined when another service port shares it. */
export function endpointSlot(plan: ProxyPlan, sp: PlanServicePort, local: boolean): EndpointSlot | undefined {
  if ((slotIndex(plan).get(slotIndexKey(sp))?.length ?? 0) > 1) return undefined;
  return slotOfKey(serviceSlotKey(sp), local, sp.proto);
}

/**
 * next's index from prev's when only the services in prevChanged/nextChanged differ: the same
 * map when their service ports are the same (endpoint changes), else a patched copy.
 */
export function followSlotIndex(prev: ProxyPlan, next: ProxyPlan, prevChanged: readonly PlanServicePort[], nextChanged: readonly PlanServicePort[]): SlotIndex {
  const known = indexes.get(next);
  if (known) return known;
  const before = indexes.get(prev);
  if (!before) return slotIndex(next);
  const ports = (l: readonly PlanServicePort[]) => l.map((sp) => `${sp.namespace}/${sp.name}/${sp.proto}/${sp.portName}`).sort().join("\n");
  let ix: SlotIndex;
  if (ports(prevChanged) === ports(nextChanged)) ix = before;
  else {
    const m = new Map<number, string[]>();
    for (const [k, l] of before) m.set(k, [...l]);
    for (const sp of prevChanged) {
      const k = slotIndexKey(sp);
      const l = m.get(k);
      const at = l?.indexOf(`${sp.namespace}/${sp.name}`) ?? -1;
      if (l && at >= 0) l.splice(at, 1);
      if (l && l.length === 0) m.delete(k);
    }
    for (const sp of nextChanged) {
      const k = slotIndexKey(sp);
      const l = m.get(k);
      if (l) l.push(`${sp.namespace}/${sp.name}`);
      else m.set(k, [`${sp.namespace}/${sp.name}`]);
    }
    ix = m;
  }
  indexes.set(next, ix);
  return ix;
}
