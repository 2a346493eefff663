import { test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { spawnSync } from "node:child_process";
import dnsPacket, { type Answer as RR, type DecodedPacket } from "dns-packet";
import type { KubeList, KubeObject, WatchEvent } from "../api/types.js";
import type { Client, Watch, WatchHandler } from "../client/client.js";
import { cacheKey, startDnsServer, type DnsServer } from "./server.js";
import { corednsCluster, service, slice } from "./fixtures.test-util.js";

function query(name: string, type: string, opts: { id?: number; edns?: number; rd?: boolean } = {}): Buffer {
  return dnsPacket.encode({
    type: "query",
    id: opts.id ?? 4242,
    flags: opts.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as RR["type"], class: "IN" }],
    additionals: opts.edns ? [{ type: "OPT", name: ".", udpPayloadSize: opts.edns, flags: 0, options: [] } as unknown as RR] : [],
  });
}

function udpAsk(port: number, msg: Buffer, timeoutMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    const t = setTimeout(() => {
      s.close();
      resolve(null);
    }, timeoutMs);
    s.on("message", (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(msg, port, "127.0.0.1");
  });
}

function tcpAsk(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, "127.0.0.1");
    const f = Buffer.alloc(msg.length + 2);
    f.writeUInt16BE(msg.length, 0);
    msg.copy(f, 2);
    let acc = Buffer.alloc(0);
    c.on("connect", () => c.write(f));
    c.on("data", (d) => {
      acc = Buffer.concat([acc, d]);
      if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        c.destroy();
        resolve(acc.subarray(2, 2 + acc.readUInt16BE(0)));
      }
    });
    c.on("error", reject);
    setTimeout(() => reject(new Error("tcp timeout")), 2000).unref();
  });
}

const decode = (b: Buffer | null): DecodedPacket & { rcode?: string } => {
  assert.ok(b, "a reply");
  return dnsPacket.decode(b) as DecodedPacket & { rcode?: string };
};
const data = (p: DecodedPacket) => (p.answers ?? []).map((a) => `${a.name} ${a.type} ${JSON.stringify((a as { data: unknown }).data)}`);

async function withServer(opts: Parameters<typeof startDnsServer>[0], fn: (s: DnsServer, port: number) => Promise<void>): Promise<void> {
  const s = await startDnsServer({ listen: "127.0.0.1:0", ...opts });
  try {
    await fn(s, s.udpAddress!.port);
  } finally {
    await s.close();
  }
}

test("UDP and TCP answers, case kept, ID patched from the cache, EDNS echoed", async () => {
  await withServer({ objects: corednsCluster(), podsMode: "insecure" }, async (_s, port) => {
    const a = decode(await udpAsk(port, query("svc1.testns.svc.cluster.local", "A", { id: 1 })));
    assert.equal(a.id, 1);
    assert.equal(a.rcode, "NOERROR");
    assert.ok(a.flag_aa && a.flag_qr && a.flag_rd);
    // CoreDNS's kubernetes plugin answers with SetReply: no RA (dig: "recursion requested but not available").
    assert.ok(!a.flag_ra, "no RA on our own answers");
    assert.deepEqual(data(a), ['svc1.testns.svc.cluster.local A "10.0.0.1"']);
    const b = decode(await udpAsk(port, query("SVC1.testns.svc.cluster.local", "A", { id: 2 })));
    assert.equal(b.id, 2);
    assert.deepEqual(data(b), ['SVC1.testns.svc.cluster.local A "10.0.0.1"']);
    const c = decode(await udpAsk(port, query("svc1.testns.svc.cluster.local", "A", { id: 3 })));
    assert.equal(c.id, 3);
    assert.deepEqual(data(c), data(a));
    const t = decode(await tcpAsk(port, query("_http._tcp.svc1.testns.svc.cluster.local", "SRV", { id: 9 })));
    assert.equal(t.id, 9);
    assert.deepEqual(data(t), ['_http._tcp.svc1.testns.svc.cluster.local SRV {"priority":0,"weight":100,"port":80,"target":"svc1.testns.svc.cluster.local"}']);
    const e = decode(await udpAsk(port, query("svc1.testns.svc.cluster.local", "A", { edns: 4096 })));
    const opt = (e.additionals ?? []).find((x) => x.type === "OPT");
    assert.ok(opt, "OPT echoed");
    const nx = decode(await udpAsk(port, query("nope.testns.svc.cluster.local", "A")));
    assert.equal(nx.rcode, "NXDOMAIN");
    assert.equal(nx.authorities?.[0].type, "SOA");
    const refused = decode(await udpAsk(port, query("example.com", "A")));
    assert.equal(refused.rcode, "REFUSED");
  });
});

