// The cluster DNS server (edge): UDP + TCP on given or pre-made sockets, wire format by
// dns-packet, answers from answer.ts over a DnsRecords index fed from a static object list or a
// Client (list + watch). Out-of-zone names go to the upstream (forward.ts).
//
// Hot path: responses are cached encoded, keyed by the query bytes after the ID (flags, question
// with its case, EDNS OPT), and served by copying and patching the ID. Any index change clears
// the cache, so a watch event is visible to the next query.
import dgram from "node:dgram";
import net, { type AddressInfo } from "node:net";
import dnsPacket, { type Answer as RR, type DecodedPacket, type Question } from "dns-packet";
import type { KubeObject } from "../api/types.js";
import type { Client } from "../client/client.js";
import { answerQuestion, completeChase, normalizeZone, prepareZoneOptions, type DnsAnswer, type PodsMode, type ZoneOptions } from "./answer.js";
import { Forwarder, hostPort, type UpstreamAnswer } from "./forward.js";
import { DnsRecords } from "./records.js";
import { listWatch, type ListWatch } from "./watch.js";
import { zoneTransfer } from "./transfer.js";
import { autoPathBase, autoPathName, autoPathSearch, cnamer } from "./autopath.js";
import { zoneRecords } from "./zone-file.js";

/** CoreDNS kubernetes plugin options the server passes to every answer (see ZoneOptions). */
type PluginOptions = Pick<ZoneOptions, "localIPs" | "reverseZones" | "fallthrough" | "namespaces" | "ttl" | "ignoreEmptyService" | "endpointPodNames" | "zonal">;

export interface DnsServerOptions extends PluginOptions {
  /** Feed from the API (list + watch). */
  client?: Client;
  /** Or feed from a fixed set of objects. */
  objects?: KubeObject[];
  zone?: string;
  podsMode?: PodsMode;
  /** "IP:PORT" of the resolver for names outside the zone. */
  upstream?: string;
  /** Pre-made sockets (e.g. created inside a network namespace and handed over). */
  udpSocket?: dgram.Socket;
  tcpServer?: net.Server;
  /** Or listen here: "127.0.0.1:5353" (port 0: any free port, the same for UDP and TCP). */
  listen?: string;
  /** Addresses of ns.dns.<zone>; default: the ClusterIPs of kube-system/kube-dns, else the listen address. */
  dnsServiceIPs?: string[];
  // localIPs (e.g. the server's Pod IPs) overrides dnsServiceIPs: NS records then name the
  // services these are endpoints of, as CoreDNS does (kube-dns.kube-system.svc.<zone>).
  /** Allow zone transfers of the cluster zone over TCP to anyone (CoreDNS `transfer { to * }`); else REFUSED. */
  transfer?: boolean;
  /**
   * CoreDNS `autopath @kubernetes` (needs podsMode "verified"): a Pod's first search-path query is
   * completed here along the Pod's whole search path; `autopathSearch` is the server host's own
   * search domains (CoreDNS reads them from its resolv.conf).
   */
  autopath?: boolean;
  autopathSearch?: string[];
  log?: (line: string) => void;
}

export interface DnsServerStats {
  queries: number;
  cacheHits: number;
  formErr: number;
  dropped: number;
  forwarded: number;
  truncated: number;
}

export interface DnsServer {
  udpAddress?: AddressInfo;
  tcpAddress?: AddressInfo;
  records: DnsRecords;
  /** Resolves after the first full list of every kind (at once for static objects). */
  synced: Promise<void>;
  isSynced(): boolean;
  /** Apply a watch-style event directly. */
  apply(type: "ADDED" | "MODIFIED" | "DELETED", obj: KubeObject): void;
  /** How many records the zone holds now (as `render dns` lists them). */
  recordCount(): number;
  stats: DnsServerStats;
  /** Answer one wire-format query from `client` (what the sockets do); null: dropped. A transfer's first message. */
  handle(msg: Buffer, tcp: boolean, client?: string): Promise<Buffer | null>;
  /** Every message of the answer: one, or a zone transfer's several. */
  handleAll(msg: Buffer, tcp: boolean, client?: string): Promise<Buffer[]>;
  close(): Promise<void>;
}

