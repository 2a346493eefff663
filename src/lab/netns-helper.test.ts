import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPython, HelperUnavailable, NetnsHelper } from "./netns-helper.js";
import { serveHttp, serveUdpEcho } from "../agent/test-server.js";
import { kernelSkipReason } from "./kernel-test-support.js";
import { mustRun, nsExec, OUTPUT_CUT_NOTE, systemRunner } from "./exec.js";
import { runLeavingChild } from "./runner-test-support.js";

const noPython = findPython() ? undefined : "needs python3 (/usr/bin/python3): the netns helper is a python3 program";

async function withOpener(fn: (o: NetnsHelper) => Promise<void>): Promise<void> {
  const o = NetnsHelper.start();
  assert.ok(o, "netns helper did not start");
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

test("netns helper sockets: hands over a TCP listener and a UDP socket that this process serves alone", { skip: noPython }, async () => {
  await withOpener(async (o) => {
    const fds = () => readdirSync(`/proc/${o.pid}/fd`).length;
    await o.run("true", []); // started and answering
    const before = fds();
    const { sockets, errors } = await o.openSockets(undefined, [
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

test("netns helper sockets: a port it cannot bind is an error naming it; a bad or missing namespace rejects", { skip: noPython }, async () => {
  await withOpener(async (o) => {
    const r = await o.openSockets(undefined, [{ protocol: "TCP", host: "192.0.2.123", port: 1 }]);
    assert.equal(r.sockets.length, 0);
    assert.match(r.errors[0].message, /^listen EADDRNOTAVAIL: .* 192\.0\.2\.123:1$/);
    await assert.rejects(o.openSockets("../etc", [{ protocol: "TCP", host: "0.0.0.0", port: 1 }]), /invalid network namespace name/);
    await assert.rejects(o.openSockets(`nlt-${process.pid}-missing`, [{ protocol: "TCP", host: "0.0.0.0", port: 1 }]), /cannot enter network namespace nlt-\d+-missing/);
    // Still serving after the errors.
    const ok = await o.openSockets(undefined, [{ protocol: "UDP", host: "127.0.0.1", port: 0 }]);
    assert.equal(ok.sockets.length, 1);
    for (const s of ok.sockets) if (s.protocol === "UDP") s.socket.close();
  });
});

test("kernel: netns helper makes sockets inside a namespace, then returns to its own", { skip: noPython ?? kernelSkipReason() }, async (t) => {
  const ns = `nlt-${process.pid}-sopen`;
  await mustRun(systemRunner, "ip", ["netns", "add", ns]);
  t.after(() => systemRunner.run("ip", ["netns", "del", ns]));
  await mustRun(systemRunner, "ip", ["-n", ns, "link", "set", "lo", "up"]);
  await withOpener(async (o) => {
    const inside = await o.openSockets(ns, [
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
      const home = await o.openSockets(undefined, [{ protocol: "TCP", host: "127.0.0.1", port: 0 }]);
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

test("netns helper runs programs as systemRunner does: input, env, exit code, stdout/stderr, a missing program", { skip: noPython }, async () => {
  await withOpener(async (o) => {
    const script = ["sh", ["-c", 'cat; echo "to stderr $FOO" >&2; exit 3'], { input: "hello\n", env: { PATH: "/usr/bin:/bin", FOO: "bar" } }] as const;
    const mine = await o.run(script[0], [...script[1]], script[2]);
    assert.deepEqual(mine, { code: 3, stdout: "hello\n", stderr: "to stderr bar\n" });
    assert.deepEqual(mine, await systemRunner.run(script[0], [...script[1]], script[2]));
    const e1 = await o.run("no-such-program-nlt", []).then(() => "ran", (e: Error) => e.message);
    const e2 = await systemRunner.run("no-such-program-nlt", []).then(() => "ran", (e: Error) => e.message);
    assert.equal(e1, e2);
    // Big input and output (a 10,000-service iptables-restore is megabytes), several at once.
    const big = "x".repeat(3_000_000) + "\n";
    const rs = await Promise.all([1, 2, 3].map((i) => o.run("sh", ["-c", `wc -c; echo ${i}`], { input: big })));
    assert.deepEqual(rs.map((r) => r.stdout), ["3000001\n1\n", "3000001\n2\n", "3000001\n3\n"]);
    const out = await o.run("head", ["-c", "2000000", "/dev/zero"]);
    assert.equal(out.stdout.length, 2_000_000);
  });
});

test("netns helper kills a program at its time bound, as systemRunner does", { skip: noPython }, async () => {
  await withOpener(async (o) => {
    const r = await o.run("sleep", ["5"], { timeoutMs: 200 });
    assert.equal(r.code, 128);
    assert.match(r.stderr, /killed by SIGKILL \(timeout 200 ms\)/);
  });
});

test("kernel: netns helper runs `nsenter --net=... -- CMD` inside the namespace and comes back", { skip: noPython ?? kernelSkipReason() }, async (t) => {
  const ns = `nlt-${process.pid}-hrun`;
  await mustRun(systemRunner, "ip", ["netns", "add", ns]);
  t.after(() => systemRunner.run("ip", ["netns", "del", ns]));
  await mustRun(systemRunner, "ip", ["-n", ns, "link", "add", "nlt0", "type", "bridge"]);
  await withOpener(async (o) => {
    const argv = [`--net=/run/netns/${ns}`, "--", "ip", "-o", "link", "show"];
    const inside = await o.run("nsenter", argv);
    assert.equal(inside.code, 0, inside.stderr);
    assert.match(inside.stdout, /nlt0/);
    assert.deepEqual(inside, await systemRunner.run("nsenter", argv));
    // Back in its own namespace: the same view as this process.
    const here = await o.run("ip", ["-o", "link", "show"]);
    assert.doesNotMatch(here.stdout, /nlt0/);
    assert.equal(here.stdout, (await systemRunner.run("ip", ["-o", "link", "show"])).stdout);
    // Failures keep nsenter's exit statuses.
    const missingNs = await o.run("nsenter", [`--net=/run/netns/${ns}-missing`, "--", "true"]);
    assert.equal(missingNs.code, (await systemRunner.run("nsenter", [`--net=/run/netns/${ns}-missing`, "--", "true"])).code);
    const missingProg = await o.run("nsenter", [`--net=/run/netns/${ns}`, "--", "no-such-program-nlt"]);
    assert.equal(missingProg.code, (await systemRunner.run("nsenter", [`--net=/run/netns/${ns}`, "--", "no-such-program-nlt"])).code);
  });
});

test("netns helper run: a helper that stops answering is stopped after the command's timeout and a grace, and its requests fail", { timeout: 15_000 }, async () => {
  // A stand-in for python3 that says it is ready, then never answers.
  const dir = mkdtempSync(join(tmpdir(), "netlab-helper-"));
  const fake = join(dir, "silent-helper");
  writeFileSync(fake, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} -e "process.send({ ready: true }); process.on('message', () => {}); setInterval(() => {}, 60000)"\n`, { mode: 0o755 });
  const logs: string[] = [];
  const o = NetnsHelper.start({ python: fake, log: (m) => logs.push(m) });
  assert.ok(o);
  try {
    // Ready: the request may have run, so it fails as such (not as "helper unavailable", which the spawner retries elsewhere).
    const t0 = performance.now();
    await assert.rejects(o.run("true", [], { timeoutMs: 100 }), (e: Error) => !(e instanceof HelperUnavailable) && /netns helper did not answer within 2100 ms running true/.test(e.message));
    // Not before the command's timeout and the grace (a lower bound only: load only adds time).
    assert.ok(performance.now() - t0 >= 2000, `stopped after ${Math.round(performance.now() - t0)} ms`);
    assert.equal(o.alive, false);
    await assert.rejects(o.run("true", []), HelperUnavailable);
    assert.match(logs.join("\n"), /did not answer/);
  } finally {
    o.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("netns helper run: a program whose child keeps its output open is answered shortly after it exits, as systemRunner does; the helper goes on", { skip: noPython }, async () => {
  await withOpener(async (o) => {
    const { result, orphan } = await runLeavingChild(o);
    assert.ok(orphan > 0, result.stdout);
    assert.deepEqual(result, { code: 0, stdout: `${orphan}\n`, stderr: OUTPUT_CUT_NOTE });
    assert.equal((await o.run("echo", ["next"])).stdout, "next\n");
    assert.equal(o.alive, true);
  });
});

test("netns helper run: a large input arrives whole", { skip: noPython }, async () => {
  await withOpener(async (o) => {
    const input = "0123456789abcdef\n".repeat(1 << 19); // 8 MB in many channel reads
    const r = await o.run("wc", ["-c"], { input, timeoutMs: 30_000 });
    assert.equal(r.stdout.trim(), String(input.length));
  });
});
