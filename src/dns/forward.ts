// Forwarding of names outside the cluster zone to one upstream resolver (UDP, TCP when the
// client came over TCP or upstream truncated), kept as kubeadm's `cache 30` keeps them
// (cache.ts). ExternalName targets take the same way: CoreDNS's kubernetes plugin looks them
// up through the server's own plugin chain again (plugin/pkg/upstream), cache included.
import dgram from "node:dgram";
import net from "node:net";
import dnsPacket, { type Answer as RR, type DecodedPacket } from "dns-packet";
import { cacheDuration, KUBEADM_CACHE, withCacheTtl } from "./cache.js";

export interface UpstreamAnswer {
  rcode: string;
  flags: number;
  answers: RR[];
  authorities: RR[];
  /** The additional section without OPT (hop by hop). */
  additionals: RR[];
  truncated: boolean;
}

export interface ForwarderOptions {
  /** "IP:PORT", "[v6]:PORT" or "IP" (port 53). */
  upstream: string;
  timeoutMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/** "IP:PORT", "[v6]:PORT" or a bare address (defaultPort); a port that is not digits ("IP:") is NaN. */
export function parseHostPort(s: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (m) return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
  const i = s.lastIndexOf(":");
  if (i > 0 && s.indexOf(":") === i) {
    const port = s.slice(i + 1);
    return { host: s.slice(0, i), port: /^\d+$/.test(port) ? Number(port) : NaN };
  }
  return { host: s, port: defaultPort };
}

/**
 * s as host and port ("IP:PORT", "[IPv6]:PORT" or a bare address, port 53), the port from
 * minPort to 65535; or what is wrong with it, to follow the caller's "invalid ... "s": ".
 */
export function hostPort(s: string, minPort: number): { host: string; port: number } | { problem: string } {
  const { host, port } = parseHostPort(s, 53);
  if (net.isIP(host) === 0) return { problem: `"${host}" is no IP address; want IP:PORT` };
  if (!Number.isInteger(port)) return { problem: "no port after the colon; want IP:PORT" };
  if (port < minPort || port > 65535) return { problem: `port ${port} is out of range ${minPort}-65535` };
  return { host, port };
}

/** A forwarded answer in the `cache` plugin's keeping: served with ttl minus its age. */
interface CachedReply {
  at: number;
  ttl: number;
  answer: UpstreamAnswer;
}

export class Forwarder {
  private host: string;
  private port: number;
  private sock: dgram.Socket | null = null;
  private pending = new Map<number, { resolve: (p: DecodedPacket) => void; timer: NodeJS.Timeout }>();
  private nextId = Math.floor(Math.random() * 65536);
  private replies = new Map<string, CachedReply>();
  private timeoutMs: number;
  private maxEntries: number;
  private now: () => number;
  private closed = false;

  constructor(opts: ForwarderOptions) {
    const hp = hostPort(opts.upstream, 1);
    if ("problem" in hp) throw new Error(`invalid upstream "${opts.upstream}": ${hp.problem}`);
    this.host = hp.host;
    this.port = hp.port;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxEntries = opts.maxEntries ?? 10000;
    this.now = opts.now ?? Date.now;
  }

  get address(): string {
    return net.isIP(this.host) === 6 ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /**
   * A name outside the cluster zone, as CoreDNS's `cache` in front of `forward` answers it:
   * the upstream's answer with every TTL set to how long it is kept, then, from the cache, the
   * AA bit set and that TTL counted down (in whole seconds; gone at 0). null: no answer in time.
   */
  async forward(name: string, type: string, klass = "IN", overTcp = false): Promise<UpstreamAnswer | null> {
    const key = `${name.toLowerCase()}|${type}|${klass}`;
    const t = this.now();
    const hit = this.replies.get(key);
    if (hit) {
      const left = hit.ttl - Math.floor((t - hit.at) / 1000);
      if (left > 0) return withCacheTtl(hit.answer, left, true);
      this.replies.delete(key);
    }
    const answer = await this.ask(name, type, klass, overTcp);
    if (!answer) return null;
    const { seconds, keep } = cacheDuration(answer, KUBEADM_CACHE);
    if (keep) {
      if (this.replies.size >= this.maxEntries) this.replies.clear();
      this.replies.set(key, { at: t, ttl: seconds, answer });
    }
    return withCacheTtl(answer, seconds, false);
  }

  /** One question to the upstream: UDP (TCP when asked over TCP, or when UDP came back truncated). */
  private async ask(name: string, type: string, klass: string, overTcp: boolean): Promise<UpstreamAnswer | null> {
    let p = overTcp ? await this.queryTcp(name, type, klass) : await this.queryUdp(name, type, klass);
    if (p && p.flag_tc && !overTcp) p = (await this.queryTcp(name, type, klass)) ?? p;
    if (!p) return null;
    return {
      rcode: (p as { rcode?: string }).rcode ?? "NOERROR",
      flags: p.flags ?? 0,
      answers: p.answers ?? [],
      authorities: p.authorities ?? [],
      additionals: (p.additionals ?? []).filter((r) => r.type !== "OPT"),
      truncated: !!p.flag_tc,
    };
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.sock?.close();
    this.sock = null;
  }

  private udp(): dgram.Socket {
    if (this.sock) return this.sock;
    const s = dgram.createSocket(net.isIP(this.host) === 6 ? "udp6" : "udp4");
    s.on("message", (msg) => {
      let p: DecodedPacket;
      try {
        p = dnsPacket.decode(msg);
      } catch {
        return;
      }
      const w = this.pending.get(p.id ?? -1);
      if (!w) return;
      this.pending.delete(p.id!);
      clearTimeout(w.timer);
      w.resolve(p);
    });
    s.on("error", () => {});
    s.unref();
    this.sock = s;
    return s;
  }

  private newId(): number {
    for (let i = 0; i < 65536; i++) {
      this.nextId = (this.nextId + 1) & 0xffff;
      if (!this.pending.has(this.nextId)) return this.nextId;
    }
    return this.nextId;
  }

  private queryUdp(name: string, type: string, klass: string): Promise<DecodedPacket | null> {
    if (this.closed) return Promise.resolve(null);
    const id = this.newId();
    const buf = dnsPacket.encode({
      type: "query",
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: type as RR["type"], class: klass as "IN" }],
      additionals: [{ type: "OPT", name: ".", udpPayloadSize: 4096, flags: 0, options: [] } as unknown as RR],
    });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, this.timeoutMs);
      timer.unref?.();
      this.pending.set(id, { resolve, timer });
      this.udp().send(buf, this.port, this.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(null);
      });
    });
  }

  private queryTcp(name: string, type: string, klass: string): Promise<DecodedPacket | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const body = dnsPacket.encode({ type: "query", id: this.newId(), flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as RR["type"], class: klass as "IN" }] });
      const framed = Buffer.alloc(body.length + 2);
      framed.writeUInt16BE(body.length, 0);
      body.copy(framed, 2);
      let acc = Buffer.alloc(0);
      let done = false;
      const finish = (p: DecodedPacket | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        c.destroy();
        resolve(p);
      };
      const c = net.connect({ host: this.host, port: this.port }, () => c.write(framed));
      const timer = setTimeout(() => finish(null), this.timeoutMs);
      c.on("data", (d) => {
        acc = Buffer.concat([acc, d]);
        if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
          try {
            finish(dnsPacket.decode(acc.subarray(2, 2 + acc.readUInt16BE(0))));
          } catch {
            finish(null);
          }
        }
      });
      c.on("error", () => finish(null));
      c.on("close", () => finish(null));
    });
  }
}
