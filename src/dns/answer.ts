// Answers one DNS question for the cluster zone from a DnsRecords index, the way CoreDNS's
// kubernetes plugin does (handler.go, kubernetes.go, parse.go, reverse.go and the shared
// plugin/backend_lookup.go). Pure: an ExternalName whose target lies outside the zone comes back
// as a `chase` for the server to resolve upstream (completeChase merges the result).
import { isIP } from "node:net";
import type { Answer as RR } from "dns-packet";
import { endpointLabel, type DnsRecords, type ServiceRecord } from "./records.js";

export type PodsMode = "insecure" | "verified" | "disabled";
export type Rcode = "NOERROR" | "FORMERR" | "SERVFAIL" | "NXDOMAIN" | "NOTIMP" | "REFUSED";

export interface ZoneOptions {
  /** The cluster domain, e.g. "cluster.local" (case and trailing dot do not matter). */
  zone: string;
  podsMode: PodsMode;
  /** Addresses of ns.dns.<zone> (the DNS service's ClusterIPs). */
  nsIPs: string[];
}

export interface Chase {
  /** CNAME records leading to `target`, in order. */
  cnames: RR[];
  target: string;
  type: "A" | "AAAA";
}

export interface DnsAnswer {
  rcode: Rcode;
  authoritative: boolean;
  answers: RR[];
  authority: RR[];
  additionals: RR[];
  truncated?: boolean;
  /** An ExternalName target outside the zone, to be resolved upstream. */
  chase?: Chase;
}

export const TTL = 5;
export const DNS_SCHEMA_VERSION = "1.1.0";
const MAX_CNAME_CHAIN = 8;

export function normalizeZone(zone: string): string {
  return zone.toLowerCase().replace(/\.$/, "");
}

export function soaRecord(zone: string, serial: number): RR {
  const z = normalizeZone(zone);
  return {
    name: z,
    type: "SOA",
    ttl: TTL,
    class: "IN",
    data: { mname: `ns.dns.${z}`, rname: `hostmaster.${z}`, serial: serial >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: TTL },
  };
}

/** What a query gets before the first sync: SERVFAIL with the SOA, as CoreDNS answers. */
export function notSyncedAnswer(opts: ZoneOptions, serial: number): DnsAnswer {
  return { rcode: "SERVFAIL", authoritative: true, answers: [], authority: [soaRecord(opts.zone, serial)], additionals: [] };
}

/** Whether a name belongs to the cluster zone. */
export function inZone(name: string, zone: string): boolean {
  const l = name.toLowerCase().replace(/\.$/, "");
  const z = normalizeZone(zone);
  return l === z || l.endsWith("." + z);
}

/**
 * The answer for (name, type), or null when the name is not ours (outside the zone, or a
 * reverse name we have no PTR for): the server forwards those upstream.
 */
export function answerQuestion(records: DnsRecords, name: string, type: string, opts: ZoneOptions): DnsAnswer | null {
  const zone = normalizeZone(opts.zone);
  const qname = name.replace(/\.$/, "");
  const lower = qname.toLowerCase();
  if (lower.endsWith(".in-addr.arpa") || lower.endsWith(".ip6.arpa")) return reverseAnswer(records, qname, type, zone);
  if (!(lower === zone || lower.endsWith("." + zone))) return null;
  const base = lower === zone ? "" : lower.slice(0, lower.length - zone.length - 1);
  const ctx: Ctx = { records, zone, opts };
  const ok = (answers: RR[], additionals: RR[] = []): DnsAnswer => {
    if (answers.length === 0) return negative(ctx, "NOERROR");
    return { rcode: "NOERROR", authoritative: true, answers: dedup(answers), authority: [], additionals: dedup(additionals) };
  };
  switch (type) {
    case "TXT":
      // Only dns-version has TXT; CoreDNS answers NODATA for every other TXT name in the zone.
      if (base === "dns-version") return ok([{ name: qname, type: "TXT", ttl: 28800, class: "IN", data: [DNS_SCHEMA_VERSION] }]);
      return negative(ctx, "NOERROR");
    case "NS":
      if (base === "") {
        const target = `ns.dns.${zone}`;
        const extra = opts.nsIPs.map((ip) => addr(target, ip));
        return ok(opts.nsIPs.length ? [{ name: qname, type: "NS", ttl: TTL, class: "IN", data: target }] : [], extra);
      }
      break;
    case "SOA":
      if (base === "") return ok([{ ...soaRecord(zone, records.serial), name: qname }]);
      break;
    case "A":
    case "AAAA": {
      const r = addresses(ctx, base, qname, type, 0);
      if (r.nx) return negative(ctx, "NXDOMAIN");
      const a = ok(r.records);
      if (r.chase) a.chase = r.chase;
      return a;
    }
    case "CNAME": {
      const l = lookup(ctx, base);
      if (l.nx) return negative(ctx, "NXDOMAIN");
      const first = l.items[0];
      return ok(first && !isIP(first.host) ? [{ name: qname, type: "CNAME", ttl: TTL, class: "IN", data: first.host.replace(/\.$/, "") }] : []);
    }
    case "SRV": {
      const r = srv(ctx, base, qname);
      if (r.nx) return negative(ctx, "NXDOMAIN");
      return ok(r.answers, r.extra);
    }
  }
  // Any other type: does the name exist (NODATA) or not (NXDOMAIN)? CoreDNS does a fake A lookup.
  return negative(ctx, lookup(ctx, base).nx ? "NXDOMAIN" : "NOERROR");
}