const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const MAX_CACHE = 100_000;

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const zone = normalizeZone(opts.zone ?? "cluster.local");
  const podsMode = opts.podsMode ?? "insecure";
  if (!["insecure", "verified", "disabled"].includes(podsMode)) throw new Error(`invalid pods mode "${podsMode}": want insecure, verified or disabled`);
  if (opts.ttl !== undefined && !(Number.isInteger(opts.ttl) && opts.ttl >= 0 && opts.ttl <= 3600)) throw new Error(`invalid ttl ${opts.ttl}: want an integer from 0 to 3600`);
  const plugin = {
    localIPs: opts.localIPs,
    reverseZones: opts.reverseZones,
    fallthrough: opts.fallthrough,
    namespaces: opts.namespaces,
    ttl: opts.ttl,
    ignoreEmptyService: opts.ignoreEmptyService,
    endpointPodNames: opts.endpointPodNames,
    zonal: opts.zonal,
  };
  let zoneOpts: ZoneOptions = { zone, podsMode, nsIPs: [], ...plugin };
  // A bad CIDR among the zones fails here, before any socket is taken.
  prepareZoneOptions(zoneOpts);
  const log = opts.log ?? (() => {});
  const records = opts.objects
    ? DnsRecords.fromObjects(opts.objects, { trackPods: podsMode === "verified", keepPodNames: !!opts.endpointPodNames, keepZones: !!opts.zonal })
    : new DnsRecords({ trackPods: podsMode === "verified", keepPodNames: !!opts.endpointPodNames, keepZones: !!opts.zonal });
  const forwarder = opts.upstream ? new Forwarder({ upstream: opts.upstream }) : null;
  const stats: DnsServerStats = { queries: 0, cacheHits: 0, formErr: 0, dropped: 0, forwarded: 0, truncated: 0 };

  let synced = !!opts.objects || !opts.client;
  let lw: ListWatch | null = null;
  let syncedPromise: Promise<void> = Promise.resolve();
  if (opts.client && !opts.objects) {
    const kinds = ["Namespace", "Service", "EndpointSlice", "Endpoints", ...(podsMode === "verified" ? ["Pod"] : [])];
    lw = listWatch({
      client: opts.client,
      kinds,
      onEvent: (t, o) => records.apply(t, o),
      keys: (k) => records.keys(k),
      onSynced: () => {
        synced = true;
        log(`dns: synced (${records.counts.services} services)`);
      },
      onError: (e) => log(`dns: list/watch: ${e instanceof Error ? e.message : String(e)}`),
    });
    syncedPromise = lw.synced;
  }

  // ---------------------------------------------------------------- sockets
  let udp = opts.udpSocket;
  let tcp = opts.tcpServer;
  if (opts.listen) {
    const hp = hostPort(opts.listen, 0);
    if ("problem" in hp) throw new Error(`invalid listen address "${opts.listen}": ${hp.problem}`);
    const bound = await bindPair(hp.host, hp.port, !udp, !tcp);
    udp ??= bound.udp;
    tcp ??= bound.tcp;
  }
  if (!udp && !tcp) throw new Error("startDnsServer: give listen, udpSocket or tcpServer");
  const listenHost = (udp?.address() as AddressInfo | undefined)?.address ?? (tcp?.address() as AddressInfo | null)?.address;

  // ---------------------------------------------------------------- answering
  // Encoded answers by query bytes after the ID; one map per transport (TCP answers never truncate).
  const udpCache = new Map<string, Buffer>();
  const tcpCache = new Map<string, Buffer>();
  let cacheGen = -1;
  const refresh = () => {
    if (cacheGen === records.generation) return;
    udpCache.clear();
    tcpCache.clear();
    cacheGen = records.generation;
    const dnsSvc = records.service("kube-dns", "kube-system");
    const nsIPs =
      opts.dnsServiceIPs ??
      (dnsSvc?.ips.length ? dnsSvc.ips : listenHost && listenHost !== "0.0.0.0" && listenHost !== "::" ? [listenHost] : []);
    // One options object while the name servers stay the same: answers prepare it once.
    if (!sameList(nsIPs, zoneOpts.nsIPs)) zoneOpts = { zone, podsMode, nsIPs, ...plugin };
  };

  async function handle(msg: Buffer, overTcp: boolean, client?: string): Promise<Buffer | null> {
    return (await handleAll(msg, overTcp, client))[0] ?? null;
  }

  async function handleAll(msg: Buffer, overTcp: boolean, client?: string): Promise<Buffer[]> {
    const fast = handleSync(msg, overTcp, client);
    if (fast !== undefined) return fast ? [fast] : [];
    const r = await handleSlow(msg, overTcp, client);
    return r === null ? [] : Array.isArray(r) ? r : [r];
  }

  // Autopath answers depend on who asks: a Pod's are cached under its namespaces too.
  const autopathOn = !!opts.autopath && podsMode === "verified";
  const fromPod = (client?: string) => autopathOn && !!client && records.hasPodAt(plainIP(client));
  /** The answer cache's key: the question, and for a Pod under autopath the namespaces its walk depends on (one lookup: every query pays it). */
  const answerKey = (msg: Buffer, client?: string): string => {
    const namespaces = autopathOn && client ? records.podNamespacesAt(plainIP(client)) : [];
    return namespaces.length ? `${namespaces.join(",")}\0${cacheKey(msg)}` : cacheKey(msg);
  };

  /** The cached answer, a drop (null), or undefined when the slow path must run. */
  function handleSync(msg: Buffer, overTcp: boolean, client?: string): Buffer | null | undefined {
    stats.queries++;
    if (msg.length < 12 || msg[2] & 0x80) {
      stats.dropped++;
      return null;
    }
    refresh();
    const hit = (overTcp ? tcpCache : udpCache).get(answerKey(msg, client));
    if (!hit) return undefined;
    stats.cacheHits++;
    const out = Buffer.allocUnsafe(hit.length);
    hit.copy(out);
    out[0] = msg[0];
    out[1] = msg[1];
    return out;
  }

  async function handleSlow(msg: Buffer, overTcp: boolean, client?: string): Promise<Buffer | Buffer[] | null> {
    const opcode = (msg[2] >> 3) & 0xf;
    if (opcode !== 0) return headerOnly(msg, RCODES.NOTIMP);
    // miekg/dns's default accept check, before any parsing: one question, at most one answer
    // and one authority record (NOTIFY, IXFR) and two additionals (OPT, TSIG); else FORMERR.
    if (msg.readUInt16BE(4) !== 1 || msg.readUInt16BE(6) > 1 || msg.readUInt16BE(8) > 1 || msg.readUInt16BE(10) > 2) {
      stats.formErr++;
      return headerOnly(msg, RCODES.FORMERR);
    }
    let q: DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      // The header was acceptable, the rest does not parse.
      stats.formErr++;
      return headerOnly(msg, RCODES.FORMERR);
    }
    const question = q.questions![0];
    const opt = (q.additionals ?? []).find((a) => a.type === "OPT") as { udpPayloadSize?: number; ednsVersion?: number; flags?: number } | undefined;
    const maxSize = overTcp ? 65535 : opt ? Math.max(512, opt.udpPayloadSize ?? 512) : 512;
    const reply = { msg, question, opt, maxSize };
    if (opt && (opt.ednsVersion ?? 0) > 0) return encodeReply(reply, bare("NOERROR"), { badVers: true });

    const name = question.name === "." ? "" : question.name;
    const type = question.type;
    if (type === "AXFR" || type === "IXFR") return transferReply(reply, q, overTcp);
    let result: { ans: DnsAnswer; cacheable: boolean };
    try {
      result = await resolve(name, type, question.class ?? "IN", overTcp);
      if (fromPod(client)) {
        const search = autoPathSearch(records, zoneOpts, name, plainIP(client!), opts.autopathSearch);
        const base = search ? autoPathBase(name, search) : null;
        // The first search element itself: CoreDNS's autopath fails to trim it (SERVFAIL).
        if (base === "") return encodeReply(reply, bare("SERVFAIL"));
        if (search && base !== null) result = await autopath(name, base, search, type, question.class ?? "IN", overTcp, result);
      }
    } catch (e) {
      // As CoreDNS's errorFunc: SERVFAIL with the question.
      log(`dns: answering ${name} ${type}: ${e instanceof Error ? e.message : String(e)}`);
      return encodeReply(reply, bare("SERVFAIL"));
    }
    const { ans, cacheable } = result;
    const out = encodeReply(reply, ans);
    if (cacheable && out) {
      const cache = overTcp ? tcpCache : udpCache;
      if (cache.size >= MAX_CACHE) cache.clear();
      cache.set(answerKey(msg, client), out);
    }
    return out;
  }

  /**
   * The answer to one question: ours, the upstream's (forwarded), or REFUSED/SERVFAIL.
   * failed: no answer at all (no upstream, or it did not answer): what CoreDNS gets as an
   * error from the next plugin. Forwarded answers stay out of the answer cache: the
   * Forwarder keeps them as CoreDNS's `cache` does, while this cache lasts until the objects
   * change.
   */
  async function resolve(name: string, type: string, cls: string, overTcp: boolean): Promise<{ ans: DnsAnswer; cacheable: boolean; failed?: boolean }> {
    let ans = answerQuestion(records, name, type, zoneOpts);
    let cacheable = true;
    // Before the first sync, as CoreDNS: what is known is answered, a name not (yet) known gets
    // SERVFAIL instead of NXDOMAIN; nothing is cached.
    if (!synced) {
      cacheable = false;
      if (ans?.rcode === "NXDOMAIN") ans = { ...ans, rcode: "SERVFAIL" };
    }
    if (ans === null) {
      if (!forwarder) return { ans: bare("REFUSED"), cacheable, failed: true };
      stats.forwarded++;
      const up = await forwarder.forward(name || ".", type, cls, overTcp);
      if (!up) return { ans: bare("SERVFAIL"), cacheable: false, failed: true };
      return { ans: upstreamToAnswer(up), cacheable: false };
    }
    if (ans.chase) {
      cacheable = false;
      const up = forwarder ? await forwarder.forward(ans.chase.target, ans.chase.type, "IN", overTcp) : null;
      ans = completeChase(ans, up, zoneOpts, records.serial);
    }
    return { ans, cacheable };
  }

  /**
   * autopath.go ServeDNS: the first search-path name that is not NXDOMAIN, with a CNAME from
   * the asked name (an upstream's SERVFAIL message too); if none, the answer for the first
   * element as is. A name that got no answer at all (no upstream, or none came) ends the walk
   * with SERVFAIL, as the next plugin's error does there.
   */
  async function autopath(name: string, base: string, search: string[], type: string, cls: string, overTcp: boolean, first: { ans: DnsAnswer; cacheable: boolean; failed?: boolean }): Promise<{ ans: DnsAnswer; cacheable: boolean }> {
    // Cacheable when every answer it took is.
    let cacheable = first.cacheable;
    for (const [i, element] of search.entries()) {
      const r = i === 0 ? first : await resolve(autoPathName(base, element), type, cls, overTcp);
      cacheable &&= r.cacheable;
      if (r.failed) return { ans: bare("SERVFAIL"), cacheable: false };
      if (r.ans.rcode === "NXDOMAIN") continue;
      return { ans: { ...r.ans, answers: cnamer(r.ans.answers, name) }, cacheable };
    }
    return { ans: first.ans, cacheable };
  }

  /** AXFR/IXFR: REFUSED unless allowed, over TCP, for the cluster zone; else messages of up to ~16 kB. */
  function transferReply(r: { msg: Buffer; question: Question }, q: DecodedPacket, overTcp: boolean): Buffer | Buffer[] {
    const refused = () => encodeReply({ ...r, maxSize: 65535 }, bare("REFUSED"));
    if (!opts.transfer || !overTcp || !synced) return refused();
    refresh();
    const clientSoa = (q.authorities ?? []).find((a) => a.type === "SOA") as { data?: { serial?: number } } | undefined;
    const rrs = zoneTransfer(records, zoneOpts, r.question.name, r.question.type === "IXFR" ? (clientSoa?.data?.serial ?? 0) : 0);
    if (!rrs) return refused();
    const out: Buffer[] = [];
    let chunk: RR[] = [];
    let size = 0;
    const flush = () => {
      out.push(encodeReply({ ...r, maxSize: 65535 }, { rcode: "NOERROR", authoritative: true, answers: chunk, authority: [], additionals: [] }));
      chunk = [];
      size = 0;
    };
    for (const rr of rrs) {
      // A rough wire size: the name, fixed fields, and the data as text.
      size += rr.name.length + 12 + JSON.stringify((rr as { data?: unknown }).data ?? "").length;
      chunk.push(rr);
      if (size > 16_000) flush();
    }
    if (chunk.length) flush();
    return out;
  }

  function encodeReply(
    r: { msg: Buffer; question: Question; opt?: { udpPayloadSize?: number; flags?: number }; maxSize: number },
    a: DnsAnswer,
    extra: { badVers?: boolean } = {},
  ): Buffer {
    const rd = r.msg[2] & 0x01;
    const cd = r.msg[3] & 0x10;
    const opcode = (r.msg[2] >> 3) & 0xf;
    let flags = (opcode << 11) | (rd << 8) | cd | (RCODES[a.rcode] ?? 2);
    if (a.authoritative) flags |= 0x400;
    if (a.recursionAvailable) flags |= 0x80;
    if (a.truncated && !(r.maxSize === 65535)) flags |= 0x200;
    // EDNS: answer with our OPT, DO bit copied (RFC 3225), BADVERS for versions above 0.
    const optOut = r.opt
      ? [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: extra.badVers ? 1 : 0, ednsVersion: 0, flags: (r.opt.flags ?? 0) & 0x8000, options: [] } as unknown as RR]
      : [];
    const packet = {
      type: "response" as const,
      id: r.msg.readUInt16BE(0),
      flags,
      questions: [r.question],
      answers: a.answers,
      authorities: a.authority,
      additionals: [...a.additionals, ...optOut],
    };
    let buf: Buffer;
    try {
      buf = dnsPacket.encode(packet);
    } catch (e) {
      log(`dns: encoding ${r.question.name}: ${e instanceof Error ? e.message : String(e)}`);
      return headerOnly(r.msg, RCODES.SERVFAIL);
    }
    if (buf.length <= r.maxSize) return buf;
    // Does not fit: TC with the question (and OPT) only; the client retries over TCP.
    stats.truncated++;
    return dnsPacket.encode({ ...packet, flags: flags | 0x200, answers: [], authorities: [], additionals: optOut });
  }

  // ---------------------------------------------------------------- transports
  const onUdp = (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    let r: Buffer | null | undefined;
    try {
      r = handleSync(msg, false, rinfo.address);
    } catch (e) {
      log(`dns: udp: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const send = (b: Buffer | null) => {
      if (!b) return;
      try {
        udp!.send(b, rinfo.port, rinfo.address);
      } catch (e) {
        // e.g. a source port of 0: nothing to answer to.
        stats.dropped++;
      }
    };
    if (r !== undefined) send(r);
    else handleSlow(msg, false, rinfo.address).then((b) => send(Array.isArray(b) ? (b[0] ?? null) : b), (e) => log(`dns: udp: ${e instanceof Error ? e.message : String(e)}`));
  };
  udp?.on("message", onUdp);
  udp?.on("error", (e) => log(`dns: udp socket: ${e.message}`));

  const conns = new Set<net.Socket>();
  const onConn = (c: net.Socket) => {
    conns.add(c);
    c.setTimeout(10_000, () => c.destroy());
    let acc: Buffer = Buffer.alloc(0);
    c.on("data", (d: Buffer) => {
      acc = acc.length ? Buffer.concat([acc, d]) : d;
      while (acc.length >= 2) {
        const len = acc.readUInt16BE(0);
        if (len < 12) {
          // Too short to be a query: nothing sensible follows on this stream.
          stats.dropped++;
          c.destroy();
          return;
        }
        if (acc.length < 2 + len) break;
        const m = Buffer.from(acc.subarray(2, 2 + len));
        acc = acc.subarray(2 + len);
        handleAll(m, true, c.remoteAddress).then(
          (bs) => {
            for (const b of bs) {
              if (c.destroyed) return;
              const f = Buffer.allocUnsafe(b.length + 2);
              f.writeUInt16BE(b.length, 0);
              b.copy(f, 2);
              c.write(f);
            }
          },
          (e) => log(`dns: tcp: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
    });
    c.on("error", () => c.destroy());
    c.on("close", () => conns.delete(c));
  };
  tcp?.on("connection", onConn);
  tcp?.on("error", (e) => log(`dns: tcp server: ${e.message}`));
  if (tcp) tcp.maxConnections = 1000;

  return {
    udpAddress: udp ? (udp.address() as AddressInfo) : undefined,
    tcpAddress: tcp ? (tcp.address() as AddressInfo) : undefined,
    records,
    synced: syncedPromise,
    isSynced: () => synced,
    apply: (t, o) => {
      records.apply(t, o);
    },
    recordCount: () => {
      refresh();
      return zoneRecords(records, zoneOpts).length;
    },
    stats,
    handle,
    handleAll,
    async close() {
      lw?.stop();
      forwarder?.close();
      udp?.off("message", onUdp);
      for (const c of conns) c.destroy();
      await Promise.all([
        udp ? new Promise<void>((r) => udp!.close(() => r())) : Promise.resolve(),
        tcp ? new Promise<void>((r) => tcp!.close(() => r())) : Promise.resolve(),
      ]);
    },
  };
}

