import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { createSocket } from "node:dgram";
import { openSockets } from "./sockets.js";
import { serveHttp, serveUdpEcho } from "./test-server.js";
import { kernelSkipReason } from "../lab/kernel-test-support.js";
import { systemRunner, nsExec, mustRun } from "../lab/exec.js";

function get(port: number, path: string, method = "GET", body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers: { "x-test": "1" } }, (res) => {
      let b = "";
      res.on("data", (d: Buffer) => (b += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body: b }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("socket hand-off + test server: HTTP answers JSON naming the Pod and the client; UDP echoes; /readiness flips /healthz", async () => {
  // loopback in the test's own namespace: the helper's hand-off works the same as inside a Pod's
  const { sockets, errors } = await openSockets(undefined, [
    { protocol: "TCP", host: "127.0.0.1", port: 0 },
    { protocol: "UDP", host: "127.0.0.1", port: 0 },
  ]);
  assert.deepEqual(errors, []);
  const tcp = sockets.find((s) => s.protocol === "TCP")!;
  const udp = sockets.find((s) => s.protocol === "UDP")!;
  assert.ok(tcp.protocol === "TCP" && udp.protocol === "UDP");
  const port = (tcp.server.address() as { port: number }).port;
  const http = serveHttp(tcp.server, port, { pod: "p", namespace: "ns", node: "node-1", podIP: "10.244.1.2" });
  const echo = serveUdpEcho(udp.socket);
  try {
    const r = await get(port, "/some/path?q=1");
    const a = JSON.parse(r.body);
    assert.deepEqual([a.pod, a.namespace, a.node, a.podIP, a.port, a.client, a.method, a.path, a.headers["x-test"]], ["p", "ns", "node-1", "10.244.1.2", port, "127.0.0.1", "GET", "/some/path?q=1", "1"]);
    assert.equal((await get(port, "/healthz")).status, 200);
    await get(port, "/readiness", "POST", "fail");
    assert.equal((await get(port, "/healthz")).status, 503);
    const uport = udp.socket.address().port;
    const c = createSocket("udp4");
    const got = await new Promise<string>((resolve) => {
      c.on("message", (m) => resolve(m.toString()));
      c.send("hello", uport, "127.0.0.1");
    });
    c.close();
    assert.equal(got, "hello");
  } finally {
    http.close();
    echo.close();
  }
});

test("socket helper reports a port it cannot bind as an error, not a crash", async () => {
  const { sockets, errors } = await openSockets(undefined, [{ protocol: "TCP", host: "192.0.2.123", port: 1 }]);
  assert.equal(sockets.length, 0);
  assert.match(errors[0].message, /EADDRNOTAVAIL/);
});

test("kernel: sockets made inside a namespace are served by this process", { skip: kernelSkipReason() }, async (t) => {
  const ns = `nlt-${process.pid}-sock`;
  await mustRun(systemRunner, "ip", ["netns", "add", ns]);
  t.after(() => systemRunner.run("ip", ["netns", "del", ns]));
  await mustRun(systemRunner, "ip", ["-n", ns, "link", "set", "lo", "up"]);
  const { sockets } = await openSockets(ns, [{ protocol: "TCP", host: "127.0.0.1", port: 8080 }]);
  const tcp = sockets[0];
  assert.ok(tcp.protocol === "TCP");
  const srv = serveHttp(tcp.server, 8080, { pod: "p", namespace: "default", node: "n", podIP: "127.0.0.1" });
  t.after(() => srv.close());
  const r = await nsExec(systemRunner, ns, "curl", ["-sS", "--max-time", "2", "http://127.0.0.1:8080/x"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).path, "/x");
});
