// CoreDNS's cache plugin as kubeadm's Corefile configures it in front of `forward`
// (`cache 30`): how long an upstream answer is kept and how its TTLs read (plugin/cache
// cache.go, item.go; response.Typify; dnsutil.MinimalTTL). Pure.
import type { Answer as RR } from "dns-packet";
import type { UpstreamAnswer } from "./forward.js";

export interface CacheSettings {
  /** Longest time a positive / a negative (NXDOMAIN, NODATA) answer is kept, seconds. */
  successTtl: number;
  denialTtl: number;
  /** Shortest time either is kept (CoreDNS's MINTTL defaults), seconds. */
  minSuccessTtl: number;
  minDenialTtl: number;
  /** How long SERVFAIL and NOTIMP answers are kept (the `servfail` default), seconds. */
  servfailTtl: number;
}

/** `cache 30`: both caches capped at 30 s, the other settings CoreDNS's defaults. */
export const KUBEADM_CACHE: CacheSettings = { successTtl: 30, denialTtl: 30, minSuccessTtl: 5, minDenialTtl: 5, servfailTtl: 5 };

/** dnsutil.MaximumDefaulTTL / MinimalDefaultTTL. */
const MAXIMUM_TTL = 3600;
const MINIMAL_TTL = 5;

/** response.Typify's classes, as far as they decide caching. */
export type ResponseType = "NoError" | "NameError" | "NoData" | "Delegation" | "ServerError" | "OtherError";

export function responseType(a: UpstreamAnswer): ResponseType {
  if (a.answers.length > 0 && a.rcode === "NOERROR") return "NoError";
  const soa = a.authorities.some((r) => r.type === "SOA");
  const ns = a.authorities.some((r) => r.type === "NS");
  if (soa && a.rcode === "NOERROR") return "NoData";
  if (soa && a.rcode === "NXDOMAIN") return "NameError";
  if (a.rcode === "SERVFAIL" || a.rcode === "NOTIMP") return "ServerError";
  if (ns && a.rcode === "NOERROR") return "Delegation";
  if (a.rcode === "NOERROR") return "NoError";
  return "OtherError";
}

/** dnsutil.MinimalTTL: the lowest TTL of every section (OPT aside), 5 s when there is none to read. */
function minimalTtl(a: UpstreamAnswer, t: ResponseType): number {
  if (t !== "NoError" && t !== "NameError" && t !== "NoData") return MINIMAL_TTL;
  const rrs = [...a.answers, ...a.authorities, ...a.additionals];
  if (rrs.length === 0) return MINIMAL_TTL;
  return rrs.reduce((min, r) => Math.min(min, ttlOf(r)), MAXIMUM_TTL);
}

/**
 * How long the cache keeps a, in whole seconds, and whether it keeps it at all (not
 * truncated answers, nor other errors such as REFUSED). The reply carries this TTL too.
 */
export function cacheDuration(a: UpstreamAnswer, s: CacheSettings): { seconds: number; keep: boolean } {
  const t = responseType(a);
  const msgTtl = minimalTtl(a, t);
  const clamp = (ttl: number, min: number, max: number) => Math.min(Math.max(ttl, min), max);
  let seconds: number;
  if (t === "NameError" || t === "NoData") seconds = clamp(msgTtl, s.minDenialTtl, s.denialTtl);
  else if (t === "ServerError") seconds = s.servfailTtl;
  else seconds = clamp(msgTtl, s.minSuccessTtl, s.successTtl);
  return { seconds, keep: seconds > 0 && !a.truncated && t !== "OtherError" };
}

/**
 * a as the cache writes it: every record's TTL set to ttl ("to avoid jarring TTL experience
 * 1799 -> 8"), and, served from the cache, the AA bit set (item.toMsg).
 */
export function withCacheTtl(a: UpstreamAnswer, ttl: number, fromCache: boolean): UpstreamAnswer {
  const set = (rs: RR[]) => rs.map((r) => ({ ...r, ttl }) as RR);
  return { ...a, flags: fromCache ? a.flags | AA : a.flags, answers: set(a.answers), authorities: set(a.authorities), additionals: set(a.additionals) };
}

/** The AA bit in the flags word. */
const AA = 0x400;

function ttlOf(r: RR): number {
  return (r as { ttl?: number }).ttl ?? 0;
}