/** Merge the upstream answer for a chased ExternalName target (null: the lookup failed). */
export function completeChase(a: DnsAnswer, upstream: { answers: RR[]; truncated: boolean } | null, opts: ZoneOptions, serial: number): DnsAnswer {
  if (!a.chase) return a;
  const { chase, ...rest } = a;
  // CoreDNS keeps the CNAME only when the target could be looked up.
  if (!upstream) return rest.answers.length ? rest : { ...rest, rcode: "NOERROR", authority: [soaRecord(opts.zone, serial)] };
  const answers = dedup([...rest.answers, ...chase.cnames, ...upstream.answers]);
  return { ...rest, answers, authority: [], truncated: rest.truncated || upstream.truncated };
}

// ------------------------------------------------------------------ internals

interface Ctx {
  records: DnsRecords;
  zone: string;
  opts: ZoneOptions;
}

interface Item {
  /** An address, or a CNAME target (ExternalName). */
  host: string;
  port: number;
  /** The canonical name for SRV targets and additional records. */
  target: string;
}

function negative(ctx: Ctx, rcode: "NOERROR" | "NXDOMAIN"): DnsAnswer {
  return { rcode, authoritative: true, answers: [], authority: [soaRecord(ctx.zone, ctx.records.serial)], additionals: [] };
}

function addr(name: string, ip: string): RR {
  return { name, type: isIP(ip) === 6 ? "AAAA" : "A", ttl: TTL, class: "IN", data: ip };
}

interface Request {
  podOrSvc: "svc" | "pod" | "";
  namespace: string;
  service: string;
  endpoint: string;
  port: string;
  protocol: string;
}

/**
 * parse.go: [_port._proto. | endpoint.] service.namespace.(svc|pod); null = invalid (NXDOMAIN).
 * No wildcards: CoreDNS removed `*` queries in 1.9.0 (coredns/coredns#5019), a `*` label is
 * just a name that does not exist.
 */
function parseRequest(base: string): Request | null {
  const r: Request = { podOrSvc: "", namespace: "", service: "", endpoint: "", port: "", protocol: "" };
  if (base === "" || base === "svc" || base === "pod") return r;
  const segs = base.split(".");
  let last = segs.length - 1;
  const kind = segs[last];
  if (kind !== "svc" && kind !== "pod") return null;
  r.podOrSvc = kind;
  if (--last < 0) return r;
  r.namespace = segs[last];
  if (--last < 0) return r;
  r.service = segs[last];
  if (--last < 0) return r;
  if (last === 0) r.endpoint = segs[0];
  else if (last === 1) {
    r.protocol = strip(segs[1]);
    r.port = strip(segs[0]);
  } else return null;
  return r;
}

function strip(s: string): string {
  return s.startsWith("_") ? s.slice(1) : s;
}

/** kubernetes.go Services/Records: the items a name stands for, or nx. */
function lookup(ctx: Ctx, base: string): { nx: boolean; items: Item[] } {
  const { records, zone, opts } = ctx;
  if (base === "ns.dns") return { nx: false, items: opts.nsIPs.map((ip) => ({ host: ip, port: 0, target: `ns.dns.${zone}` })) };
  const r = parseRequest(base);
  if (!r) return { nx: true, items: [] };
  if (r.podOrSvc === "") return { nx: false, items: [] };
  if (!records.namespaceExists(r.namespace)) return { nx: true, items: [] };
  return r.podOrSvc === "pod" ? findPods(ctx, r) : findServices(ctx, r);
}

