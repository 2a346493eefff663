// Answers one DNS question for the cluster zone from a DnsRecords index, the way CoreDNS's
// kubernetes plugin does (handler.go, kubernetes.go, parse.go, reverse.go, ns.go and the shared
// plugin/backend_lookup.go). Pure: an ExternalName whose target lies outside the zone comes back
// as a `chase` for the server to resolve upstream (completeChase merges the result).
import { isIP } from "node:net";
import type { Answer as RR } from "dns-packet";
import { expandIPv6 } from "../cluster/ipv6.js";
import { endpointLabel, type DnsRecords, type EndpointRecord, type ServiceRecord } from "./records.js";

export type PodsMode = "insecure" | "verified" | "disabled";
export type Rcode = "NOERROR" | "FORMERR" | "SERVFAIL" | "NXDOMAIN" | "NOTIMP" | "REFUSED";

/** The kubernetes plugin's configuration (Corefile `kubernetes ZONE [REVERSE...] { ... }`). */
export interface ZoneOptions {
  /** The cluster domain, e.g. "cluster.local" (case and trailing dot do not matter). */
  zone: string;
  podsMode: PodsMode;
  /** Addresses of ns.dns.<zone> when `localIPs` is not given (e.g. the DNS service's ClusterIPs). */
  nsIPs: string[];
  /**
   * The DNS server's own addresses (CoreDNS's local IPs). When given, NS records name the services
   * these addresses are ready endpoints of (ns.go nsAddrs), else ns.dns.<zone> at these addresses.
   */
  localIPs?: string[];
  /**
   * Reverse zones served too, as names ("0.10.in-addr.arpa") or CIDRs ("10.96.0.0/12": the zones on
   * the next octet / nibble boundary); default in-addr.arpa and ip6.arpa, as kubeadm's Corefile has them.
   */
  reverseZones?: string[];
  /**
   * `fallthrough [ZONES...]`: names in these zones that do not exist are not answered here (the
   * server forwards them). Default: in-addr.arpa and ip6.arpa (kubeadm's Corefile); [] for none,
   * ["."] for every zone.
   */
  fallthrough?: string[];
  /** `namespaces NS...`: only these namespaces are exposed (default: all). */
  namespaces?: string[];
  /** `ttl SECONDS` (default 5): TTL of every answer and the SOA minimum. */
  ttl?: number;
  /** `ignore empty_service`: ClusterIP services without ready endpoints do not exist. */
  ignoreEmptyService?: boolean;
  /** `endpoint_pod_names`: endpoints without a hostname are named by their Pod (targetRef) name. */
  endpointPodNames?: boolean;
  /** `zonal`: <topology-zone>._zone.<service>.<ns>.svc.<zone> names a headless service's endpoints in that zone. */
  zonal?: boolean;
}

export interface Chase {
  /** CNAME records leading to `target`, in order. */
  cnames: RR[];
  target: string;
  type: "A" | "AAAA";
  /** The zone's SOA (as the question spelled the zone), for the answer when the lookup fails. */
  soa?: RR;
}

export interface DnsAnswer {
  rcode: Rcode;
  authoritative: boolean;
  answers: RR[];
  authority: RR[];
  additionals: RR[];
  truncated?: boolean;
  /**
   * RA: only an upstream's answer carries it (as the upstream set it). CoreDNS's own answers
   * and errors (SetReply / SetRcode) leave it clear: dig warns "recursion requested but not
   * available", as it does against a real cluster.
   */
  recursionAvailable?: boolean;
  /** An ExternalName target outside the zone, to be resolved upstream. */
  chase?: Chase;
}

export const TTL = 5;
export const DNS_SCHEMA_VERSION = "1.1.0";
const DEFAULT_REVERSE = ["in-addr.arpa", "ip6.arpa"];

export function normalizeZone(zone: string): string {
  return zone.toLowerCase().replace(/\.$/, "");
}

/**
 * backend_lookup.go SOA: owner and names keep the zone as given (the question's spelling),
 * TTL min(ttl, 300), minimum ttl.
 */
