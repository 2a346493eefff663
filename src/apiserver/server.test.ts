import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync, readFileSync } from "node:fs";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:https";
import { openSqliteStore } from "../store/sqlite-store.js";
import { Registry } from "./registry.js";
import { startApiServer, type ApiServer } from "./server.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { HttpClient } from "../client/http-client.js";
import type { KubeObject, Service, WatchEvent } from "../api/types.js";
import { StatusError } from "../api/status.js";

let dir: string;
let server: ApiServer;
let client: HttpClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "nlt-apiserver-"));
  const registry = new Registry(openSqliteStore(join(dir, "cluster.db"), { watchHistory: 50 }), DEFAULT_SETTINGS, { namespaceFinalizeDelayMs: 10 });
  server = await startApiServer({ registry, port: 0, dataDir: dir });
  client = HttpClient.fromKubeconfig(server.kubeconfigPath);
});

after(async () => {
  client?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw HTTPS request, like curl with the token. */
function raw(method: string, path: string, opts: { body?: string; token?: string | null; contentType?: string; accept?: string } = {}): Promise<{ code: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? server.token}`;
    if (opts.body !== undefined) headers["Content-Type"] = opts.contentType ?? "application/json";
    if (opts.accept) headers.Accept = opts.accept;
    const req = request({ hostname: u.hostname, port: u.port, method, path, headers, ca: server.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
    });
    req.on("error", reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

test("kubeconfig and token are written for the owner only; TLS verifies against the CA with a 127.0.0.1 SAN", () => {
  assert.equal(statSync(server.kubeconfigPath).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, "token")).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, "pki", "apiserver.key")).mode & 0o777, 0o600);
  const kc = readFileSync(server.kubeconfigPath, "utf8");
  assert.match(kc, /current-context: netlab/);
  assert.match(kc, new RegExp(`server: ${server.url.replace(/\./g, "\\.")}`));
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
});

test("a missing or wrong token is 401 Unauthorized; health endpoints are public", async () => {
  const none = await raw("GET", "/api/v1/namespaces", { token: null });
  assert.equal(none.code, 401);
  assert.deepEqual(JSON.parse(none.body), { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 });
  assert.equal((await raw("GET", "/api/v1/namespaces", { token: "wrong" })).code, 401);
  const h = await raw("GET", "/healthz", { token: null });
  assert.equal(h.code, 200);
  assert.equal(h.body, "ok");
  assert.equal((await raw("GET", "/version", { token: null })).code, 200);
});

test("discovery lists groups and resources with shortNames, categories, verbs", async () => {
  const api = JSON.parse((await raw("GET", "/api")).body);
  assert.deepEqual(api.versions, ["v1"]);
  const core = JSON.parse((await raw("GET", "/api/v1")).body);
  const svc = core.resources.find((r: { name: string }) => r.name === "services");
  assert.deepEqual(svc.shortNames, ["svc"]);
  assert.deepEqual(svc.categories, ["all"]);
  assert.equal(svc.namespaced, true);
  assert.equal(svc.singularName, "service");
  assert.ok(svc.verbs.includes("watch"));
  assert.ok(core.resources.some((r: { name: string }) => r.name === "services/status"));
  const apis = JSON.parse((await raw("GET", "/apis")).body);
  assert.deepEqual(apis.groups.map((g: { name: string }) => g.name).sort(), ["apps", "discovery.k8s.io", "networking.k8s.io"]);
  const apps = JSON.parse((await raw("GET", "/apis/apps/v1")).body);
  assert.ok(apps.resources.some((r: { name: string; kind: string }) => r.name === "deployments/scale" && r.kind === "Scale"));
  assert.equal((await raw("GET", "/apis/nope/v1")).code, 404);
});

test("curl-style create, get, list, watch, delete with the token", async () => {
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "curl-cm", labels: { via: "curl" } }, data: { a: "1" } };
  const c = await raw("POST", "/api/v1/namespaces/default/configmaps", { body: JSON.stringify(cm) });
  assert.equal(c.code, 201, c.body);
  const created = JSON.parse(c.body);
  assert.equal(created.metadata.namespace, "default");
  const l = JSON.parse((await raw("GET", "/api/v1/namespaces/default/configmaps?labelSelector=via%3Dcurl")).body);
  assert.equal(l.kind, "ConfigMapList");
  assert.deepEqual(l.items.map((o: KubeObject) => o.metadata.name), ["curl-cm"]);
  assert.ok(Number(l.metadata.resourceVersion) >= Number(created.metadata.resourceVersion));
  const all = JSON.parse((await raw("GET", "/api/v1/configmaps")).body);
  assert.ok(all.items.some((o: KubeObject) => o.metadata.name === "curl-cm"));
  const dup = await raw("POST", "/api/v1/namespaces/default/configmaps", { body: JSON.stringify(cm) });
  assert.equal(dup.code, 409);
  assert.equal(JSON.parse(dup.body).message, 'configmaps "curl-cm" already exists');
  const d = await raw("DELETE", "/api/v1/namespaces/default/configmaps/curl-cm");
  assert.equal(d.code, 200);
  const g = await raw("GET", "/api/v1/namespaces/default/configmaps/curl-cm");
  assert.equal(g.code, 404);
  assert.deepEqual(JSON.parse(g.body), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: 'configmaps "curl-cm" not found',
    reason: "NotFound",
    details: { name: "curl-cm", kind: "configmaps" },
    code: 404,
  });
  const bad = await raw("POST", "/api/v1/namespaces/default/configmaps", { body: "{not json" });
  assert.equal(bad.code, 400);
  const wrongNs = await raw("POST", "/api/v1/namespaces/default/configmaps", { body: JSON.stringify({ ...cm, metadata: { name: "x", namespace: "other" } }) });
  assert.equal(wrongNs.code, 400);
  assert.equal(JSON.parse(wrongNs.body).message, "the namespace of the provided object does not match the namespace sent on the request");
});

test("invalid objects are 422 with upstream's message; allocation errors too; nothing is stored", async () => {
  const svc = (name: string, spec: object): Service => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });
  await assert.rejects(client.create(svc("out", { clusterIP: "1.1.1.1" })), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 422);
    assert.equal(e.reason, "Invalid");
    assert.match(e.message, /^Service "out" is invalid: spec\.clusterIPs: Invalid value: .*failed to allocate IP 1\.1\.1\.1: the provided IP \(1\.1\.1\.1\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12$/);
    return true;
  });
  await assert.rejects(client.create(svc("np", { type: "NodePort", ports: [{ port: 80, nodePort: 80 }] })), /spec\.ports\[0\]\.nodePort: Invalid value: 80: provided port is not in the valid range\. The range of valid ports is 30000-32767/);
  await assert.rejects(client.get({ kind: "Service", name: "out" }), (e: unknown) => e instanceof StatusError && e.code === 404);
});

test("update with a stale resourceVersion is 409 Conflict; dryRun=All stores nothing", async () => {
  const a = await client.create<KubeObject>({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "occ" }, data: { v: "1" } });
  await client.update({ ...a, data: { v: "2" } });
  await assert.rejects(client.update({ ...a, data: { v: "3" } }), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 409);
    assert.equal(e.message, 'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again');
    return true;
  });
  const dry = await raw("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", { body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dry" } }) });
  assert.equal(dry.code, 201);
  assert.equal((await raw("GET", "/api/v1/namespaces/default/configmaps/dry")).code, 404);
  await client.delete({ kind: "ConfigMap", name: "occ" }, { dryRun: true });
  assert.equal((await client.get({ kind: "ConfigMap", name: "occ" })).metadata.name, "occ");
});

test("PATCH: merge, strategic merge (containers by name), JSON patch; apply patch is 415", async () => {
  const d = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "a", image: "a:1" }, { name: "b", image: "b:1" }] } } },
  };
  assert.equal((await raw("POST", "/apis/apps/v1/namespaces/default/deployments", { body: JSON.stringify(d) })).code, 201);
  const smp = await raw("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", {
    body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: "b", image: "b:2" }] } } } }),
    contentType: "application/strategic-merge-patch+json",
  });
  assert.equal(smp.code, 200, smp.body);
  const after = JSON.parse(smp.body);
  assert.deepEqual(after.spec.template.spec.containers.map((c: { image: string }) => c.image), ["a:1", "b:2"]);
  assert.equal(after.metadata.generation, 2);
  const mp = await raw("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", { body: JSON.stringify({ metadata: { labels: { x: "y" } } }), contentType: "application/merge-patch+json" });
  assert.equal(JSON.parse(mp.body).metadata.labels.x, "y");
  const jp = await raw("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", { body: JSON.stringify([{ op: "replace", path: "/spec/replicas", value: 3 }]), contentType: "application/json-patch+json" });
  assert.equal(JSON.parse(jp.body).spec.replicas, 3);
  const ap = await raw("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", { body: "{}", contentType: "application/apply-patch+yaml" });
  assert.equal(ap.code, 415);
  assert.equal(JSON.parse(ap.body).reason, "UnsupportedMediaType");
  // The scale subresource.
  const sc = JSON.parse((await raw("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale")).body);
  assert.deepEqual([sc.kind, sc.spec.replicas, sc.status.selector], ["Scale", 3, "app=web"]);
  const sp = await raw("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale", { body: JSON.stringify({ spec: { replicas: 5 } }), contentType: "application/merge-patch+json" });
  assert.equal(JSON.parse(sp.body).spec.replicas, 5);
  // The status subresource: PUT on the object ignores status.
  const cur = JSON.parse((await raw("GET", "/apis/apps/v1/namespaces/default/deployments/web")).body);
  const put = JSON.parse((await raw("PUT", "/apis/apps/v1/namespaces/default/deployments/web", { body: JSON.stringify({ ...cur, status: { replicas: 9 } }) })).body);
  assert.deepEqual(put.status, {});
  const st = await raw("PUT", "/apis/apps/v1/namespaces/default/deployments/web/status", { body: JSON.stringify({ ...put, status: { replicas: 9 } }) });
  assert.equal(JSON.parse(st.body).status.replicas, 9);
});

test("server-side Table printing for kubectl", async () => {
  const r = await raw("GET", "/api/v1/namespaces/default/services", { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" });
  const tab = JSON.parse(r.body);
  assert.equal(tab.kind, "Table");
  assert.deepEqual(tab.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5), ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)"]);
  const k = tab.rows.find((row: { cells: string[] }) => row.cells[0] === "kubernetes");
  assert.deepEqual(k.cells.slice(0, 5), ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]);
  assert.equal(k.object.kind, "PartialObjectMetadata");
});

test("a watch sees a concurrent writer's events in order", async () => {
  const start = (await client.list("ConfigMap")).metadata.resourceVersion;
  const seen: WatchEvent[] = [];
  const N = 60;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const w = client.watch("ConfigMap", { namespace: "default", resourceVersion: start, labelSelector: "writer=1" }, (ev) => {
    seen.push(ev);
    if (seen.length === N * 2) resolveAll();
  });
  // A second client writes: N creates then N updates, two at a time.
  const writer = HttpClient.fromKubeconfig(server.kubeconfigPath);
  const expected: string[] = [];
  for (let i = 0; i < N; i += 2) {
    await Promise.all([0, 1].map((k) => writer.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `w-${i + k}`, labels: { writer: "1" } } })));
  }
  for (let i = 0; i < N; i++) {
    const o = await writer.get<KubeObject>({ kind: "ConfigMap", name: `w-${i}` });
    await writer.update({ ...o, data: { n: String(i) } });
    expected.push(`MODIFIED w-${i}`);
  }
  await Promise.race([all, new Promise((_, rej) => setTimeout(() => rej(new Error(`watch saw ${seen.length} events`)), 10000))]);
  w.stop();
  await w.done;
  writer.close();
  const rvs = seen.map((e) => Number(e.object.metadata.resourceVersion));
  assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b), "events out of resourceVersion order");
  assert.equal(new Set(rvs).size, rvs.length);
  assert.deepEqual(seen.slice(0, N).map((e) => e.type), Array(N).fill("ADDED"));
  assert.deepEqual(seen.slice(N).map((e) => `${e.type} ${e.object.metadata.name}`), expected);
});

test("a watch from a resourceVersion older than the history gets ERROR 410 Expired", async () => {
  const first = await client.create<KubeObject>({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "old-0" } });
  for (let i = 1; i < 70; i++) await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `old-${i}` } });
  const events: WatchEvent[] = [];
  const w = client.watch("ConfigMap", { resourceVersion: first.metadata.resourceVersion }, (ev) => events.push(ev));
  await w.done;
  assert.equal(events.length, 1);
  assert.equal(events[0].type, "ERROR");
  const st = events[0].object as unknown as { code: number; reason: string; message: string };
  assert.equal(st.code, 410);
  assert.equal(st.reason, "Expired");
  assert.match(st.message, new RegExp(`^too old resource version: ${first.metadata.resourceVersion} \\(\\d+\\)$`));
});

test("a watch without resourceVersion starts with the current objects as ADDED; timeoutSeconds ends it", async () => {
  const events: WatchEvent[] = [];
  const t0 = Date.now();
  const res = await raw("GET", "/api/v1/namespaces?watch=true&timeoutSeconds=1");
  for (const line of res.body.trim().split("\n")) events.push(JSON.parse(line));
  assert.ok(Date.now() - t0 >= 900);
  assert.deepEqual(new Set(events.map((e) => e.type)), new Set(["ADDED"]));
  assert.ok(events.some((e) => e.object.metadata.name === "kube-system"));
});

test("delete cascades to dependents through the REST API (Background) and orphans with Orphan", async () => {
  const owner = await client.create<KubeObject>({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "own" } });
  const ref = { apiVersion: "v1", kind: "ConfigMap", name: "own", uid: owner.metadata.uid!, controller: true };
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dep", ownerReferences: [ref] } });
  await client.delete({ kind: "ConfigMap", name: "own" });
  await assert.rejects(client.get({ kind: "ConfigMap", name: "dep" }), (e: unknown) => e instanceof StatusError && e.code === 404);
  const o2 = await client.create<KubeObject>({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "own" } });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dep", ownerReferences: [{ ...ref, uid: o2.metadata.uid! }] } });
  await client.delete({ kind: "ConfigMap", name: "own" }, { propagationPolicy: "Orphan" });
  assert.equal((await client.get({ kind: "ConfigMap", name: "dep" })).metadata.ownerReferences, undefined);
});

function curl(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "--cacert", join(dir, "pki", "ca.crt"), "-H", `Authorization: Bearer ${server.token}`, ...args], { timeout: 20_000 }, (err, stdout) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout });
    });
  });
}

test("the real curl with the token creates, lists, watches and deletes", async (t) => {
  if (!existsSync("/usr/bin/curl")) {
    t.skip("curl is not installed");
    return;
  }
  const base = `${server.url}/api/v1/namespaces/default/configmaps`;
  const before = JSON.parse((await curl([base])).out).metadata.resourceVersion;
  const watch = curl([`${base}?watch=true&resourceVersion=${before}&timeoutSeconds=2&labelSelector=curl%3Dyes`]);
  await new Promise((r) => setTimeout(r, 300));
  const created = await curl(["-X", "POST", "-H", "Content-Type: application/json", "-d", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"by-curl","labels":{"curl":"yes"}},"data":{"k":"v"}}', base]);
  assert.equal(JSON.parse(created.out).metadata.name, "by-curl");
  const listed = JSON.parse((await curl([`${base}?labelSelector=curl%3Dyes`])).out);
  assert.deepEqual(listed.items.map((o: KubeObject) => o.metadata.name), ["by-curl"]);
  const deleted = await curl(["-X", "DELETE", `${base}/by-curl`]);
  assert.equal(JSON.parse(deleted.out).metadata.name, "by-curl");
  const lines = (await watch).out.trim().split("\n").map((l) => JSON.parse(l) as WatchEvent);
  assert.deepEqual(lines.map((e) => `${e.type} ${e.object.metadata.name}`), ["ADDED by-curl", "DELETED by-curl"]);
  const noToken = await new Promise<string>((resolve) => execFile("curl", ["-sS", "--cacert", join(dir, "pki", "ca.crt"), base], (_e, out) => resolve(out)));
  assert.equal(JSON.parse(noToken).code, 401);
});

test("HttpClient: patch, updateStatus, list across namespaces, unknown kind", async () => {
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "hc" } });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "hc" }, data: { a: "1" } });
  const p = await client.patch<KubeObject>({ kind: "ConfigMap", namespace: "hc", name: "x" }, { data: { b: "2" } });
  assert.deepEqual(p.data, { a: "1", b: "2" });
  const all = await client.list("ConfigMap");
  assert.ok(all.items.some((o) => o.metadata.namespace === "hc" && o.metadata.name === "x"));
  const svc = await client.create<Service>({ apiVersion: "v1", kind: "Service", metadata: { name: "lb", namespace: "hc" }, spec: { type: "LoadBalancer", ports: [{ port: 80 }] } });
  const st = await client.updateStatus<Service>({ ...svc, status: { loadBalancer: { ingress: [{ ip: "198.51.100.7" }] } } });
  assert.equal(st.status?.loadBalancer?.ingress?.[0].ip, "198.51.100.7");
  await assert.rejects(client.get({ kind: "Nope", name: "x" }), (e: unknown) => e instanceof StatusError && e.code === 404);
  const ev: WatchEvent[] = [];
  const w = client.watch("Nope", {}, (e) => ev.push(e));
  await w.done;
  assert.equal(ev[0]?.type, "ERROR");
});
