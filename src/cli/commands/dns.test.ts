// The seed checks, against the real `netlab dns serve` process, with dig.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import dnsPacket, { type Answer as RR } from "dns-packet";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const SEED = fileURLToPath(new URL("../../../examples/seed", import.meta.url));

function netlab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A tiny upstream on loopback: A 192.0.2.1 for names under example.com, NXDOMAIN otherwise. */
async function upstream(): Promise<{ port: number; close: () => void }> {
  const s = dgram.createSocket("udp4");
  s.on("message", (m, r) => {
    const q = dnsPacket.decode(m);
    const qq = q.questions![0];
    const ok = qq.name.toLowerCase().endsWith("example.com");
    const answers: RR[] = ok && qq.type === "A" ? [{ name: qq.name, type: "A", ttl: 60, class: "IN", data: "192.0.2.1" }] : [];
    s.send(dnsPacket.encode({ type: "response", id: q.id, flags: ok ? 0 : 3, questions: q.questions, answers }), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return { port: (s.address() as AddressInfo).port, close: () => s.close() };
}

test("seed checks with dig against `netlab dns serve`", async (t) => {
  if (spawnSync("dig", ["-v"]).error) {
    t.skip("dig is not installed (Debian package dnsutils)");
    return;
  }
  const up = await upstream();
  const proc = spawn(process.execPath, [MAIN, "dns", "serve", "-f", SEED, "--listen", "127.0.0.1:0", "--upstream", `127.0.0.1:${up.port}`], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => {
    if (proc.exitCode === null) proc.kill("SIGKILL");
    up.close();
  });
  const banner = await new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out);
    });
    proc.on("exit", (c) => reject(new Error(`dns serve exited ${c}`)));
    setTimeout(() => reject(new Error("dns serve did not start")), 30_000).unref();
  });
  const m = /^serving cluster\.local on 127\.0\.0\.1:(\d+) \(udp\+tcp\): (\d+) records from \d+ services/.exec(banner);
  assert.ok(m, banner);
  const port = m[1];
  const dig = (...args: string[]) =>
    new Promise<string>((resolve) => execFile("dig", ["@127.0.0.1", "-p", port, "+time=2", "+tries=1", ...args], (_e, stdout) => resolve(stdout)));
  const short = async (...args: string[]) => (await dig("+short", ...args)).trim().split("\n").filter(Boolean);

  const [svcIP] = await short("my-service.default.svc.cluster.local");
  assert.match(svcIP, /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/, "my-service has a ClusterIP from 10.96.0.0/12");
  assert.deepEqual(await short("_http._tcp.my-service.default.svc.cluster.local", "SRV"), ["0 100 80 my-service.default.svc.cluster.local."]);
  assert.deepEqual(await short("_https._tcp.my-service.default.svc.cluster.local", "SRV"), ["0 100 443 my-service.default.svc.cluster.local."]);
  assert.deepEqual(await short("my-service.prod.svc.cluster.local", "CNAME"), ["my.database.example.com."]);
  assert.deepEqual(await short("my-service.prod.svc.cluster.local"), ["my.database.example.com.", "192.0.2.1"]);
  const db = await short("db.default.svc.cluster.local");
  assert.equal(db.length, 3, `db: ${db.join(" ")}`);
  const db0 = await short("db-0.db.default.svc.cluster.local");
  assert.equal(db0.length, 1);
  assert.ok(db.includes(db0[0]));
  assert.deepEqual(await short("-x", db0[0]), ["db-0.db.default.svc.cluster.local."]);
  const foo = await short("foo.bar.default.svc.cluster.local");
  assert.equal(foo.length, 1);
  assert.match(foo[0], /^10\.244\.\d+\.\d+$/);
  assert.deepEqual(await short("10-244-1-5.default.pod.cluster.local"), ["10.244.1.5"]);
  assert.deepEqual(await short("-x", svcIP), ["my-service.default.svc.cluster.local."]);
  assert.deepEqual(await short("dns-version.cluster.local", "TXT"), ['"1.1.0"']);
  const nx = await dig("nosuch.default.svc.cluster.local");
  assert.match(nx, /status: NXDOMAIN/);
  assert.match(nx, /AUTHORITY SECTION:\ncluster\.local\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5/);
  const nodata = await dig("my-service.default.svc.cluster.local", "AAAA");
  assert.match(nodata, /status: NOERROR/);
  assert.match(nodata, /ANSWER: 0, AUTHORITY: 1/);
  assert.match(await dig("+tcp", "my-service.default.svc.cluster.local"), new RegExp(`ANSWER SECTION:\\nmy-service\\.default\\.svc\\.cluster\\.local\\.\\s+5\\s+IN\\s+A\\s+${svcIP.replace(/\./g, "\\.")}`));
  assert.deepEqual(await short("www.example.com"), ["192.0.2.1"], "forwarded upstream");

  proc.kill("SIGTERM");
  const code = await new Promise<number | null>((r) => proc.on("exit", (c) => r(c)));
  assert.equal(code, 0, "stops cleanly on SIGTERM");
});

