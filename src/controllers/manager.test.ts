// The controller loops against the real in-process Registry: changes after convergence.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DaemonSet, Deployment, Endpoints, EndpointSlice, KubeObject, Node, Pod, ReplicaSet, Service } from "../api/types.js";
import { Registry } from "../apiserver/registry.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { offlineNode } from "../offline/converge.js";
import { startControllers } from "./manager.js";
import { seededRandom } from "./random.js";

async function cluster(nodes = 2) {
  const registry = new Registry(openSqliteStore(":memory:"), DEFAULT_SETTINGS, { allocation: { mode: "sequential" } });
  for (let i = 1; i <= nodes; i++) await registry.create(offlineNode(i, DEFAULT_SETTINGS));
  const c = startControllers(registry, DEFAULT_SETTINGS, { offlinePodIPs: true, random: seededRandom(1), deterministic: true, log: () => {} });
  const idle = () => c.idle({ timeoutMs: 20_000 });
  return { registry, idle, stop: () => (c.stop(), registry.store.close()) };
}

const web = (replicas: number, image = "a"): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image, ports: [{ name: "http", containerPort: 8080 }] }] } } },
});
const svc = (name: string, extra: Partial<Service["spec"]> = {}): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default" },
  spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }], ...extra },
});

async function list<T extends KubeObject>(r: Registry, kind: string, labelSelector?: string): Promise<T[]> {
  return (await r.list<T>(kind, { namespace: "default", labelSelector })).items;
}

test("a deleted Pod is replaced, endpoints follow, and a deleted Service takes its Endpoints", async () => {
  const { registry, idle, stop } = await cluster();
  try {
    await registry.create(web(2));
    await registry.create(svc("web"));
    await idle();
    const pods = await list<Pod>(registry, "Pod", "app=web");
    assert.equal(pods.length, 2);
    await registry.delete({ kind: "Pod", namespace: "default", name: pods[0].metadata.name! });
    await idle();
    const after = await list<Pod>(registry, "Pod", "app=web");
    assert.equal(after.length, 2);
    assert.ok(!after.some((p) => p.metadata.name === pods[0].metadata.name));
    const ep = await registry.get<Endpoints>({ kind: "Endpoints", namespace: "default", name: "web" });
    assert.deepEqual(ep.subsets![0].addresses!.map((a) => a.targetRef!.name).sort(), after.map((p) => p.metadata.name).sort());
    // A Pod turning unready moves to notReadyAddresses and ready: false in the slice.
    const p = after[0];
    await registry.updateStatus({ ...p, status: { ...p.status, conditions: [{ type: "Ready", status: "False" }] } });
    await idle();
    const ep2 = await registry.get<Endpoints>({ kind: "Endpoints", namespace: "default", name: "web" });
    assert.deepEqual(ep2.subsets![0].notReadyAddresses!.map((a) => a.ip), [p.status!.podIP]);
    const slice = (await list<EndpointSlice>(registry, "EndpointSlice", "kubernetes.io/service-name=web"))[0];
    assert.equal(slice.endpoints.find((e) => e.addresses[0] === p.status!.podIP)!.conditions!.ready, false);
    await registry.delete({ kind: "Service", namespace: "default", name: "web" });
    await idle();
    await assert.rejects(registry.get({ kind: "Endpoints", namespace: "default", name: "web" }), /not found/);
    assert.equal((await list(registry, "EndpointSlice", "kubernetes.io/service-name=web")).length, 0);
  } finally {
    stop();
  }
});

test("rolling update through the loops keeps the old ReplicaSet for rollback", async () => {
  const { registry, idle, stop } = await cluster();
  try {
    await registry.create(web(4, "a"));
    await idle();
    const d = await registry.get<Deployment>({ kind: "Deployment", namespace: "default", name: "web" });
    await registry.update({ ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: "c", image: "b" }] } } } });
    await idle();
    const rss = await list<ReplicaSet>(registry, "ReplicaSet");
    assert.deepEqual(rss.map((rs) => [rs.spec.template.spec.containers[0].image, rs.spec.replicas, rs.metadata.annotations!["deployment.kubernetes.io/revision"]]).sort(), [
      ["a", 0, "1"],
      ["b", 4, "2"],
    ]);
    const pods = await list<Pod>(registry, "Pod", "app=web");
    assert.equal(pods.length, 4);
    assert.ok(pods.every((p) => p.spec.containers[0].image === "b"));
    const done = await registry.get<Deployment>({ kind: "Deployment", namespace: "default", name: "web" });
    assert.deepEqual([done.status!.replicas, done.status!.updatedReplicas, done.status!.availableReplicas], [4, 4, 4]);
  } finally {
    stop();
  }
});