test("EDNS options (cookies) do not defeat the response cache; the DO bit and size do count", async () => {
  const withCookie = (cookie: string, size = 1232, flags = 0) =>
    dnsPacket.encode({
      type: "query",
      id: 7,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name: "svc1.testns.svc.cluster.local", type: "A" }],
      additionals: [{ type: "OPT", name: ".", udpPayloadSize: size, flags, options: [{ code: 10, data: Buffer.from(cookie, "hex") }] } as unknown as RR],
    });
  assert.equal(cacheKey(withCookie("0102030405060708")), cacheKey(withCookie("a1a2a3a4a5a6a7a8")));
  assert.notEqual(cacheKey(withCookie("0102030405060708")), cacheKey(withCookie("0102030405060708", 4096)));
  assert.notEqual(cacheKey(withCookie("0102030405060708")), cacheKey(withCookie("0102030405060708", 1232, dnsPacket.DNSSEC_OK)));
  await withServer({ objects: corednsCluster() }, async (s, port) => {
    decode(await udpAsk(port, withCookie("0102030405060708")));
    const hits = s.stats.cacheHits;
    const b = decode(await udpAsk(port, withCookie("1112131415161718")));
    assert.equal(s.stats.cacheHits, hits + 1);
    assert.deepEqual(data(b), ['svc1.testns.svc.cluster.local A "10.0.0.1"']);
  });
});