function findPods(ctx: Ctx, r: Request): { nx: boolean; items: Item[] } {
  const mode = ctx.opts.podsMode;
  if (mode === "disabled") return { nx: true, items: [] };
  const name = r.service;
  if (name === "") return { nx: false, items: [] };
  // Only a plain a-b-c-d.ns.pod name; longer names (endpoint/port forms) do not exist.
  if (r.endpoint || r.port || r.protocol) return { nx: true, items: [] };
  const dashes = name.split("-").length - 1;
  const ip = dashes === 3 && !name.includes("--") ? name.replace(/-/g, ".") : name.replace(/-/g, ":");
  if (!isIP(ip)) return { nx: true, items: [] };
  const target = `${name}.${r.namespace}.pod.${ctx.zone}`;
  if (mode === "verified" && !ctx.records.podExists(ip, r.namespace)) return { nx: true, items: [] };
  return { nx: false, items: [{ host: ip, port: 0, target }] };
}

function matchPort(r: Request, name: string, protocol: string): boolean {
  return (r.port === "" || r.port === name.toLowerCase()) && (r.protocol === "" || r.protocol === protocol);
}

function findServices(ctx: Ctx, r: Request): { nx: boolean; items: Item[] } {
  if (r.service === "") return { nx: false, items: [] };
  const svc = ctx.records.service(r.service, r.namespace);
  if (!svc) return { nx: true, items: [] };
  const items: Item[] = [];
  let nx = true;
  const svcName = `${svc.name}.${svc.namespace}.svc.${ctx.zone}`;
  if (svc.type === "ExternalName") {
    // External services have no endpoints; an IP in externalName is not a CNAME.
    if (r.endpoint !== "" || isIP(svc.externalName) || svc.externalName === "") return { nx: true, items };
    return { nx: false, items: [{ host: svc.externalName, port: 0, target: svcName }] };
  }
  if (svc.type === "Headless" || r.endpoint !== "") {
    for (const g of ctx.records.endpointGroups(serviceKeyOf(svc))) {
      for (const e of g.endpoints) {
        if (!e.ready && !svc.publishNotReadyAddresses) continue;
        const label = endpointLabel(e.ip, e.hostname);
        if (r.endpoint !== "" && r.endpoint !== label.toLowerCase()) continue;
        for (const p of g.ports) {
          if (!matchPort(r, p.name, p.protocol)) continue;
          nx = false;
          items.push({ host: e.ip, port: p.port, target: `${label}.${svcName}` });
        }
      }
    }
    return { nx, items };
  }
  for (const p of svc.ports) {
    if (!matchPort(r, p.name, p.protocol)) continue;
    nx = false;
    for (const ip of svc.ips) items.push({ host: ip, port: p.port, target: svcName });
  }
  return { nx, items };
}

function serviceKeyOf(s: ServiceRecord): string {
  return `${s.name}.${s.namespace}`;
}

/** backend_lookup.go A/AAAA: addresses of the family, following CNAMEs inside the zone. */
function addresses(ctx: Ctx, base: string, qname: string, type: "A" | "AAAA", depth: number): { nx: boolean; records: RR[]; chase?: Chase } {
  const l = lookup(ctx, base);
  if (l.nx) return { nx: true, records: [] };
  const fam = type === "A" ? 4 : 6;
  const out: RR[] = [];
  let chase: Chase | undefined;
  for (const it of l.items) {
    const f = isIP(it.host);
    if (f) {
      if (f === fam) out.push({ name: qname, type, ttl: TTL, class: "IN", data: it.host });
      continue;
    }
    const target = it.host.replace(/\.$/, "");
    if (target.toLowerCase() === qname.toLowerCase() || depth >= MAX_CNAME_CHAIN - 1) continue;
    const cname: RR = { name: qname, type: "CNAME", ttl: TTL, class: "IN", data: target };
    if (inZone(target, ctx.zone)) {
      const tl = target.toLowerCase();
      const tbase = tl === ctx.zone ? "" : tl.slice(0, tl.length - ctx.zone.length - 1);
      const next = addresses(ctx, tbase, target, type, depth + 1);
      if (next.nx) continue;
      if (next.chase) chase = { ...next.chase, cnames: [cname, ...next.chase.cnames] };
      else if (next.records.length) out.push(cname, ...next.records);
      continue;
    }
    chase = { cnames: [cname], target, type };
  }
  return { nx: false, records: out, chase };
}

