import { test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import dnsPacket from "dns-packet";
import { Forwarder, parseHostPort } from "./forward.js";

test("upstream answers are cached for their TTL, counted down, then asked again", async () => {
  const up = dgram.createSocket("udp4");
  let asked = 0;
  up.on("message", (m, r) => {
    asked++;
    const q = dnsPacket.decode(m);
    up.send(
      dnsPacket.encode({ type: "response", id: q.id, questions: q.questions, answers: [{ name: q.questions![0].name, type: "A", ttl: 30, class: "IN", data: "192.0.2.7" }] }),
      r.port,
      r.address,
    );
  });
  await new Promise<void>((r) => up.bind(0, "127.0.0.1", () => r()));
  let now = 1_000_000;
  const f = new Forwarder({ upstream: `127.0.0.1:${(up.address() as AddressInfo).port}`, now: () => now });
  try {
    const a = await f.resolve("x.example", "A");
    assert.equal((a!.answers[0] as { ttl: number }).ttl, 30);
    now += 10_000;
    const b = await f.resolve("X.example", "A");
    assert.equal(asked, 1);
    assert.equal((b!.answers[0] as { ttl: number }).ttl, 20);
    now += 21_000;
    await f.resolve("x.example", "A");
    assert.equal(asked, 2);
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
    assert.equal(await f.resolve("x.example", "A"), null);
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
  assert.throws(() => new Forwarder({ upstream: "10.0.0.1:" }), /invalid upstream "10.0.0.1:"/);
  assert.throws(() => new Forwarder({ upstream: "dns.example:53" }), /invalid upstream "dns.example:53": want IP:PORT/);
});
