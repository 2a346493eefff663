import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { readdirSync } from "node:fs";
import { findPython, SocketOpener } from "./socket-opener.js";
import { serveHttp, serveUdpEcho } from "./test-server.js";
import { kernelSkipReason } from "../lab/kernel-test-support.js";
import { mustRun, nsExec, systemRunner } from "../lab/exec.js";

const noPython = findPython() ? undefined : "needs python3 (/usr/bin/python3): the socket opener is a python3 program";

async function withOpener(fn: (o: SocketOpener) => Promise<void>): Promise<void> {
  const o = await SocketOpener.start();
  assert.ok(o, "socket opener did not start");
  try {
    await fn(o);
  } finally {
    o.close();
  }
}

/** n datagrams to the echo socket; how many come back. */
async function echoed(port: number, n: number): Promise<number> {
  const c = createSocket("udp4");
  let got = 0;
  c.on("message", () => got++);
  for (let i = 0; i < n; i++) c.send(`m${i}`, port, "127.0.0.1");
  await new Promise((r) => setTimeout(r, 300));
  c.close();
  return got;
}

test("socket opener: hands over a TCP listener and a UDP socket that this process serves alone", { skip: noPython }, async () => {
  await withOpener(async (o) => {
    const fds = () => readdirSync(`/proc/${o.pid}/fd`).length;
    const before = fds();
    const { sockets, errors } = await o.open(undefined, [
      { protocol: "TCP", host: "127.0.0.1", port: 0 },
      { protocol: "UDP", host: "127.0.0.1", port: 0 },
    ]);
    assert.deepEqual(errors, []);
    const tcp = sockets.find((s) => s.protocol === "TCP");
    const udp = sockets.find((s) => s.protocol === "UDP");
    assert.ok(tcp?.protocol === "TCP" && udp?.protocol === "UDP");
    const port = (tcp.server.address() as { port: number }).port;
    const http = serveHttp(tcp.server, port, { pod: "p", namespace: "ns", node: "n", podIP: "127.0.0.1" });
    const echo = serveUdpEcho(udp.socket);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const c = connect(port, "127.0.0.1", () => c.end("GET /x HTTP/1.0\r\n\r\n"));
        let b = "";
        c.on("data", (d: Buffer) => (b += d.toString()));
        c.on("end", () => resolve(b));
        c.on("error", reject);
      });
      assert.match(body, /"path":"\/x"/);
      assert.equal(await echoed(udp.socket.address().port, 20), 20);
      // The opener keeps no copy of what it handed over.
      assert.equal(fds(), before);
    } finally {
      http.close();
      echo.close();
    }
  });
});

test("socket opener: a port it cannot bind is an error naming it; a bad or missing namespace rejects", { skip: noPython }, async () => {
  await withOpener(async (o) => {
    const r = await o.open(undefined, [{ protocol: "TCP", host: "192.0.2.123", port: 1 }]);
    assert.equal(r.sockets.length, 0);
    assert.match(r.errors[0].message, /^listen EADDRNOTAVAIL: .* 192\.0\.2\.123:1$/);
    await assert.rejects(o.open("../etc", [{ protocol: "TCP", host: "0.0.0.0", port: 1 }]), /invalid network namespace name/);
    await assert.rejects(o.open(`nlt-${process.pid}-missing`, [{ protocol: "TCP", host: "0.0.0.0", port: 1 }]), /cannot enter network namespace nlt-\d+-missing/);
    // Still serving after the errors.
    const ok = await o.open(undefined, [{ protocol: "UDP", host: "127.0.0.1", port: 0 }]);
    assert.equal(ok.sockets.length, 1);
    for (const s of ok.sockets) if (s.protocol === "UDP") s.socket.close();
  });
});

test("kernel: socket opener makes sockets inside a namespace, then returns to its own", { skip: noPython ?? kernelSkipReason() }, async (t) => {
  const ns = `nlt-${process.pid}-sopen`;
  await mustRun(systemRunner, "ip", ["netns", "add", ns]);
  t.after(() => systemRunner.run("ip", ["netns", "del", ns]));
  await mustRun(systemRunner, "ip", ["-n", ns, "link", "set", "lo", "up"]);
  await withOpener(async (o) => {
    const inside = await o.open(ns, [
      { protocol: "TCP", host: "0.0.0.0", port: 8080 },
      { protocol: "UDP", host: "0.0.0.0", port: 9000 },
    ]);
    assert.deepEqual(inside.errors, []);
    const tcp = inside.sockets.find((s) => s.protocol === "TCP");
    const udp = inside.sockets.find((s) => s.protocol === "UDP");
    assert.ok(tcp?.protocol === "TCP" && udp?.protocol === "UDP");
    const http = serveHttp(tcp.server, 8080, { pod: "p", namespace: "default", node: "n", podIP: "127.0.0.1" });
    const echo = serveUdpEcho(udp.socket);
    try {
      const r = await nsExec(systemRunner, ns, "curl", ["-sS", "--max-time", "2", "http://127.0.0.1:8080/in"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).path, "/in");
      const d = await nsExec(systemRunner, ns, "dig", ["+short", "+time=1", "+tries=1", "-p", "9000", "@127.0.0.1", "echo.test"]);
      assert.match(d.stdout + d.stderr, /response not set|echo\.test/); // dig sees its own query echoed
      // A request without a namespace binds here again (the opener went back to its own namespace).
      const home = await o.open(undefined, [{ protocol: "TCP", host: "127.0.0.1", port: 0 }]);
      assert.equal(home.sockets.length, 1);
      const s = home.sockets[0];
      assert.ok(s.protocol === "TCP");
      const port = (s.server.address() as { port: number }).port;
      await new Promise<void>((resolve, reject) => {
        const c = connect(port, "127.0.0.1", () => {
          c.destroy();
          resolve();
        });
        c.on("error", reject);
      });
      s.server.close();
    } finally {
      http.close();
      echo.close();
    }
  });
});
