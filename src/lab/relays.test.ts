import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer } from "node:net";
import { startDnsUpstreamRelay } from "./relays.js";

/** Open sockets and servers of this process, by type. */
const sockets = () => process.getActiveResourcesInfo().filter((r) => /UDP|TCP/.test(r)).sort();
const settle = () => new Promise((r) => setTimeout(r, 50));

async function udp(): Promise<UdpSocket> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return s;
}

test("the DNS upstream relay relays over UDP and TCP, and close() leaves no socket open (its lab socket included)", async () => {
  const before = sockets();
  // The "internet's DNS": echoes the query with QR set.
  const upstream = await udp();
  upstream.on("message", (m, r) => {
    const b = Buffer.from(m);
    b[2] |= 0x80;
    upstream.send(b, r.port, r.address);
  });
  const relay = await startDnsUpstreamRelay(await udp(), { host: "127.0.0.1", port: upstream.address().port });
  const [host, port] = relay.address.split(":");
  const q = Buffer.from("abcd0100000100000000000003777777076578616d706c6503636f6d0000010001", "hex");
  const client = await udp();
  const got = new Promise<Buffer>((r) => client.once("message", (m) => r(m)));
  client.send(q, Number(port), host);
  assert.equal((await got).readUInt16BE(0), 0xabcd);
  // A TCP client that stays connected: close() must end it too.
  const c = connect(Number(port), host);
  const framed = Buffer.concat([Buffer.from([0, q.length]), q]);
  const tcpAnswer = new Promise<Buffer>((r) => c.once("data", (d: Buffer) => r(d)));
  c.write(framed);
  assert.equal((await tcpAnswer).readUInt16BE(2), 0xabcd);
  relay.close();
  client.close();
  upstream.close();
  await new Promise((r) => c.once("close", r));
  await settle();
  assert.deepEqual(sockets(), before);
});

test("a relay that cannot listen closes what it opened and the lab socket it was given", async () => {
  const before = sockets();
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  const port = (busy.address() as { port: number }).port;
  const lab = await udp();
  await assert.rejects(startDnsUpstreamRelay(lab, { host: "127.0.0.1", port: 53 }, 3000, port), /cannot listen on 127\.0\.0\.1:\d+/);
  await new Promise<void>((r) => busy.close(() => r()));
  await settle();
  assert.deepEqual(sockets(), before);
  assert.throws(() => lab.address(), /Not running/i);
});