test("dns serve flag errors name the flag and the form it takes", async () => {
  const cases: [string[], RegExp][] = [
    [["--listen", "nope"], /^error: --listen: invalid value "nope": "nope" is no IP address; want IP:PORT \(e\.g\. 127\.0\.0\.1:53/],
    [["--listen", "127.0.0.1:65536"], /^error: --listen: invalid value "127\.0\.0\.1:65536": port 65536 is out of range 0-65535 \(/],
    [["--listen", "127.0.0.1:"], /^error: --listen: invalid value "127\.0\.0\.1:": no port after the colon; want IP:PORT/],
    [["--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:0"], /^error: --upstream: invalid value "127\.0\.0\.1:0": port 0 is out of range 1-65535/],
    [["--listen", "127.0.0.1:0", "--upstream", "resolver:53"], /^error: --upstream: invalid value "resolver:53": "resolver" is no IP address; want IP:PORT/],
    [["--listen", "127.0.0.1:0", "--reverse-zones", "10.96.0.0/33"], /^error: --reverse-zones: invalid CIDR "10\.96\.0\.0\/33": want ADDRESS\/PREFIX, the prefix at most 32 \(IPv4\) .* \(the flag takes zone names or CIDRs, comma separated/],
    [["--listen", "127.0.0.1:0", "--fallthrough", "in-addr.arpa,fd00::/129"], /^error: --fallthrough: invalid CIDR "fd00::\/129": want ADDRESS\/PREFIX, .* or 128 \(IPv6\)/],
    [["--listen", "127.0.0.1:0", "--ttl", "5s"], /^error: --ttl: invalid value "5s": want an integer from 0 to 3600/],
  ];
  for (const [args, want] of cases) {
    const r = await netlab(["dns", "serve", "-f", `${SEED}/01-multiport-service.yaml`, ...args]);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, want, args.join(" "));
  }
});

test("render env for the seed's env-reader prints the REDIS_MASTER_* variables", async () => {
  const r = await netlab(["render", "env", "-f", `${SEED}/08-env-vars.yaml`, "--pod", "default/env-reader"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  const host = /^REDIS_MASTER_SERVICE_HOST=(10\.\d+\.\d+\.\d+)$/m.exec(r.stdout)?.[1];
  assert.ok(host, r.stdout);
  assert.deepEqual(
    lines.filter((l) => l.startsWith("REDIS_MASTER_")),
    [
      `REDIS_MASTER_SERVICE_HOST=${host}`,
      "REDIS_MASTER_SERVICE_PORT=6379",
      `REDIS_MASTER_PORT=tcp://${host}:6379`,
      `REDIS_MASTER_PORT_6379_TCP=tcp://${host}:6379`,
      "REDIS_MASTER_PORT_6379_TCP_PROTO=tcp",
      "REDIS_MASTER_PORT_6379_TCP_PORT=6379",
      `REDIS_MASTER_PORT_6379_TCP_ADDR=${host}`,
    ],
  );
  // The address the cluster gave redis-master, as the zone lists it.
  const zone = await netlab(["render", "dns", "-f", `${SEED}/08-env-vars.yaml`]);
  assert.match(zone.stdout, new RegExp(`^redis-master\\.default\\.svc\\.cluster\\.local\\.\\s+5\\s+IN A\\s+${host.replace(/\./g, "\\.")}$`, "m"));
});

test("render resolv per dnsPolicy for the seed's Pods", async () => {
  const { writeFileSync, mkdtempSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "netlab-resolv-"));
  try {
    const node = join(dir, "resolv.conf");
    writeFileSync(node, "nameserver 192.168.1.1\nsearch corp.example\noptions edns0\n");
    const want: Record<string, string> = {
      "dns-cluster-first": "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n",
      "dns-default": "nameserver 192.168.1.1\nsearch corp.example\noptions edns0\n",
      "dns-hostnet": "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n",
      "dns-none": "nameserver 10.96.0.10\nsearch prod.svc.cluster.local\noptions ndots:2\n",
    };
    for (const [pod, text] of Object.entries(want)) {
      const r = await netlab(["render", "resolv", "-f", `${SEED}/09-dns-policy.yaml`, "--pod", pod, "--node-resolv-conf", node]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, text, pod);
    }
    const missing = await netlab(["render", "resolv", "-f", `${SEED}/09-dns-policy.yaml`, "--pod", "nope", "--node-resolv-conf", node]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pods "nope" not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
