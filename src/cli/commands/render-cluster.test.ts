import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { KubeObject, Node, Service } from "../../api/types.js";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const SEED = fileURLToPath(new URL("../../../examples/seed", import.meta.url));

function netlab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

test("render cluster: a v1 List, the same bytes every run, yaml and json agree", async () => {
  const [a, b, j] = await Promise.all([netlab(["render", "cluster", "-f", SEED]), netlab(["render", "cluster", "-f", SEED]), netlab(["render", "cluster", "-f", SEED, "-o", "json"])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  const list = parse(a.stdout) as { kind: string; apiVersion: string; items: KubeObject[] };
  assert.equal(list.kind, "List");
  assert.equal(list.apiVersion, "v1");
  assert.deepEqual(JSON.parse(j.stdout), list);
  const lb = list.items.find((o) => o.kind === "Service" && o.metadata.name === "frontend-lb") as Service;
  assert.match(lb.status!.loadBalancer!.ingress![0].ip!, /^198\.51\.100\./);
});

test("render cluster: --nodes and the settings flags", async () => {
  const r = await netlab(["render", "cluster", "-f", join(SEED, "01-multiport-service.yaml"), "--nodes", "3", "--cluster-cidr", "10.50.0.0/16", "--service-cluster-ip-range", "10.0.0.0/16", "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const items = (JSON.parse(r.stdout) as { items: KubeObject[] }).items;
  assert.deepEqual(items.filter((o) => o.kind === "Node").map((n) => (n as Node).spec?.podCIDR), ["10.50.1.0/24", "10.50.2.0/24", "10.50.3.0/24"]);
  const svc = items.find((o) => o.kind === "Service" && o.metadata.name === "my-service") as Service;
  assert.match(svc.spec.clusterIP!, /^10\.0\./);
});

test("render cluster: bad input and bad flags exit 1 with a message", async () => {
  const dir = mkdtempSync(join(tmpdir(), "netlab-render-"));
  try {
    const f = join(dir, "bad.yaml");
    writeFileSync(f, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports: [{port: 0}]\n");
    const bad = await netlab(["render", "cluster", "-f", f]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.yaml \(document 1\): spec\.ports\[0\]\.port: Invalid value: 0/);
    const refused = join(dir, "refused.yaml");
    writeFileSync(refused, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  clusterIP: 1.1.1.1\n  ports: [{port: 80}]\n");
    const r2 = await netlab(["render", "cluster", "-f", refused]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /error when creating Service "default\/x": .*not in the valid range/);
    assert.equal(r2.stdout, "");
    assert.equal((await netlab(["render", "cluster", "-f", SEED, "-o", "wide"])).code, 1);
    assert.match((await netlab(["render", "cluster", "-f", SEED, "--nodes", "x"])).stderr, /invalid --nodes "x"/);
    assert.match((await netlab(["render", "cluster"])).stderr, /must specify -f/);
    const flags: [string[], RegExp][] = [
      [["--cluster-cidr", "foo"], /invalid --cluster-cidr "foo": must be an IPv4 CIDR/],
      [["--node-cidr-mask-size", "8"], /invalid --node-cidr-mask-size 8: must not be smaller than the --cluster-cidr prefix length 16/],
      [["--service-node-port-range", "5-3"], /invalid --service-node-port-range "5-3"/],
      [["--cluster-domain", "Bad_Domain"], /invalid --cluster-domain "Bad_Domain"/],
    ];
    for (const [args, want] of flags) {
      const r = await netlab(["render", "cluster", "-f", join(SEED, "03-nodeport.yaml"), ...args]);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, want);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
