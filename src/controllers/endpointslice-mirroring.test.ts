import { test } from "node:test";
import assert from "node:assert/strict";
import type { Endpoints } from "../api/types.js";
import { planMirroredSlices } from "./endpointslice-mirroring.js";
import { seededRandom } from "./random.js";
import { service } from "./testing.js";

const svc = service("external-db", { ports: [{ protocol: "TCP", port: 80, targetPort: 9376 }] });
const ep: Endpoints = {
  apiVersion: "v1",
  kind: "Endpoints",
  metadata: { name: "external-db", namespace: "default", labels: { team: "db" } },
  subsets: [{ addresses: [{ ip: "203.0.113.42" }], notReadyAddresses: [{ ip: "203.0.113.43" }], ports: [{ port: 9376 }] }],
};

test("hand-written Endpoints are mirrored into a slice owned by the service", () => {
  const plan = planMirroredSlices(svc, ep, [], seededRandom(1));
  assert.equal(plan.create.length, 1);
  const s = plan.create[0];
  assert.match(s.metadata.name!, /^external-db-[a-z0-9]{5}$/);
  assert.deepEqual(s.metadata.labels, {
    team: "db",
    "kubernetes.io/service-name": "external-db",
    "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io",
  });
  assert.equal(s.metadata.ownerReferences![0].kind, "Service");
  assert.deepEqual(s.ports, [{ name: "", protocol: "TCP", port: 9376 }]);
  assert.deepEqual(s.endpoints, [
    { addresses: ["203.0.113.42"], conditions: { ready: true } },
    { addresses: ["203.0.113.43"], conditions: { ready: false } },
  ]);
});

test("table: when mirroring happens", () => {
  const cases = [
    { name: "service has a selector", svc: service("external-db", { selector: { a: "b" }, ports: [{ port: 80 }] }), ep, want: 0 },
    { name: "no service", svc: undefined, ep, want: 0 },
    { name: "skip-mirror label", svc, ep: { ...ep, metadata: { ...ep.metadata, labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } } }, want: 0 },
    { name: "empty subsets", svc, ep: { ...ep, subsets: [] }, want: 0 },
    { name: "IPv4 and IPv6", svc, ep: { ...ep, subsets: [{ addresses: [{ ip: "203.0.113.42" }, { ip: "2001:db8::1" }], ports: [{ port: 1 }] }] }, want: 2 },
  ];
  for (const c of cases) assert.equal(planMirroredSlices(c.svc, c.ep, [], seededRandom(1)).create.length, c.want, c.name);
});

test("mirrored slices are deleted when mirroring stops, and stable otherwise", () => {
  const created = planMirroredSlices(svc, ep, [], seededRandom(1)).create;
  const same = planMirroredSlices(svc, ep, created, seededRandom(1));
  assert.deepEqual([same.create.length, same.update.length, same.delete.length], [0, 0, 0]);
  const gone = planMirroredSlices(svc, undefined, created, seededRandom(1));
  assert.equal(gone.delete.length, 1);
});