export function soaRecord(zone: string, serial: number, ttl = TTL): RR {
  const z = zone.replace(/\.$/, "");
  return {
    name: z,
    type: "SOA",
    ttl: Math.min(ttl, 300),
    class: "IN",
    data: { mname: `ns.dns.${z}`, rname: `hostmaster.${z}`, serial: serial >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}

/** plugin.Zones.Matches: the longest zone that `lower` is in, or "". */
function matchZone(lower: string, zones: string[]): string {
  let best = "";
  for (const z of zones) {
    if (z === "" || z === ".") {
      if (best === "") best = ".";
      continue;
    }
    if (isSubDomain(z, lower) && (best === "." || z.length > best.length)) best = z;
  }
  return best;
}

/** What answers read from a ZoneOptions in a form ready for lookups. */
interface Prepared {
  /** The cluster zone, lower case without the final dot. */
  cluster: string;
  /** The zones served: the cluster zone, then the reverse zones (CIDRs turned into zones). */
  zones: string[];
  /** The zones that fall through, the same way. */
  fallthrough: string[];
  /** The exposed namespaces, lower case; null: every namespace. */
  namespaces: Set<string> | null;
}

/**
 * Worked out once per options object, not per question (the server keeps one options object
 * until the name servers' addresses change); an options object is therefore read as immutable.
 */
const preparedOptions = new WeakMap<ZoneOptions, Prepared>();
function prepare(opts: ZoneOptions): Prepared {
  let p = preparedOptions.get(opts);
  if (!p) {
    const zones = (list: string[]) => list.flatMap((z) => (z.includes("/") ? reverseZonesOfCidr(z) : [normalizeZone(z)]));
    const cluster = normalizeZone(opts.zone);
    p = {
      cluster,
      zones: [cluster, ...zones(opts.reverseZones ?? DEFAULT_REVERSE)],
      fallthrough: zones(opts.fallthrough ?? DEFAULT_REVERSE),
      namespaces: opts.namespaces?.length ? new Set(opts.namespaces.map((n) => n.toLowerCase())) : null,
    };
    preparedOptions.set(opts, p);
  }
  return p;
}

/** Checks the options (a bad CIDR among the zones throws) and prepares them, before the first question. */
export function prepareZoneOptions(opts: ZoneOptions): void {
  prepare(opts);
}

/** kubernetes.go namespaceExposed: listed by `namespaces` (when set) and existing. */
export function namespaceExposed(records: DnsRecords, opts: ZoneOptions, ns: string): boolean {
  return exposedIn(prepare(opts), records, ns);
}

function exposedIn(p: Prepared, records: DnsRecords, ns: string): boolean {
  return (p.namespaces === null || p.namespaces.has(ns)) && records.namespaceExists(ns);
}

/**
 * plugin/pkg/cidr: the reverse zones of a CIDR, split on the next label boundary (8 bits for
 * IPv4, 4 for IPv6): 10.96.0.0/12 -> 96.10.in-addr.arpa ... 111.10.in-addr.arpa. Throws on a bad CIDR.
 */
export function reverseZonesOfCidr(cidr: string): string[] {
  const [addrText, lenText] = cidr.split("/");
  const fam = isIP(addrText);
  const bits = fam === 4 ? 32 : 128;
  const prefix = Number(lenText);
  if (!fam || !/^\d{1,3}$/.test(lenText ?? "") || prefix > bits) throw new Error(`invalid CIDR "${cidr}": want ADDRESS/PREFIX, the prefix at most 32 (IPv4) or 128 (IPv6), e.g. 10.96.0.0/12 or fd00:10:96::/112`);
  const digit = fam === 4 ? 8 : 4;
  const boundary = Math.ceil(prefix / digit) * digit;
  const value = fam === 4 ? addrText.split(".").reduce((v, o) => (v << 8n) | BigInt(Number(o)), 0n) : BigInt("0x" + expandIPv6(addrText));
  const keep = bits - prefix;
  const network = (value >> BigInt(keep)) << BigInt(keep);
  const out: string[] = [];
  for (let k = 0n; k < 1n << BigInt(boundary - prefix); k++) {
    const sub = network | (k << BigInt(bits - boundary));
    const labels: string[] = [];
    for (let i = 0; i < boundary / digit; i++) {
      const shift = BigInt(bits - (i + 1) * digit);
      const d = (sub >> shift) & ((1n << BigInt(digit)) - 1n);
      labels.push(fam === 4 ? d.toString(10) : d.toString(16));
    }
    out.push([...labels.reverse(), fam === 4 ? "in-addr.arpa" : "ip6.arpa"].join("."));
  }
  return out;
}

const isReverseName = (lower: string) => lower.endsWith(".in-addr.arpa") || lower.endsWith(".ip6.arpa") || lower === "in-addr.arpa" || lower === "ip6.arpa";

/**
 * The answer for (name, type), or null when the name is not ours: outside the zones, or a name
 * that does not exist in a zone that falls through. The server forwards those upstream.
 */
export function answerQuestion(records: DnsRecords, name: string, type: string, opts: ZoneOptions): DnsAnswer | null {
  const qname = name.replace(/\.$/, "");
  const lower = qname.toLowerCase();
  const p = prepare(opts);
  const zone = matchZone(lower, p.zones);
  if (zone === "" || zone === ".") return null;
  const a = answerInZone(records, qname, lower, type, opts, p, zone);
  if (a.rcode === "NXDOMAIN" && matchZone(lower, p.fallthrough) !== "") return null;
  return a;
}

function answerInZone(records: DnsRecords, qname: string, lower: string, type: string, opts: ZoneOptions, p: Prepared, zone: string): DnsAnswer {
  const base = lower === zone ? "" : lower.slice(0, lower.length - zone.length - 1);
  // handler.go keeps the zone as the question spells it.
  const zoneCased = qname.slice(qname.length - zone.length);
  const ctx: Ctx = { records, zone, zoneCased, prepared: p, opts, ttl: opts.ttl ?? TTL, reverse: isReverseName(lower) };
  const ok = (answers: RR[], additionals: RR[] = []): DnsAnswer => {
    if (answers.length === 0) return negative(ctx, "NOERROR");
    return { rcode: "NOERROR", authoritative: true, answers: dedup(answers), authority: [], additionals: dedup(additionals) };
  };
  switch (type) {
    case "TXT": {
      // Only dns-version has TXT; other names are NODATA when they have records of another
      // type (kubernetes.go Services), else NXDOMAIN, the zone apex included.
      if (base === "dns-version") return ok([{ name: qname, type: "TXT", ttl: 28800, class: "IN", data: [DNS_SCHEMA_VERSION] }]);
      // A zonal name that exists without endpoints is NODATA for every type (no negative caching of it).
      const l = records_(ctx, base);
      const zonalEmpty = !l.nx && !!opts.zonal && parseRequest(base, true)?.zone;
      return negative(ctx, l.items.length > 0 || zonalEmpty ? "NOERROR" : "NXDOMAIN");
    }
    case "NS":
      if (base === "") {
        const ns = nsAddrs(ctx);
        const seen = new Set<string>();
        const answers: RR[] = [];
        for (const n of ns) {
          if (seen.has(n.name)) continue;
          seen.add(n.name);
          answers.push({ name: qname, type: "NS", ttl: ctx.ttl, class: "IN", data: n.name });
        }
        return ok(answers, ns.map((n) => addr(n.name, n.ip, ctx.ttl)));
      }
      break;
    case "SOA":
      // Only the apex has an SOA; any other name, existing or not, is NODATA.
      return base === "" ? ok([soaRecord(zoneCased, records.serial, ctx.ttl)]) : negative(ctx, "NOERROR");
    case "A":
    case "AAAA": {
      const r = addresses(ctx, base, qname, type, []);
      if (r.nx) return negative(ctx, "NXDOMAIN");
      const a = ok(r.records);
      if (r.chase) a.chase = { ...r.chase, soa: soaRecord(zoneCased, records.serial, ctx.ttl) };
      return a;
    }
    case "CNAME": {
      const l = services(ctx, base, "CNAME");
      if (l.nx) return negative(ctx, "NXDOMAIN");
      const first = l.items[0];
      return ok(first && !isIP(first.host) ? [{ name: qname, type: "CNAME", ttl: ctx.ttl, class: "IN", data: first.host.replace(/\.$/, "") }] : []);
    }
    case "SRV": {
      const r = srv(ctx, base, qname);
      if (r.nx) return negative(ctx, "NXDOMAIN");
      return ok(r.answers, r.extra);
    }
    case "PTR": {
      const ip = addressFromReverse(lower);
      if (ip === "") return negative(ctx, records_(ctx, base).nx ? "NXDOMAIN" : "NOERROR");
      const targets = ptrTargets(ctx, ip);
      if (targets.length === 0) return negative(ctx, "NXDOMAIN");
      return ok(targets.map((t) => ({ name: qname, type: "PTR", ttl: ctx.ttl, class: "IN", data: t }) as RR));
    }
  }
  // Any other type: does the name exist (NODATA) or not (NXDOMAIN)? CoreDNS does a fake A lookup.
  return negative(ctx, services(ctx, base, "A").nx ? "NXDOMAIN" : "NOERROR");
}

/** Merge the upstream answer for a chased ExternalName target (null: the lookup failed). */
export function completeChase(a: DnsAnswer, upstream: { answers: RR[]; truncated: boolean } | null, opts: ZoneOptions, serial: number): DnsAnswer {
  if (!a.chase) return a;
  const { chase, ...rest } = a;
  // CoreDNS keeps the CNAME only when the target could be looked up.
  if (!upstream)
    return rest.answers.length ? rest : { ...rest, rcode: "NOERROR", authority: [chase.soa ?? soaRecord(normalizeZone(opts.zone), serial, opts.ttl)] };
  const answers = dedup([...rest.answers, ...chase.cnames, ...upstream.answers]);
  return { ...rest, answers, authority: [], truncated: rest.truncated || upstream.truncated };
}

// ------------------------------------------------------------------ internals

interface Ctx {
  records: DnsRecords;
  /** The zone the question is in, lower case (the cluster zone or a reverse zone). */
  zone: string;
  /** The same zone as the question spells it. */
  zoneCased: string;
  /** The options' zones and namespaces, ready for lookups (PTR targets are in its cluster zone). */
  prepared: Prepared;
  opts: ZoneOptions;
  ttl: number;
  /** The question is an in-addr.arpa / ip6.arpa name: no service or pod names there. */
  reverse: boolean;
}

interface Item {
  /** An address, or a CNAME target (ExternalName). */
  host: string;
  port: number;
  /** The canonical name for SRV targets and additional records. */
  target: string;
}

type Lookup = { nx: boolean; items: Item[] };

function negative(ctx: Ctx, rcode: "NOERROR" | "NXDOMAIN"): DnsAnswer {
  return { rcode, authoritative: true, answers: [], authority: [soaRecord(ctx.zoneCased, ctx.records.serial, ctx.ttl)], additionals: [] };
}

function addr(name: string, ip: string, ttl: number): RR {
  return { name, type: isIP(ip) === 6 ? "AAAA" : "A", ttl, class: "IN", data: ip };
}

export interface Request {
  podOrSvc: "svc" | "pod" | "";
  namespace: string;
  service: string;
  endpoint: string;
  port: string;
  protocol: string;
  /** The topology zone of a zonal name (topozone._zone.service.namespace.svc), zonal option only. */
  zone: string;
}

/**
 * parse.go: [_port._proto. | endpoint. | topozone._zone.] service.namespace.(svc|pod), `base`
 * being the name without the zone, lower case; null = invalid (NXDOMAIN). The _zone form only with
 * `zonal` and under svc (else it reads as port and protocol). No wildcards: CoreDNS removed `*`
 * queries in 1.9.0 (coredns/coredns#5019), a `*` label is just a name that does not exist. No
 * multicluster (endpoint.clusterid) names: that option is not supported.
 */
export function parseRequest(base: string, zonal = false): Request | null {
  const r: Request = { podOrSvc: "", namespace: "", service: "", endpoint: "", port: "", protocol: "", zone: "" };
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
  else if (last === 1 && zonal && segs[1] === "_zone" && kind === "svc") r.zone = segs[0];
  else if (last === 1) {
    r.protocol = strip(segs[1]);
    r.port = strip(segs[0]);
  } else return null;
  return r;
}

function strip(s: string): string {
  return s.startsWith("_") ? s.slice(1) : s;
}

/** kubernetes.go Services: ns.dns.<zone> is the name servers' addresses (A/AAAA only), else Records; SRV drops CNAMEs. */
function services(ctx: Ctx, base: string, qtype: string): Lookup {
  if (base === "ns.dns") {
    const fam = qtype === "A" ? 4 : qtype === "AAAA" ? 6 : 0;
    return { nx: false, items: nsAddrs(ctx).filter((n) => isIP(n.ip) === fam).map((n) => ({ host: n.ip, port: 0, target: "" })) };
  }
  const l = records_(ctx, base);
  if (qtype === "SRV") return { nx: l.nx, items: l.items.filter((i) => isIP(i.host)) };
  return l;
}

/** kubernetes.go Records: the items a name stands for, or nx. */
function records_(ctx: Ctx, base: string): Lookup {
  const r = parseRequest(base, !!ctx.opts.zonal);
  if (!r) return { nx: true, items: [] };
  if (r.podOrSvc === "") return { nx: false, items: [] };
  if (ctx.reverse) return { nx: true, items: [] };
  if (!exposedIn(ctx.prepared, ctx.records, r.namespace)) return { nx: true, items: [] };
  return r.podOrSvc === "pod" ? findPods(ctx, r) : findServices(ctx, r);
}

/** ns.go nsAddrs: [name, address] of the name servers. */
function nsAddrs(ctx: Ctx): { name: string; ip: string }[] {
  const zc = ctx.zoneCased;
  const local = ctx.opts.localIPs;
  if (!local || local.length === 0) return ctx.opts.nsIPs.map((ip) => ({ name: `ns.dns.${zc}`, ip }));
  const out: { name: string; ip: string }[] = [];
  for (const ip of local) {
    for (const { service: svc, group } of ctx.records.groupsWithIP(ip)) {
      const svcName = `${svc.name}.${svc.namespace}.svc.${zc}`;
      if (svc.type === "Headless") {
        // A headless DNS service: every address of that endpoint object, by its endpoint name.
        for (const e of group.endpoints) if (e.ready) out.push({ name: `${endpointName(e, ctx.opts)}.${svcName}`, ip: e.ip });
      } else if (svc.type === "ClusterIP") for (const ip of svc.ips) out.push({ name: svcName, ip }); // every family (ns.go)
    }
  }
  return out.length ? out : local.map((ip) => ({ name: `ns.dns.${zc}`, ip }));
}

function findPods(ctx: Ctx, r: Request): Lookup {
  const mode = ctx.opts.podsMode;
  if (mode === "disabled") return { nx: true, items: [] };
  const name = r.service;
  if (name === "") return { nx: false, items: [] };
  // Only a plain a-b-c-d.ns.pod name; longer names (endpoint/port forms) do not exist.
  if (r.endpoint || r.port || r.protocol) return { nx: true, items: [] };
  const dashes = name.split("-").length - 1;
  const ip = dashes === 3 && !name.includes("--") ? name.replace(/-/g, ".") : name.replace(/-/g, ":");
  if (!isIP(ip)) return { nx: true, items: [] };
  const target = `${name}.${r.namespace}.pod.${ctx.zoneCased}`;
  if (mode === "verified" && !ctx.records.podExists(ip, r.namespace)) return { nx: true, items: [] };
  return { nx: false, items: [{ host: ip, port: 0, target }] };
}

function matchPort(r: Request, name: string, protocol: string): boolean {
  return (r.port === "" || r.port === name.toLowerCase()) && (r.protocol === "" || r.protocol === protocol);
}

function findServices(ctx: Ctx, r: Request): Lookup {
  if (r.service === "") return { nx: false, items: [] };
  // Zonal names exist only for zones some endpoint has occupied.
  if (r.zone !== "" && !ctx.records.zoneExists(r.zone)) return { nx: true, items: [] };
  const svc = ctx.records.service(r.service, r.namespace);
  if (!svc) return { nx: true, items: [] };
  const groups = ctx.records.endpointGroups(serviceKeyOf(svc));
  // ignore empty_service: a ClusterIP service without ready endpoints does not exist.
  if (ctx.opts.ignoreEmptyService && svc.type === "ClusterIP" && !groups.some((g) => g.endpoints.some((e) => e.ready))) return { nx: true, items: [] };
  // Zonal names are defined for headless services only.
  if (r.zone !== "" && svc.type !== "Headless") return { nx: true, items: [] };
  const items: Item[] = [];
  // An existing zone of a headless service without endpoints there is NODATA.
  let nx = r.zone === "";
  const svcName = `${svc.name}.${svc.namespace}.svc.${ctx.zoneCased}`;
  if (svc.type === "ExternalName") {
    // No endpoints, and no port/protocol names (no SRV); an IP in externalName is not a CNAME.
    if (r.endpoint !== "" || r.port !== "" || r.protocol !== "" || isIP(svc.externalName) || svc.externalName === "") return { nx: true, items };
    return { nx: false, items: [{ host: svc.externalName, port: 0, target: svcName }] };
  }
  if (svc.type === "Headless" || r.endpoint !== "") {
    for (const g of groups) {
      for (const e of g.endpoints) {
        if (!e.ready || (r.zone !== "" && e.zone !== r.zone)) continue;
        const name = endpointName(e, ctx.opts);
        if (r.endpoint !== "" && r.endpoint !== name.toLowerCase()) continue;
        for (const p of g.ports) {
          if (!matchPort(r, p.name, p.protocol)) continue;
          nx = false;
          items.push({ host: e.ip, port: p.port, target: `${name}.${svcName}` });
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

/** kubernetes.go endpointHostname: an endpoint's name, by its Pod with endpoint_pod_names (answers, listings and transfers alike). */
export function endpointName(e: EndpointRecord, opts: ZoneOptions): string {
  return endpointLabel(e.ip, e.hostname, opts.endpointPodNames ? e.podName : "");
}

function serviceKeyOf(s: ServiceRecord): string {
  return `${s.name}.${s.namespace}`;
}

/** dns.IsSubDomain for lower-case names without the final dot: child is parent or below it. */
export function isSubDomain(parent: string, child: string): boolean {
  return child === parent || child.endsWith("." + parent);
}

/**
 * backend_lookup.go A/AAAA: addresses of the family, following CNAMEs inside the zone (at most
 * 8 in a chain, no loops); a target outside the zone becomes the chase.
 */
function addresses(ctx: Ctx, base: string, qname: string, type: "A" | "AAAA", previous: RR[]): { nx: boolean; records: RR[]; chase?: Chase } {
  const l = services(ctx, base, type);
  if (l.nx) return { nx: true, records: [] };
  const fam = type === "A" ? 4 : 6;
  const out: RR[] = [];
  const seen = new Set<string>();
  let chase: Chase | undefined;
  const lq = qname.toLowerCase();
  for (const it of l.items) {
    const f = isIP(it.host);
    if (f) {
      if (f === fam && !seen.has(it.host)) {
        seen.add(it.host);
        out.push({ name: qname, type, ttl: ctx.ttl, class: "IN", data: it.host });
      }
      continue;
    }
    const target = it.host.replace(/\.$/, "");
    const lt = target.toLowerCase();
    // x CNAME x (or a name below x) is a loop; so is a CNAME already in the chain.
    if (isSubDomain(lq, lt) || previous.length > 7) continue;
    const cname: RR = { name: qname, type: "CNAME", ttl: ctx.ttl, class: "IN", data: target };
    if (previous.some((p) => p.name.toLowerCase() === lq && String((p as { data?: unknown }).data).toLowerCase() === lt)) continue;
    if (isSubDomain(ctx.zone, lt)) {
      const tbase = lt === ctx.zone ? "" : lt.slice(0, lt.length - ctx.zone.length - 1);
      const next = addresses(ctx, tbase, target, type, [...previous, cname]);
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
  const l = services(ctx, base, "SRV");
  if (l.nx) return { nx: true, answers: [], extra: [] };
  const items = l.items;
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
      answers.push({ name: qname, type: "SRV", ttl: ctx.ttl, class: "IN", data: { priority: 0, weight, port: it.port, target: it.target } });
    }
    const a = `${it.target}|${it.host}`;
    if (!seenAddr.has(a)) {
      seenAddr.add(a);
      extra.push(addr(it.target, it.host, ctx.ttl));
    }
  }
  return { nx: false, answers, extra };
}

/**
 * reverse.go serviceRecordForIP: the first service with this ClusterIP, else every ready endpoint
 * with this address (named <endpoint>.<service>.<namespace>.svc.<zone>); only exposed namespaces.
 */
function ptrTargets(ctx: Ctx, ip: string): string[] {
  const { records, prepared: p } = ctx;
  const z = p.cluster;
  const ok = (ns: string) => exposedIn(p, records, ns);
  const svc = records.servicesByIP(ip).find((s) => ok(s.namespace));
  if (svc) return [`${svc.name}.${svc.namespace}.svc.${z}`];
  return dedupStrings(
    records
      .endpointsByIP(ip)
      .filter((e) => ok(e.service.namespace))
      .map((e) => `${endpointName(e.endpoint, ctx.opts)}.${e.service.name}.${e.service.namespace}.svc.${z}`),
  );
}

function dedupStrings(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** "4.3.2.1.in-addr.arpa" -> "1.2.3.4"; 32 nibbles of ip6.arpa -> an IPv6 address; else "". */
export function addressFromReverse(name: string): string {
  const n = name.replace(/\.$/, "");
  if (n.endsWith(".in-addr.arpa")) {
    const parts = n.slice(0, -".in-addr.arpa".length).split(".");
    // As Go's net.ParseIP: four decimal octets, no leading zeros.
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return "";
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
  const hex = expandIPv6(ip);
  return hex.split("").reverse().join(".") + ".ip6.arpa";
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