test("TC when a UDP answer does not fit: 512 without EDNS, the client's size with it, never over TCP", async () => {
  const eps = Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.0.${i + 1}` }));
  const objs = [service("default", "big", { clusterIP: "None" }), slice("default", "big", "big-1", "IPv4", eps, [{ name: "p", port: 1, protocol: "TCP" }])];
  await withServer({ objects: objs }, async (_s, port) => {
    const small = decode(await udpAsk(port, query("big.default.svc.cluster.local", "A")));
    assert.ok(small.flag_tc);
    assert.equal(small.answers?.length, 0);
    assert.equal(small.questions?.[0].name, "big.default.svc.cluster.local");
    const edns = decode(await udpAsk(port, query("big.default.svc.cluster.local", "A", { edns: 4096 })));
    assert.ok(!edns.flag_tc);
    assert.equal(edns.answers?.length, 60);
    const ednsSmall = decode(await udpAsk(port, query("big.default.svc.cluster.local", "A", { edns: 600 })));
    assert.ok(ednsSmall.flag_tc);
    const t = decode(await tcpAsk(port, query("big.default.svc.cluster.local", "A")));
    assert.ok(!t.flag_tc);
    assert.equal(t.answers?.length, 60);
  });
});

test("FORMERR for a readable header with a broken body, garbage dropped, responses dropped", async () => {
  await withServer({ objects: corednsCluster() }, async (_s, port) => {
    const q = query("svc1.testns.svc.cluster.local", "A", { id: 777 });
    const broken = q.subarray(0, 20);
    const f = decode(await udpAsk(port, broken));
    assert.equal(f.id, 777);
    assert.equal(f.rcode, "FORMERR");
    assert.ok(f.flag_rd && !f.flag_ra, "RD copied, no RA");
    // A status query (opcode 2): NOTIMP with the opcode, RD not copied (SetReply copies it for queries only).
    const status = Buffer.from(q);
    status[2] = (2 << 3) | 0x01;
    const ni = await udpAsk(port, status);
    assert.ok(ni);
    assert.deepEqual([ni.readUInt16BE(0), ni[2], ni[3]], [777, 0x80 | (2 << 3), 4]);
    assert.equal(await udpAsk(port, Buffer.from([1, 2, 3]), 300), null);
    const resp = Buffer.from(q);
    resp[2] |= 0x80;
    assert.equal(await udpAsk(port, resp, 300), null);
    const two = dnsPacket.encode({ type: "query", id: 5, questions: [{ name: "a.cluster.local", type: "A" }, { name: "b.cluster.local", type: "A" }] });
    assert.equal(decode(await udpAsk(port, two)).rcode, "FORMERR");
    // miekg/dns's accept check on the header counts: two answers, two authorities or three additionals.
    const rrs = (n: number): RR[] => Array.from({ length: n }, (_, i) => ({ name: `x${i}.example`, type: "A", ttl: 1, class: "IN", data: "192.0.2.1" }) as RR);
    const withRecords = (an: number, ns: number, ar: number) =>
      dnsPacket.encode({ type: "query", id: 6, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: "svc1.testns.svc.cluster.local", type: "A" }], answers: rrs(an), authorities: rrs(ns), additionals: rrs(ar) });
    assert.equal(decode(await udpAsk(port, withRecords(1, 1, 2))).rcode, "NOERROR", "at the limits: answered");
    for (const [an, ns, ar] of [[2, 0, 0], [0, 2, 0], [0, 0, 3]]) {
      const r = decode(await udpAsk(port, withRecords(an, ns, ar)));
      assert.equal(r.rcode, "FORMERR", `an=${an} ns=${ns} ar=${ar}`);
      assert.equal((r.questions ?? []).length, 0);
    }
    // Counts within the limits but the records missing: the body does not parse, FORMERR too.
    const short = Buffer.from(query("svc1.testns.svc.cluster.local", "A", { id: 6 }));
    short.writeUInt16BE(1, 6);
    assert.equal(decode(await udpAsk(port, short)).rcode, "FORMERR");
    const bad = Buffer.from(query("svc1.testns.svc.cluster.local", "A", { edns: 1232 }));
    // EDNS version 1 -> BADVERS (extended rcode 1).
    bad[bad.length - 11 + 6] = 1;
    const bv = decode(await udpAsk(port, bad));
    const opt = (bv.additionals ?? []).find((x) => x.type === "OPT") as { extendedRcode?: number } | undefined;
    assert.equal(opt?.extendedRcode, 1);
  });
});

/** A Client that serves list/watch from memory; the first list waits for `release()`. */
class FakeClient {
  objects = new Map<string, KubeObject>();
  handlers = new Set<{ kind: string; h: WatchHandler }>();
  private gate: Promise<void>;
  release!: () => void;
  constructor(objs: KubeObject[]) {
    for (const o of objs) this.objects.set(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o);
    this.gate = new Promise((r) => (this.release = r));
  }
  async list<T extends KubeObject>(kind: string): Promise<KubeList<T>> {
    await this.gate;
    return { apiVersion: "v1", kind: `${kind}List`, metadata: { resourceVersion: "1" }, items: [...this.objects.values()].filter((o) => o.kind === kind) as T[] };
  }
  watch(kind: string, _o: unknown, h: WatchHandler): Watch {
    const e = { kind, h };
    this.handlers.add(e);
    let done!: () => void;
    const p = new Promise<void>((r) => (done = r));
    return { stop: () => (this.handlers.delete(e), done()), done: p };
  }
  emit(type: WatchEvent["type"], obj: KubeObject): void {
    for (const { kind, h } of this.handlers) if (kind === obj.kind) h({ type, object: obj });
  }
}

test("SERVFAIL until the first sync, then list+watch updates are visible at once", async () => {
  const fake = new FakeClient(corednsCluster());
  await withServer({ client: fake as unknown as Client }, async (s, port) => {
    const before = decode(await udpAsk(port, query("svc1.testns.svc.cluster.local", "A")));
    assert.equal(before.rcode, "SERVFAIL");
    // handler_test.go notSyncedTestCases: the SERVFAIL carries the SOA; what needs no objects is
    // answered (CoreDNS turns only NXDOMAIN into SERVFAIL before the sync), and nothing is cached.
    assert.deepEqual((before.authorities ?? []).map((a) => `${a.name} ${a.type}`), ["cluster.local SOA"]);
    assert.deepEqual(data(decode(await udpAsk(port, query("dns-version.cluster.local", "TXT")))).length, 1);
    assert.equal(decode(await udpAsk(port, query("svc.cluster.local", "A"))).rcode, "NOERROR");
    fake.release();
    await s.synced;
    const after = decode(await udpAsk(port, query("svc1.testns.svc.cluster.local", "A")));
    assert.deepEqual(data(after), ['svc1.testns.svc.cluster.local A "10.0.0.1"']);
    assert.equal(decode(await udpAsk(port, query("new.testns.svc.cluster.local", "A"))).rcode, "NXDOMAIN");
    fake.emit("ADDED", service("testns", "new", { clusterIP: "10.0.0.99", ports: [{ port: 80 }] }));
    assert.deepEqual(data(decode(await udpAsk(port, query("new.testns.svc.cluster.local", "A")))), ['new.testns.svc.cluster.local A "10.0.0.99"']);
    fake.emit("DELETED", service("testns", "svc1", { clusterIP: "10.0.0.1" }));
    assert.equal(decode(await udpAsk(port, query("svc1.testns.svc.cluster.local", "A"))).rcode, "NXDOMAIN");
  });
});

/** A tiny upstream on loopback: answers A for *.example.com with 192.0.2.1, TTL 60 (or ttl), counts queries; RA set, AA for aa.example.com. */
async function startUpstream(ttl = 60): Promise<{ port: number; count: () => number; close: () => void }> {
  const s = dgram.createSocket("udp4");
  let n = 0;
  s.on("message", (m, r) => {
    n++;
    const q = dnsPacket.decode(m);
    const qq = q.questions![0];
    const known = qq.name.toLowerCase().endsWith("example.com");
    const answers: RR[] = known && qq.type === "A" ? [{ name: qq.name, type: "A", ttl, class: "IN", data: "192.0.2.1" }] : [];
    const aa = qq.name.toLowerCase() === "aa.example.com" ? dnsPacket.AUTHORITATIVE_ANSWER : 0;
    s.send(dnsPacket.encode({ type: "response", id: q.id, flags: (known ? 0 : 3) | aa | dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers }), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return { port: (s.address() as net.AddressInfo).port, count: () => n, close: () => s.close() };
}

test("forwarding out-of-zone names with a TTL cache; ExternalName targets resolved upstream", async () => {
  const up = await startUpstream();
  try {
    const objs = [...corednsCluster(), service("testns", "db", { type: "ExternalName", externalName: "my.database.example.com" })];
    await withServer({ objects: objs, upstream: `127.0.0.1:${up.port}` }, async (_s, port) => {
      const a = decode(await udpAsk(port, query("www.example.com", "A")));
      assert.equal(a.rcode, "NOERROR");
      // The upstream's flags pass through, as CoreDNS's forward plugin writes its reply: RA, and AA only when it set it.
      assert.ok(!a.flag_aa && a.flag_ra);
      const aa = decode(await udpAsk(port, query("aa.example.com", "A")));
      assert.ok(aa.flag_aa && aa.flag_ra);
      assert.deepEqual(data(a), ['www.example.com A "192.0.2.1"']);
      const b = decode(await udpAsk(port, query("www.example.com", "A", { id: 99 })));
      assert.equal(b.id, 99);
      assert.deepEqual(data(b), data(a));
      assert.equal(up.count(), 2, "second answer from the cache");
      assert.equal(decode(await udpAsk(port, query("nothing.invalid", "A"))).rcode, "NXDOMAIN");
      const c = decode(await udpAsk(port, query("db.testns.svc.cluster.local", "A")));
      assert.deepEqual(data(c), ['db.testns.svc.cluster.local CNAME "my.database.example.com"', 'my.database.example.com A "192.0.2.1"']);
      assert.ok(c.flag_aa && !c.flag_ra, "an ExternalName answer is ours (the kubernetes plugin's), whatever the upstream set");
      // Unknown reverse names go upstream too.
      decode(await udpAsk(port, query("1.2.0.192.in-addr.arpa", "PTR")));
    });
  } finally {
    up.close();
  }
});

test("forwarded answers are kept as kubeadm's `cache 30` keeps them: TTLs of 5 to 30 s, then AA from the cache", async () => {
  for (const [upstreamTtl, kept] of [[1, 5], [60, 30]]) {
    const up = await startUpstream(upstreamTtl);
    try {
      await withServer({ objects: corednsCluster(), upstream: `127.0.0.1:${up.port}` }, async (_s, port) => {
        const first = decode(await udpAsk(port, query("www.example.com", "A")));
        assert.deepEqual([first.rcode, first.flag_aa, first.flag_ra, (first.answers![0] as { ttl: number }).ttl], ["NOERROR", false, true, kept]);
        const again = decode(await udpAsk(port, query("www.example.com", "A")));
        assert.equal(up.count(), 1, "within the time kept: from the cache");
        assert.ok(again.flag_aa && again.flag_ra);
        const left = (again.answers![0] as { ttl: number }).ttl;
        assert.ok(left <= kept && left >= kept - 1, `TTL ${left} from the cache, kept ${kept}`);
      });
    } finally {
      up.close();
    }
  }
  // An ExternalName target is looked up through the same cache (CoreDNS's upstream.Lookup
  // runs the plugin chain again): the same TTL bound, and the name asked upstream once.
  for (const [upstreamTtl, kept] of [[1, 5], [60, 30]]) {
    const up = await startUpstream(upstreamTtl);
    try {
      const objs = [...corednsCluster(), service("testns", "db", { type: "ExternalName", externalName: "www.example.com" })];
      await withServer({ objects: objs, upstream: `127.0.0.1:${up.port}` }, async (_s, port) => {
        const chased = decode(await udpAsk(port, query("db.testns.svc.cluster.local", "A")));
        const target = chased.answers!.find((r) => r.type === "A") as { ttl: number };
        assert.equal(target.ttl, kept);
        decode(await udpAsk(port, query("www.example.com", "A")));
        assert.equal(up.count(), 1, "the direct question is answered from the chase's cache entry");
      });
    } finally {
      up.close();
    }
  }
});

test("dig against the server (when dig is installed)", async (t) => {
  if (spawnSync("dig", ["-v"]).error) {
    t.skip("dig not installed");
    return;
  }
  await withServer({ objects: corednsCluster() }, async (_s, port) => {
    const dig = (...args: string[]) =>
      new Promise<string>((resolve) => {
        import("node:child_process").then(({ execFile }) =>
          execFile("dig", ["@127.0.0.1", "-p", String(port), "+time=2", "+tries=1", ...args], (_e, out) => resolve(out)),
        );
      });
    assert.equal((await dig("+short", "svc1.testns.svc.cluster.local")).trim(), "10.0.0.1");
    assert.equal((await dig("+short", "+tcp", "_http._tcp.svc1.testns.svc.cluster.local", "SRV")).trim(), "0 100 80 svc1.testns.svc.cluster.local.");
    assert.match(await dig("svc0.testns.svc.cluster.local"), /status: NXDOMAIN/);
  });
});

test("fuzz: random and truncated packets over UDP and TCP, then the server still answers", async () => {
  await withServer({ objects: corednsCluster(), podsMode: "insecure" }, async (s, port) => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed / 0x7fffffff);
    const valid = [
      query("svc1.testns.svc.cluster.local", "A", { edns: 1232 }),
      query("_http._tcp.hdls1.testns.svc.cluster.local", "SRV"),
      query("10-1-2-3.testns.pod.cluster.local", "A"),
      query("2.0.0.172.in-addr.arpa", "PTR"),
    ];
    const packets: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const kind = i % 3;
      if (kind === 0) packets.push(Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256))));
      else {
        const v = Buffer.from(valid[i % valid.length]);
        if (kind === 1) packets.push(v.subarray(0, Math.floor(rnd() * v.length)));
        else {
          for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) v[Math.floor(rnd() * v.length)] = Math.floor(rnd() * 256);
          packets.push(v);
        }
      }
    }
    const sock = dgram.createSocket("udp4");
    for (let i = 0; i < packets.length; i++) {
      await new Promise<void>((r) => sock.send(packets[i], port, "127.0.0.1", () => r()));
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    sock.close();
    // TCP: framed fuzz and junk framing on 300 connections, 30 at a time.
    const tcpOne = (i: number) =>
      new Promise<void>((resolve) => {
        const c = net.connect(port, "127.0.0.1");
        const p = packets[i];
        const f = Buffer.alloc(p.length + 2);
        f.writeUInt16BE(i % 5 === 0 ? Math.floor(rnd() * 65536) : p.length, 0);
        p.copy(f, 2);
        c.on("connect", () => c.end(f));
        c.on("error", () => resolve());
        c.on("close", () => resolve());
        setTimeout(() => (c.destroy(), resolve()), 500).unref();
      });
    for (let i = 0; i < 300; i += 30) await Promise.all(Array.from({ length: 30 }, (_, k) => tcpOne(i + k)));
    // Also the in-process entry point with every packet (no exception may escape).
    for (const p of packets) await s.handle(p, false);
    const a = decode(await udpAsk(port, query("svc1.testns.svc.cluster.local", "A")));
    assert.deepEqual(data(a), ['svc1.testns.svc.cluster.local A "10.0.0.1"']);
    const t = decode(await tcpAsk(port, query("svc1.testns.svc.cluster.local", "A")));
    assert.deepEqual(data(t), data(a));
    assert.ok(s.stats.queries > 3000);
  });
});

test("pre-made sockets (as the lab hands them over from a namespace) are served", async () => {
  const u = dgram.createSocket("udp4");
  await new Promise<void>((r) => u.bind(0, "127.0.0.1", () => r()));
  const t = net.createServer();
  await new Promise<void>((r) => t.listen(0, "127.0.0.1", () => r()));
  const s = await startDnsServer({ objects: corednsCluster(), udpSocket: u, tcpServer: t, dnsServiceIPs: ["10.96.0.10"] });
  try {
    const a = decode(await udpAsk((u.address() as net.AddressInfo).port, query("svc1.testns.svc.cluster.local", "A")));
    assert.deepEqual(data(a), ['svc1.testns.svc.cluster.local A "10.0.0.1"']);
    const ns = decode(await tcpAsk((t.address() as net.AddressInfo).port, query("cluster.local", "NS")));
    assert.deepEqual(data(ns), ['cluster.local NS "ns.dns.cluster.local"']);
    assert.deepEqual((ns.additionals ?? []).map((x) => `${x.name} ${x.type} ${(x as { data: unknown }).data}`), ["ns.dns.cluster.local A 10.96.0.10"]);
  } finally {
    await s.close();
  }
  assert.equal(t.listening, false, "closed with the server");
});

test("the NS glue follows the kube-dns Service as it comes and changes; bad zone options are refused at start", async () => {
  await withServer({ objects: corednsCluster() }, async (s, port) => {
    const glue = async () => (decode(await udpAsk(port, query("cluster.local", "NS"))).additionals ?? []).map((x) => `${x.name} ${x.type} ${(x as { data: unknown }).data}`);
    // No kube-dns Service yet: the listen address.
    assert.deepEqual(await glue(), ["ns.dns.cluster.local A 127.0.0.1"]);
    s.apply("ADDED", service("kube-system", "kube-dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }] }));
    assert.deepEqual(await glue(), ["ns.dns.cluster.local A 10.96.0.10"]);
    s.apply("MODIFIED", service("kube-system", "kube-dns", { clusterIP: "10.96.0.11", ports: [{ name: "dns", port: 53, protocol: "UDP" }] }));
    assert.deepEqual(await glue(), ["ns.dns.cluster.local A 10.96.0.11"]);
  });
  await assert.rejects(startDnsServer({ objects: [], listen: "127.0.0.1:0", reverseZones: ["10.0.0.0/33"] }), /invalid CIDR "10\.0\.0\.0\/33"/);
  await assert.rejects(startDnsServer({ objects: [], listen: "127.0.0.1:0", fallthrough: ["in-addr.arpa", "fd00::/129"] }), /invalid CIDR "fd00::\/129"/);
});