/** backend_lookup.go SRV: weight = floor(100 / number of items), at least 1; extra A/AAAA. */
function srv(ctx: Ctx, base: string, qname: string): { nx: boolean; answers: RR[]; extra: RR[] } {
  const l = lookup(ctx, base);
  if (l.nx) return { nx: true, answers: [], extra: [] };
  // ExternalName services have no SRV records.
  const items = l.items.filter((i) => isIP(i.host));
  const weight = items.length ? Math.max(1, Math.floor(100 / items.length)) : 0;
  const answers: RR[] = [];
  const extra: RR[] = [];
  const seenSrv = new Set<string>();
  const seenAddr = new Set<string>();
  for (const it of items) {
    if (it.port === -1) continue;
    const k = `${it.target}|${it.port}`;
    if (!seenSrv.has(k)) {
      seenSrv.add(k);
      answers.push({ name: qname, type: "SRV", ttl: TTL, class: "IN", data: { priority: 0, weight, port: it.port, target: it.target } });
    }
    const a = `${it.target}|${it.host}`;
    if (!seenAddr.has(a)) {
      seenAddr.add(a);
      extra.push(addr(it.target, it.host));
    }
  }
  return { nx: false, answers, extra };
}

/** PTR for ClusterIPs (the first service) and else for endpoint addresses (reverse.go). */
function reverseAnswer(records: DnsRecords, qname: string, type: string, zone: string): DnsAnswer | null {
  if (type !== "PTR") return null;
  const ip = addressFromReverse(qname.toLowerCase());
  if (!ip) return null;
  const targets = ptrTargets(records, ip, zone);
  if (targets.length === 0) return null;
  return {
    rcode: "NOERROR",
    authoritative: true,
    answers: dedup(targets.map((t) => ({ name: qname, type: "PTR", ttl: TTL, class: "IN", data: t }) as RR)),
    authority: [],
    additionals: [],
  };
}

export function ptrTargets(records: DnsRecords, ip: string, zone: string): string[] {
  const z = normalizeZone(zone);
  const svcs = records.servicesByIP(ip);
  if (svcs.length) return [`${svcs[0].name}.${svcs[0].namespace}.svc.${z}`];
  return records.endpointsByIP(ip).map((e) => `${e.hostname}.${e.service.name}.${e.service.namespace}.svc.${z}`);
}

/** "4.3.2.1.in-addr.arpa" -> "1.2.3.4"; 32 nibbles of ip6.arpa -> an IPv6 address; else "". */
export function addressFromReverse(name: string): string {
  const n = name.replace(/\.$/, "");
  if (n.endsWith(".in-addr.arpa")) {
    const parts = n.slice(0, -".in-addr.arpa".length).split(".");
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return "";
    return parts.reverse().map(Number).join(".");
  }
  if (n.endsWith(".ip6.arpa")) {
    const nib = n.slice(0, -".ip6.arpa".length).split(".");
    if (nib.length !== 32 || !nib.every((x) => /^[0-9a-f]$/.test(x))) return "";
    const hex = nib.reverse().join("");
    return hex.match(/.{4}/g)!.join(":");
  }
  return "";
}

/** The reverse name of an address: in-addr.arpa, or full-nibble ip6.arpa. */
export function reverseName(ip: string): string {
  if (isIP(ip) === 4) return ip.split(".").reverse().join(".") + ".in-addr.arpa";
  const hex = expand6(ip);
  return hex.split("").reverse().join(".") + ".ip6.arpa";
}

function expand6(ip: string): string {
  const [h, t] = ip.toLowerCase().includes("::") ? ip.toLowerCase().split("::") : [ip.toLowerCase(), undefined];
  const hs = h ? h.split(":") : [];
  const ts = t ? t.split(":") : [];
  const fill = t === undefined ? [] : new Array(8 - hs.length - ts.length).fill("0");
  return [...hs, ...fill, ...ts].map((g) => g.padStart(4, "0")).join("");
}

/** dnsutil.Dedup: drop repeated records (same name, type and data). */
export function dedup(rrs: RR[]): RR[] {
  if (rrs.length < 2) return rrs;
  const seen = new Set<string>();
  const out: RR[] = [];
  for (const r of rrs) {
    const k = `${r.name.toLowerCase()}|${r.type}|${JSON.stringify((r as { data?: unknown }).data)}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(r);
  }
  return out;
}
