// The offline proxy commands end to end (the CLI as a child process over the seed's manifests).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const cli = join(root, "dist", "cli", "main.js");
const sockShop = join(root, "examples", "seed", "10-sock-shop.yaml");
const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8" });

test("render iptables: sock-shop front-end chain has 1/4, 1/3, 1/2, then no statistic", () => {
  const out = run("render", "iptables", "-f", sockShop, "--node", "node-1");
  const svc = out.split("\n").filter((l) => /^-A KUBE-SVC-\S+ -m comment --comment "sock-shop\/front-end:http -> /.test(l));
  assert.equal(svc.length, 4);
  assert.deepEqual(svc.map((l) => /--probability (\S+)/.exec(l)?.[1] ?? "none"), ["0.2500000000", "0.3333333333", "0.5000000000", "none"]);
  assert.ok(out.startsWith("*filter\n") && out.endsWith("COMMIT\n"));
});

test("render nftables and trace -o json agree on the front-end service", () => {
  const nft = run("render", "nftables", "-f", sockShop, "--node", "node-1");
  assert.match(nft, /^add table ip kube-proxy\n/);
  const cluster = JSON.parse(run("render", "cluster", "-f", sockShop, "-o", "json"));
  const fe = cluster.items.find((o: { kind: string; metadata: { name: string } }) => o.kind === "Service" && o.metadata.name === "front-end");
  for (const mode of ["iptables", "nftables"]) {
    const r = JSON.parse(run("trace", "--offline", "-f", sockShop, "--node", "node-1", "--src", "10.244.1.200", "--dst", `${fe.spec.clusterIP}:80`, "--mode", mode, "-o", "json"));
    assert.equal(r.verdict, "DNAT", mode);
    assert.equal(r.destinations.length, 4, mode);
    assert.equal(r.masquerade, false, mode);
    assert.ok(r.rules.length > 0);
  }
});

test("trace: bad flags are errors that name the flag", () => {
  const r = spawnSync(process.execPath, [cli, "trace", "--offline", "-f", sockShop, "--src", "10.0.0.1", "--dst", "10.96.0.1"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--dst must be IP:PORT/);
  const n = spawnSync(process.execPath, [cli, "render", "iptables", "-f", sockShop, "--node", "nope"], { cwd: root, encoding: "utf8" });
  assert.equal(n.status, 1);
  assert.match(n.stderr, /node "nope" not found \(nodes: node-1, node-2\)/);
});

test("trace: a source in the IPv4 half of a dual-stack clusterCIDR is a Pod's", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "netlab-trace-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, "kube-proxy.yaml");
  writeFileSync(config, "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.244.0.0/16,fd00:10:244::/56\n");
  const origin = (src: string) => JSON.parse(run("trace", "--offline", "-f", sockShop, "--config", config, "--src", src, "--dst", "10.96.0.1:443", "-o", "json")).origin;
  assert.equal(origin("10.244.1.200"), "pod");
  assert.equal(origin("192.0.2.7"), "external");
});
