// apply, get, delete and scale against a real API server (HTTPS on loopback) with the
// controllers running, through the built `netlab` binary.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Endpoints, Pod } from "../../api/types.js";
import { Registry } from "../../apiserver/registry.js";
import { startApiServer, type ApiServer } from "../../apiserver/server.js";
import { openSqliteStore } from "../../store/sqlite-store.js";
import { DEFAULT_SETTINGS } from "../../cluster/settings.js";
import { startControllers, type RunningControllers } from "../../controllers/manager.js";
import { offlineNode } from "../../offline/converge.js";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const SEED = fileURLToPath(new URL("../../../examples/seed", import.meta.url));

let dir: string;
let registry: Registry;
let server: ApiServer;
let controllers: RunningControllers;

function netlab(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, KUBECONFIG: server.kubeconfigPath, NETLAB_HOME: join(dir, "home"), ...opts.env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "netlab-live-"));
  registry = new Registry(openSqliteStore(":memory:"), DEFAULT_SETTINGS);
  for (const i of [1, 2]) await registry.create(offlineNode(i, DEFAULT_SETTINGS));
  server = await startApiServer({ registry, host: "127.0.0.1", port: 0, dataDir: join(dir, "api") });
  controllers = startControllers(registry, DEFAULT_SETTINGS, { offlinePodIPs: true, log: () => {} });
});

