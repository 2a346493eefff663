import { test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import dnsPacket, { type Answer as RR } from "dns-packet";
import { Forwarder, parseHostPort, type UpstreamAnswer } from "./forward.js";

/** A loopback upstream answering every question with reply(question name), counting questions. */
async function scriptedUpstream(reply: (name: string) => Partial<dnsPacket.Packet>): Promise<{ upstream: string; asked: () => number; close: () => void }> {
  const up = dgram.createSocket("udp4");
  let asked = 0;
  up.on("message", (m, r) => {
    asked++;
    const q = dnsPacket.decode(m);
    up.send(dnsPacket.encode({ type: "response", id: q.id, questions: q.questions, ...reply(q.questions![0].name) }), r.port, r.address);
  });
  await new Promise<void>((r) => up.bind(0, "127.0.0.1", () => r()));
  return { upstream: `127.0.0.1:${(up.address() as AddressInfo).port}`, asked: () => asked, close: () => up.close() };
}

const a = (name: string, ttl: number, data = "192.0.2.7"): RR => ({ name, type: "A", ttl, class: "IN", data });
const soa = (ttl: number): RR => ({ name: "example", type: "SOA", ttl, class: "IN", data: { mname: "ns.example", rname: "h.example", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } });
const ttls = (x: UpstreamAnswer | null) => [...x!.answers, ...x!.authorities, ...x!.additionals].map((r) => (r as { ttl: number }).ttl);
const AA = 0x400;

test("forwarded names as kubeadm's `cache 30` keeps them: every TTL set to the time kept (5-30 s), then from the cache with AA", async () => {
  const up = await scriptedUpstream((name) => {
    if (name.startsWith("long")) return { flags: dnsPacket.RECURSION_AVAILABLE, answers: [a(name, 300), a(name, 600, "192.0.2.8")], additionals: [a("glue.example", 900), { type: "OPT", name: ".", udpPayloadSize: 1232, flags: 0, options: [] } as unknown as RR] };
    if (name.startsWith("short")) return { answers: [a(name, 2)] };
    if (name.startsWith("gone")) return { flags: 3, authorities: [soa(900)] };
    if (name.startsWith("nosoa")) return { flags: 3 };
    if (name.startsWith("fail")) return { flags: 2 };
    if (name.startsWith("refused")) return { flags: 5 };
    return { answers: [] };
  });
  let now = 5_000_000;
  const f = new Forwarder({ upstream: up.upstream, now: () => now });
  try {
    // Kept 30 s at most; the first reply says so for every record, keeps RA, drops OPT.
    const first = await f.forward("long.example", "A");
    assert.deepEqual(ttls(first), [30, 30, 30]);
    assert.equal(first!.flags & AA, 0);
    assert.ok(first!.flags & dnsPacket.RECURSION_AVAILABLE);
    assert.deepEqual(first!.additionals.map((r) => r.type), ["A"]);
    now += 10_999;
    const hit = await f.forward("LONG.example", "A");
    assert.equal(up.asked(), 1);
    assert.deepEqual(ttls(hit), [20, 20, 20]);
    assert.ok(hit!.flags & AA, "from the cache: authoritative, as item.toMsg sets it");
    assert.ok(hit!.flags & dnsPacket.RECURSION_AVAILABLE);
    now += 19_001; // 30 s: the TTL reaches 0, the answer is gone
    await f.forward("long.example", "A");
    assert.equal(up.asked(), 2);

    // Kept 5 s at least.
    assert.deepEqual(ttls(await f.forward("short.example", "A")), [5]);
    now += 4_000;
    assert.deepEqual(ttls(await f.forward("short.example", "A")), [1]);
    assert.equal(up.asked(), 3);

    // NXDOMAIN with an SOA: denial, kept 30 s at most by the SOA's own TTL.
    const gone = await f.forward("gone.example", "A");
    assert.deepEqual([gone!.rcode, ...ttls(gone)], ["NXDOMAIN", 30]);
    await f.forward("gone.example", "A");
    assert.equal(up.asked(), 4);

    // SERVFAIL: kept 5 s. NXDOMAIN without an SOA and REFUSED: other errors, never kept.
    await f.forward("fail.example", "A");
    await f.forward("fail.example", "A");
    assert.equal(up.asked(), 5);
    now += 5_000;
    await f.forward("fail.example", "A");
    assert.equal(up.asked(), 6);
    for (const n of ["nosoa.example", "refused.example"]) {
      await f.forward(n, "A");
      await f.forward(n, "A");
    }
    assert.equal(up.asked(), 10);

    // NOERROR without records (no SOA either): kept the minimal 5 s.
    await f.forward("empty.example", "AAAA");
    await f.forward("empty.example", "AAAA");
    assert.equal(up.asked(), 11);
  } finally {
    f.close();
    up.close();
  }
});

test("an upstream that does not answer gives null after the timeout", async () => {
  const silent = dgram.createSocket("udp4");
  await new Promise<void>((r) => silent.bind(0, "127.0.0.1", () => r()));
  const f = new Forwarder({ upstream: `127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 100 });
  try {
    assert.equal(await f.forward("x.example", "A"), null);
  } finally {
    f.close();
    silent.close();
  }
});

test("upstream address forms", () => {
  assert.deepEqual(parseHostPort("10.0.0.1:5353", 53), { host: "10.0.0.1", port: 5353 });
  assert.deepEqual(parseHostPort("10.0.0.1", 53), { host: "10.0.0.1", port: 53 });
  assert.deepEqual(parseHostPort("[fd00::1]:54", 53), { host: "fd00::1", port: 54 });
  assert.deepEqual(parseHostPort("fd00::1", 53), { host: "fd00::1", port: 53 });
  // An empty or non-numeric port is not a port (an empty one read as 0: "any free port").
  assert.ok(Number.isNaN(parseHostPort("127.0.0.1:", 53).port));
  assert.ok(Number.isNaN(parseHostPort("127.0.0.1:5x", 53).port));
  assert.ok(Number.isNaN(parseHostPort("127.0.0.1: 53", 53).port));
  assert.throws(() => new Forwarder({ upstream: "10.0.0.1:" }), /invalid upstream "10.0.0.1:": no port after the colon/);
  assert.throws(() => new Forwarder({ upstream: "10.0.0.1:99999" }), /invalid upstream "10.0.0.1:99999": port 99999 is out of range 1-65535/);
  assert.throws(() => new Forwarder({ upstream: "dns.example:53" }), /invalid upstream "dns.example:53": "dns.example" is no IP address; want IP:PORT/);
});
