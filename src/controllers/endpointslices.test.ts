import { test } from "node:test";
import assert from "node:assert/strict";
import type { EndpointSlice } from "../api/types.js";
import { planEndpointSlices } from "./endpointslices.js";
import { seededRandom } from "./random.js";
import { pod, service } from "./testing.js";

const svc = service("web", {
  selector: { app: "web" },
  ports: [
    { name: "http", port: 80, targetPort: "http" },
    { name: "metrics", port: 9090, targetPort: 9090 },
  ],
});
const webPod = (i: number, o: Parameters<typeof pod>[1] = {}) =>
  pod(`web-${i}`, { labels: { app: "web" }, ip: `10.244.1.${i + 2}`, node: "node-1", ports: [{ name: "http", containerPort: 8080 }], ...o });

/** Applies a plan to a set of slices, as the API would. */
function apply(existing: EndpointSlice[], plan: ReturnType<typeof planEndpointSlices>): EndpointSlice[] {
  const gone = new Set(plan.delete.map((s) => s.metadata.name));
  const upd = new Map(plan.update.map((s) => [s.metadata.name, s]));
  return [...existing.filter((s) => !gone.has(s.metadata.name)).map((s) => upd.get(s.metadata.name) ?? s), ...plan.create];
}

test("one slice per port set, with labels, owner, conditions and a generated name", () => {
  const plan = planEndpointSlices(svc, [webPod(0), webPod(1, { ready: false }), webPod(2, { ports: [{ name: "other", containerPort: 1 }] })], [], seededRandom(1));
  assert.equal(plan.update.length + plan.delete.length, 0);
  assert.equal(plan.create.length, 2);
  const full = plan.create.find((s) => s.ports!.length === 2)!;
  assert.match(full.metadata.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(full.metadata.generateName, "web-");
  assert.deepEqual(full.metadata.labels, { "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" });
  assert.deepEqual(full.metadata.ownerReferences, [{ apiVersion: "v1", kind: "Service", name: "web", uid: "uid-svc-web", controller: true, blockOwnerDeletion: true }]);
  assert.equal(full.addressType, "IPv4");
  assert.deepEqual(full.ports, [
    { name: "http", protocol: "TCP", port: 8080 },
    { name: "metrics", protocol: "TCP", port: 9090 },
  ]);
  assert.deepEqual(full.endpoints, [
    { addresses: ["10.244.1.2"], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: "Pod", namespace: "default", name: "web-0", uid: "uid-web-0" }, nodeName: "node-1" },
    { addresses: ["10.244.1.3"], conditions: { ready: false, serving: false, terminating: false }, targetRef: { kind: "Pod", namespace: "default", name: "web-1", uid: "uid-web-1" }, nodeName: "node-1" },
  ]);
  const partial = plan.create.find((s) => s.ports!.length === 1)!;
  assert.deepEqual(partial.ports, [{ name: "metrics", protocol: "TCP", port: 9090 }]);
  assert.deepEqual(partial.endpoints.map((e) => e.addresses[0]), ["10.244.1.4"]);
});

test("terminating Pods stay in slices with terminating: true and ready: false", () => {
  const plan = planEndpointSlices(svc, [webPod(0, { deleting: true })], [], seededRandom(1));
  assert.deepEqual(plan.create[0].endpoints[0].conditions, { ready: false, serving: true, terminating: true });
});

test("at most 100 endpoints per slice", () => {
  const pods = Array.from({ length: 250 }, (_, i) => pod(`p${i}`, { labels: { app: "web" }, ip: `10.244.${1 + Math.floor(i / 200)}.${(i % 200) + 2}`, ports: [{ name: "http", containerPort: 8080 }] }));
  const plan = planEndpointSlices(svc, pods, [], seededRandom(2));
  assert.deepEqual(plan.create.map((s) => s.endpoints.length), [100, 100, 50]);
  assert.equal(new Set(plan.create.map((s) => s.metadata.name)).size, 3);
});

test("stable updates: unchanged slices untouched, endpoints stay in their slice, gaps filled", () => {
  const rand = seededRandom(3);
  const pods = Array.from({ length: 150 }, (_, i) => pod(`p${i}`, { labels: { app: "web" }, ip: `10.244.2.${i + 2}`, ports: [{ name: "http", containerPort: 8080 }] }));
  let slices = apply([], planEndpointSlices(svc, pods, [], rand));
  assert.equal(slices.length, 2);
  // Nothing changed: nothing to write.
  const again = planEndpointSlices(svc, pods, slices, rand);
  assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  // One Pod goes away and another becomes unready: only their slices change.
  const where = (name: string) => slices.find((s) => s.endpoints.some((e) => e.targetRef?.name === name))!.metadata.name;
  const p5slice = where("p5");
  const p120slice = where("p120");
  const next = pods.filter((p) => p.metadata.name !== "p5").map((p) => (p.metadata.name === "p120" ? { ...p, status: { ...p.status, conditions: [{ type: "Ready", status: "False" as const }] } } : p));
  const plan = planEndpointSlices(svc, next, slices, rand);
  assert.equal(plan.create.length, 0);
  assert.deepEqual(plan.update.map((s) => s.metadata.name).sort(), [p5slice, p120slice].sort());
  slices = apply(slices, plan);
  assert.equal(where("p120"), p120slice);
  // A new Pod fills the free room rather than making a new slice.
  const added = [...next, pod("new", { labels: { app: "web" }, ip: "10.244.3.2", ports: [{ name: "http", containerPort: 8080 }] })];
  const plan2 = planEndpointSlices(svc, added, slices, rand);
  assert.equal(plan2.create.length, 0);
  assert.equal(plan2.update.length, 1);
});

test("no endpoints: one empty placeholder slice; selector removed: slices deleted", () => {
  const rand = seededRandom(4);
  const plan = planEndpointSlices(svc, [], [], rand);
  assert.equal(plan.create.length, 1);
  assert.deepEqual([plan.create[0].endpoints, plan.create[0].ports], [[], null]);
  const slices = apply([], plan);
  const again = planEndpointSlices(svc, [], slices, rand);
  assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  // Endpoints arrive: the placeholder is replaced.
  const p = planEndpointSlices(svc, [webPod(0)], slices, rand);
  assert.equal(p.create.length, 1);
  assert.deepEqual(p.delete.map((s) => s.metadata.name), [slices[0].metadata.name]);
  const noSel = planEndpointSlices(service("web", { ports: [{ port: 80 }] }), [webPod(0)], slices, rand);
  assert.equal(noSel.delete.length, 1);
});

test("hostname and the headless label", () => {
  const h = service("db", { clusterIP: "None", selector: { app: "db" }, ports: [{ name: "postgres", port: 5432 }] });
  const plan = planEndpointSlices(h, [pod("db-0", { labels: { app: "db" }, ip: "10.244.1.2", hostname: "db-0", subdomain: "db" })], [], seededRandom(5));
  assert.equal(plan.create[0].endpoints[0].hostname, "db-0");
  assert.equal(plan.create[0].metadata.labels!["service.kubernetes.io/headless"], "");
});

test("same seed, same names", () => {
  const a = planEndpointSlices(svc, [webPod(0)], [], seededRandom(9));
  const b = planEndpointSlices(svc, [webPod(0)], [], seededRandom(9));
  assert.deepEqual(a, b);
});