test("LoadBalancer: address from the pool, released when the type changes, loadBalancerIP honoured", async () => {
  const { registry, idle, stop } = await cluster(1);
  try {
    await registry.create(svc("lb1", { type: "LoadBalancer" }));
    await registry.create(svc("lb2", { type: "LoadBalancer", loadBalancerIP: "198.51.100.50" }));
    await idle();
    const ip = async (n: string) => (await registry.get<Service>({ kind: "Service", namespace: "default", name: n })).status?.loadBalancer?.ingress?.[0]?.ip;
    assert.equal(await ip("lb1"), "198.51.100.2");
    assert.equal(await ip("lb2"), "198.51.100.50");
    const s = await registry.get<Service>({ kind: "Service", namespace: "default", name: "lb1" });
    const ports = s.spec.ports!.map(({ nodePort: _n, ...p }) => p);
    await registry.update({ ...s, spec: { ...s.spec, type: "ClusterIP", ports } });
    await idle();
    assert.equal(await ip("lb1"), undefined);
    await registry.create(svc("lb3", { type: "LoadBalancer" }));
    await idle();
    assert.equal(await ip("lb3"), "198.51.100.2", "the released address is free again");
  } finally {
    stop();
  }
});

test("DaemonSet follows nodes; the scheduler leaves unschedulable nodes alone", async () => {
  const { registry, idle, stop } = await cluster(2);
  try {
    const ds: DaemonSet = { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "agent", namespace: "default" }, spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "c", image: "x" }] } } } };
    await registry.create(ds);
    await idle();
    assert.deepEqual((await list<Pod>(registry, "Pod", "app=agent")).map((p) => p.spec.nodeName).sort(), ["node-1", "node-2"]);
    const n3 = offlineNode(3, DEFAULT_SETTINGS);
    n3.spec = { unschedulable: true };
    await registry.create(n3);
    await idle();
    assert.deepEqual((await list<Pod>(registry, "Pod", "app=agent")).map((p) => p.spec.nodeName).sort(), ["node-1", "node-2", "node-3"]);
    const node3 = await registry.get<Node>({ kind: "Node", name: "node-3" });
    assert.equal(node3.spec?.podCIDR, "10.244.3.0/24");
    await registry.create(web(4));
    await idle();
    const placed = (await list<Pod>(registry, "Pod", "app=web")).map((p) => p.spec.nodeName);
    assert.ok(!placed.includes("node-3"));
    const st = (await registry.get<DaemonSet>({ kind: "DaemonSet", namespace: "default", name: "agent" })).status!;
    assert.deepEqual([st.desiredNumberScheduled, st.currentNumberScheduled, st.numberReady], [3, 3, 3]);
  } finally {
    stop();
  }
});

test("an unschedulable Pod is marked and placed once a node fits", async () => {
  const { registry, idle, stop } = await cluster(1);
  try {
    const p: Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "picky", namespace: "default" }, spec: { nodeSelector: { disk: "ssd" }, containers: [{ name: "c", image: "x" }] } };
    await registry.create(p);
    await idle();
    let got = await registry.get<Pod>({ kind: "Pod", namespace: "default", name: "picky" });
    const cond = got.status?.conditions?.find((c) => c.type === "PodScheduled");
    assert.deepEqual([cond?.status, cond?.reason, cond?.message], ["False", "Unschedulable", "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."]);
    const n = await registry.get<Node>({ kind: "Node", name: "node-1" });
    await registry.update({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, disk: "ssd" } } });
    await idle();
    got = await registry.get<Pod>({ kind: "Pod", namespace: "default", name: "picky" });
    assert.equal(got.spec.nodeName, "node-1");
    assert.equal(got.status?.phase, "Running");
  } finally {
    stop();
  }
});

test("a ReplicaSet adopts a matching orphan Pod and releases one that stops matching", async () => {
  const { registry, idle, stop } = await cluster(1);
  try {
    const orphan: Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "stray", namespace: "default", labels: { app: "rs" } }, spec: { containers: [{ name: "c", image: "x" }] } };
    await registry.create(orphan);
    await idle();
    const rs: ReplicaSet = { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "rs", namespace: "default" }, spec: { replicas: 2, selector: { matchLabels: { app: "rs" } }, template: { metadata: { labels: { app: "rs" } }, spec: { containers: [{ name: "c", image: "x" }] } } } };
    await registry.create(rs);
    await idle();
    let pods = await list<Pod>(registry, "Pod", "app=rs");
    assert.equal(pods.length, 2, "one created, one adopted");
    const stray = pods.find((p) => p.metadata.name === "stray")!;
    assert.equal(stray.metadata.ownerReferences?.[0]?.name, "rs");
    await registry.update({ ...stray, metadata: { ...stray.metadata, labels: { app: "other" } } });
    await idle();
    const released = await registry.get<Pod>({ kind: "Pod", namespace: "default", name: "stray" });
    assert.equal(released.metadata.ownerReferences, undefined);
    pods = await list<Pod>(registry, "Pod", "app=rs");
    assert.equal(pods.length, 2, "a replacement was made");
  } finally {
    stop();
  }
});

test("Pods of a deleted Node are deleted and replaced on the remaining nodes", async () => {
  const { registry, idle, stop } = await cluster(2);
  try {
    await registry.create(web(4));
    await idle();
    await registry.delete({ kind: "Node", name: "node-2" });
    await idle();
    const pods = await list<Pod>(registry, "Pod", "app=web");
    assert.equal(pods.length, 4);
    assert.deepEqual([...new Set(pods.map((p) => p.spec.nodeName))], ["node-1"]);
    assert.ok(pods.every((p) => p.status?.podIP?.startsWith("10.244.1.")));
  } finally {
    stop();
  }
});