after(async () => {
  controllers?.stop();
  await server?.close();
  registry?.store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("apply -f DIR creates every seed object with kubectl's words; again: unchanged", async () => {
  const r = await netlab(["apply", "-f", SEED]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  for (const want of ["deployment.apps/frontend created", "service/my-service created", "namespace/prod created", "statefulset.apps/db created", "endpoints/external-db created", "ingress.networking.k8s.io/test-ingress created", "pod/foo created"]) {
    assert.ok(lines.includes(want), `missing "${want}" in\n${r.stdout}`);
  }
  await controllers.idle({ timeoutMs: 30_000 });
  const again = await netlab(["apply", "-f", SEED]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(again.stdout.trim().split("\n").every((l) => l.endsWith(" unchanged")), again.stdout);
});

test("get: kubectl's columns, wide, -A, -o name/json, NotFound", async () => {
  await controllers.idle({ timeoutMs: 30_000 });
  const pods = await netlab(["get", "pods", "-o", "wide"]);
  assert.equal(pods.code, 0, pods.stderr);
  const [head, ...rows] = pods.stdout.trim().split("\n");
  assert.match(head, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
  const db0 = rows.find((l) => l.startsWith("db-0 "))!;
  assert.match(db0, /^db-0\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.[12]\.\d+\s+node-[12]\s/);
  const svc = await netlab(["get", "svc", "frontend-nodeport"]);
  assert.match(svc.stdout, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
  assert.match(svc.stdout, /frontend-nodeport\s+NodePort\s+10\.\d+\.\d+\.\d+\s+<none>\s+8080:30001\/TCP\s/);
  const lb = await netlab(["get", "service", "frontend-lb"]);
  assert.match(lb.stdout, /LoadBalancer\s+\S+\s+198\.51\.100\.\d+\s+80:3\d{4}\/TCP/);
  const all = await netlab(["get", "deploy", "-A"]);
  assert.match(all.stdout, /^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
  assert.match(all.stdout, /\nsock-shop\s+front-end\s+4\/4\s+4\s+4\s/);
  const names = await netlab(["get", "deploy,sts", "-o", "name"]);
  assert.ok(names.stdout.split("\n").includes("deployment.apps/frontend") && names.stdout.split("\n").includes("statefulset.apps/db"), names.stdout);
  const json = await netlab(["get", "ep", "my-service", "-o", "json"]);
  const ep = JSON.parse(json.stdout) as Endpoints;
  assert.equal(ep.kind, "Endpoints");
  assert.equal(ep.subsets![0].addresses!.length, 3);
  const labels = await netlab(["get", "pods", "db-0", "--show-labels"]);
  assert.match(labels.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS\ndb-0\s+.*\s+app=db,apps\.kubernetes\.io\/pod-index=0,controller-revision-hash=db-\w+,statefulset\.kubernetes\.io\/pod-name=db-0\n$/);
  const jp = await netlab(["get", "svc", "frontend-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"]);
  assert.match(jp.stdout, /^198\.51\.100\.\d+$/);
  const jpList = await netlab(["get", "sts", "-o", "jsonpath={.items[*].metadata.name}"]);
  assert.equal(jpList.stdout, "db");
  const missing = await netlab(["get", "pod", "nope"]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error from server (NotFound): pods "nope" not found\n');
  const none = await netlab(["get", "pods", "-n", "prod"]);
  assert.equal(none.stderr, "No resources found in prod namespace.\n");
  const badKind = await netlab(["get", "widgets"]);
  assert.equal(badKind.code, 1);
  assert.match(badKind.stderr, /doesn't have a resource type "widgets"/);
});

test("scale deployment/NAME: Pods and endpoints follow", async () => {
  const r = await netlab(["scale", "deployment/frontend", "--replicas", "5"]);
  assert.equal(r.stdout, "deployment.apps/frontend scaled\n");
  await controllers.idle({ timeoutMs: 30_000 });
  const ep = (await registry.get<Endpoints>({ kind: "Endpoints", namespace: "default", name: "my-service" }));
  assert.equal(ep.subsets![0].addresses!.length, 5);
  const sts = await netlab(["scale", "statefulset", "db", "--replicas=1"]);
  assert.equal(sts.stdout, "statefulset.apps/db scaled\n");
  await controllers.idle({ timeoutMs: 30_000 });
  const dbPods = (await registry.list<Pod>("Pod", { namespace: "default", labelSelector: "app=db" })).items.map((p) => p.metadata.name);
  assert.deepEqual(dbPods, ["db-0"]);
  const bad = await netlab(["scale", "service/my-service", "--replicas", "2"]);
  assert.equal(bad.code, 1);
  const cond = await netlab(["scale", "deployment/frontend", "--replicas", "2", "--current-replicas", "3"]);
  assert.equal(cond.code, 1);
  assert.equal(cond.stderr, "error: Expected replicas to be 3, was 5\n");
});

test("apply: a changed manifest is configured and rolls the Deployment; removed fields go", async () => {
  const f = join(dir, "cm.yaml");
  writeFileSync(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n  b: \"2\"\n");
  assert.equal((await netlab(["apply", "-f", f])).stdout, "configmap/settings created\n");
  writeFileSync(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n");
  assert.equal((await netlab(["apply", "-f", f])).stdout, "configmap/settings configured\n");
  const cm = await registry.get<{ data: Record<string, string> } & import("../../api/types.js").KubeObject>({ kind: "ConfigMap", namespace: "default", name: "settings" });
  assert.deepEqual(cm.data, { a: "1" });
  // From stdin, with a new image: a second ReplicaSet, revision 2.
  const yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: frontend}\nspec:\n  replicas: 3\n  selector: {matchLabels: {tier: frontend}}\n  template:\n    metadata: {labels: {tier: frontend}}\n    spec:\n      containers:\n        - name: web\n          image: nginx:2\n          ports: [{name: http, containerPort: 8080}, {name: https, containerPort: 8081}]\n";
  const r = await netlab(["apply", "-f", "-"], { stdin: yaml });
  assert.equal(r.stdout, "deployment.apps/frontend configured\n", r.stderr);
  await controllers.idle({ timeoutMs: 30_000 });
  const rs = (await netlab(["get", "rs", "-l", "tier=frontend"])).stdout;
  assert.equal(rs.trim().split("\n").length, 3, rs);
  assert.match(rs, /frontend-\S+\s+3\s+3\s+3\s/);
  assert.match(rs, /frontend-\S+\s+0\s+0\s+0\s/);
  const d = (await netlab(["get", "deployment", "frontend", "-o", "yaml"])).stdout;
  assert.match(d, /deployment\.kubernetes\.io\/revision: "2"/);
});

test("apply reports refused objects with the file and goes on", async () => {
  const f = join(dir, "bad.yaml");
  writeFileSync(f, "apiVersion: v1\nkind: Service\nmetadata: {name: fixed}\nspec:\n  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: after-bad}\n");
  const r = await netlab(["apply", "-f", f]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^The Service "fixed" is invalid: spec\\.clusterIPs: Invalid value: \\[\\]string\\{"10\\.96\\.0\\.1"\\}: failed to allocate IP 10\\.96\\.0\\.1: provided IP is already allocated\\n$`));
  assert.equal(r.stdout, "configmap/after-bad created\n");
});

test("delete: KIND NAME, -f, -l, --ignore-not-found", async () => {
  assert.equal((await netlab(["delete", "pod", "foo"])).stdout, 'pod "foo" deleted\n');
  const again = await netlab(["delete", "pod", "foo"]);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, 'Error from server (NotFound): pods "foo" not found\n');
  assert.equal((await netlab(["delete", "pod", "foo", "--ignore-not-found"])).code, 0);
  const f = await netlab(["delete", "-f", join(SEED, "10-sock-shop.yaml")]);
  assert.equal(f.code, 0, f.stderr);
  assert.ok(f.stdout.startsWith('namespace "sock-shop" deleted\n'), f.stdout);
  const byLabel = await netlab(["delete", "deploy", "-l", "!nothing", "--all"]);
  assert.equal(byLabel.code, 0, byLabel.stderr);
  assert.match(byLabel.stdout, /deployment\.apps "frontend" deleted/);
  await controllers.idle({ timeoutMs: 30_000 });
  const rs = (await registry.list("ReplicaSet", { namespace: "default", labelSelector: "tier=frontend" })).items;
  assert.equal(rs.length, 0, "dependents go with their owner");
});

test("kubeconfig: --kubeconfig, else the lab's ~/.netlab/<name>/kubeconfig, else a clear error", async () => {
  const home = join(dir, "home");
  const r1 = await netlab(["get", "ns"], { env: { KUBECONFIG: "", XDG_DATA_HOME: join(dir, "xdg") } });
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /^error: no kubeconfig: pass --kubeconfig, set KUBECONFIG, or start a lab/);
  mkdirSync(join(home, "lab2"), { recursive: true });
  copyFileSync(server.kubeconfigPath, join(home, "lab2", "kubeconfig"));
  const r2 = await netlab(["get", "ns", "--name", "lab2"], { env: { KUBECONFIG: "", XDG_DATA_HOME: join(dir, "xdg") } });
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stdout, /^NAME\s+STATUS\s+AGE\ndefault\s+Active/);
  const r3 = await netlab(["get", "ns", "--kubeconfig", server.kubeconfigPath], { env: { KUBECONFIG: "/nonexistent" } });
  assert.equal(r3.code, 0, r3.stderr);
  // netlab apiserver's default data directory.
  mkdirSync(join(dir, "xdg", "netlab", "apiserver"), { recursive: true });
  copyFileSync(server.kubeconfigPath, join(dir, "xdg", "netlab", "apiserver", "kubeconfig"));
  const r4 = await netlab(["get", "ns"], { env: { KUBECONFIG: "", XDG_DATA_HOME: join(dir, "xdg") } });
  assert.equal(r4.code, 0, r4.stderr);
});