/**
 * The response-cache key: the query after its ID. EDNS options (a client cookie differs on every
 * query from dig and some resolvers) are left out; the answer does not depend on them.
 */
export function cacheKey(msg: Buffer): string {
  if (msg.length > 12 && msg.readUInt32BE(4) === 0x00010000 && msg.readUInt32BE(8) === 0x00000001) {
    let o = 12;
    while (o < msg.length) {
      const l = msg[o];
      if (l === 0) break;
      if (l & 0xc0) return msg.toString("latin1", 2);
      o += l + 1;
    }
    o += 5; // the root label, qtype, qclass
    // OPT: root name, type 41, class (UDP size), TTL (extended rcode, version, DO); then RDLEN and options.
    if (o + 11 <= msg.length && msg[o] === 0 && msg.readUInt16BE(o + 1) === 41) return msg.toString("latin1", 2, o + 9);
  }
  return msg.toString("latin1", 2);
}

/** An answer of just an rcode: no records, not authoritative (errors, refusals, BADVERS). */
function bare(rcode: DnsAnswer["rcode"]): DnsAnswer {
  return { rcode, authoritative: false, answers: [], authority: [], additionals: [] };
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** "::ffff:10.0.0.1" (an IPv4 client on a dual-stack socket) -> "10.0.0.1". */
function plainIP(a: string): string {
  return a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
}

/** The upstream's answer as CoreDNS's forward plugin passes it on: its AA and RA bits and additional records too. */
function upstreamToAnswer(u: UpstreamAnswer): DnsAnswer {
  return {
    rcode: (u.rcode in RCODES ? u.rcode : "SERVFAIL") as DnsAnswer["rcode"],
    authoritative: (u.flags & 0x400) !== 0,
    recursionAvailable: (u.flags & 0x80) !== 0,
    answers: u.answers,
    authority: u.authorities,
    additionals: u.additionals,
    truncated: u.truncated,
  };
}

/**
 * A 12-byte reply: the query's ID and opcode with QR set and the given rcode; RD and CD are
 * copied for standard queries only and RA stays clear, as miekg/dns's SetReply does.
 */
function headerOnly(msg: Buffer, rcode: number): Buffer {
  const b = Buffer.alloc(12);
  const query = (msg[2] & 0x78) === 0;
  b[0] = msg[0];
  b[1] = msg[1];
  b[2] = 0x80 | (msg[2] & (query ? 0x79 : 0x78));
  b[3] = (query ? msg[3] & 0x10 : 0) | rcode;
  return b;
}

function literalLookup(address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void {
  const fam = net.isIP(address);
  if (fam) cb(null, address, fam);
  else cb(new Error(`not an IP address: ${address}`), address, 0);
}

/**
 * UDP and TCP on the same port; port 0 picks one free for both. TCP is bound first: the
 * kernel's pick then avoids every TCP port in use (a UDP pick could land on a busy client
 * connection's port, which made listen fail while other tests held hundreds of connections);
 * a UDP socket on the same port is rarer, and a few tries step past it.
 */
async function bindPair(host: string, port: number, wantUdp: boolean, wantTcp: boolean): Promise<{ udp?: dgram.Socket; tcp?: net.Server }> {
  for (let attempt = 0; ; attempt++) {
    let t: net.Server | undefined;
    let u: dgram.Socket | undefined;
    try {
      let p = port;
      if (wantTcp) {
        t = net.createServer();
        await new Promise<void>((res, rej) => {
          t!.once("error", rej);
          t!.listen(port, host, () => {
            t!.off("error", rej);
            res();
          });
        });
        p = (t.address() as AddressInfo).port;
      }
      if (wantUdp) {
        // Replies go to literal addresses: resolve them synchronously instead of via dns.lookup's
        // extra tick per packet (measurable at tens of thousands of queries per second).
        u = dgram.createSocket({ type: net.isIP(host) === 6 ? "udp6" : "udp4", lookup: literalLookup });
        await new Promise<void>((res, rej) => {
          u!.once("error", rej);
          u!.bind(p, host, () => {
            u!.off("error", rej);
            res();
          });
        });
      }
      return { udp: u, tcp: t };
    } catch (e) {
      u?.close();
      t?.close();
      if (port !== 0 || attempt >= 20) throw new Error(`cannot listen on ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
