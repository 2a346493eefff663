import { test } from "node:test";
import assert from "node:assert/strict";
import { computeEndpointSubsets, desiredEndpoints, repackSubsets } from "./endpoints.js";
import { pod, service } from "./testing.js";

const twoPorts = service("my-service", {
  selector: { tier: "frontend" },
  ports: [
    { name: "http", protocol: "TCP", port: 80, targetPort: 8080 },
    { name: "https", protocol: "TCP", port: 443, targetPort: 8081 },
  ],
});

test("ready Pods become addresses on every port, in one subset", () => {
  const pods = ["10.244.1.3", "10.244.2.2", "10.244.1.2"].map((ip, i) => pod(`fe-${i}`, { labels: { tier: "frontend" }, ip, node: `node-${i}` }));
  const subsets = computeEndpointSubsets(twoPorts, pods);
  assert.equal(subsets.length, 1);
  assert.deepEqual(subsets[0].addresses!.map((a) => a.ip), ["10.244.1.2", "10.244.1.3", "10.244.2.2"]);
  assert.deepEqual(subsets[0].ports!.map((p) => p.port).sort(), [8080, 8081]);
  assert.deepEqual(subsets[0].addresses![0], {
    ip: "10.244.1.2",
    nodeName: "node-2",
    targetRef: { kind: "Pod", namespace: "default", name: "fe-2", uid: "uid-fe-2" },
  });
  assert.equal(subsets[0].notReadyAddresses, undefined);
});

test("table: which Pods end up where", () => {
  const svc = service("s", { selector: { app: "a" }, ports: [{ port: 80, targetPort: 8080 }] });
  const cases: { name: string; p: ReturnType<typeof pod>; svc?: typeof svc; want: "ready" | "notReady" | "none" }[] = [
    { name: "ready", p: pod("a", { labels: { app: "a" }, ip: "10.0.0.1" }), want: "ready" },
    { name: "unready", p: pod("a", { labels: { app: "a" }, ip: "10.0.0.1", ready: false }), want: "notReady" },
    { name: "no IP yet", p: pod("a", { labels: { app: "a" } }), want: "none" },
    { name: "other labels", p: pod("a", { labels: { app: "b" }, ip: "10.0.0.1" }), want: "none" },
    { name: "other namespace", p: pod("a", { ns: "x", labels: { app: "a" }, ip: "10.0.0.1" }), want: "none" },
    { name: "terminating", p: pod("a", { labels: { app: "a" }, ip: "10.0.0.1", deleting: true }), want: "none" },
    { name: "succeeded", p: pod("a", { labels: { app: "a" }, ip: "10.0.0.1", phase: "Succeeded" }), want: "none" },
    {
      name: "unready with publishNotReadyAddresses",
      p: pod("a", { labels: { app: "a" }, ip: "10.0.0.1", ready: false }),
      svc: service("s", { selector: { app: "a" }, publishNotReadyAddresses: true, ports: [{ port: 80 }] }),
      want: "ready",
    },
    {
      name: "terminating with publishNotReadyAddresses",
      p: pod("a", { labels: { app: "a" }, ip: "10.0.0.1", deleting: true }),
      svc: service("s", { selector: { app: "a" }, publishNotReadyAddresses: true, ports: [{ port: 80 }] }),
      want: "ready",
    },
  ];
  for (const c of cases) {
    const ss = computeEndpointSubsets(c.svc ?? svc, [c.p]);
    const got = ss.length === 0 ? "none" : ss[0].addresses ? "ready" : "notReady";
    assert.equal(got, c.want, c.name);
  }
});

test("named targetPorts resolve per Pod; Pods lacking the name are skipped for that port", () => {
  const svc = service("legacy-api", { selector: { app: "a" }, ports: [{ name: "http", port: 8000, targetPort: "http" }] });
  const pods = [
    pod("p1", { labels: { app: "a" }, ip: "10.0.0.1", ports: [{ name: "http", containerPort: 8080 }] }),
    pod("p2", { labels: { app: "a" }, ip: "10.0.0.2", ports: [{ name: "http", containerPort: 9090 }] }),
    pod("p3", { labels: { app: "a" }, ip: "10.0.0.3", ports: [{ name: "other", containerPort: 8080 }] }),
    pod("p4", { labels: { app: "a" }, ip: "10.0.0.4", ports: [{ name: "http", containerPort: 8080, protocol: "UDP" }] }),
  ];
  const ss = computeEndpointSubsets(svc, pods);
  assert.equal(ss.length, 2);
  const byPort = Object.fromEntries(ss.map((s) => [s.ports![0].port, s.addresses!.map((a) => a.ip)]));
  assert.deepEqual(byPort, { 8080: ["10.0.0.1"], 9090: ["10.0.0.2"] });
  assert.deepEqual(ss.find((s) => s.ports![0].port === 8080)!.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
});

test("hostname only when subdomain names the service in the same namespace", () => {
  const svc = service("bar", { clusterIP: "None", selector: { app: "foo" }, ports: [{ name: "http", port: 80 }] });
  const cases = [
    { p: pod("foo", { labels: { app: "foo" }, ip: "10.0.0.1", hostname: "foo", subdomain: "bar" }), want: "foo" },
    { p: pod("foo", { labels: { app: "foo" }, ip: "10.0.0.1", hostname: "foo", subdomain: "baz" }), want: undefined },
    { p: pod("foo", { labels: { app: "foo" }, ip: "10.0.0.1", subdomain: "bar" }), want: undefined },
  ];
  for (const c of cases) assert.equal(computeEndpointSubsets(svc, [c.p])[0].addresses![0].hostname, c.want);
});

test("headless service without ports lists addresses only", () => {
  const svc = service("h", { clusterIP: "None", selector: { app: "a" } });
  const ss = computeEndpointSubsets(svc, [pod("a", { labels: { app: "a" }, ip: "10.0.0.1" }), pod("b", { labels: { app: "a" }, ip: "10.0.0.2", ready: false })]);
  assert.deepEqual(ss.map((s) => [s.addresses?.map((a) => a.ip), s.notReadyAddresses?.map((a) => a.ip), s.ports]), [[["10.0.0.1"], ["10.0.0.2"], undefined]]);
});

test("repackSubsets merges by address set, not-ready wins over ready", () => {
  const a = { ip: "10.0.0.1" };
  const b = { ip: "10.0.0.2" };
  const out = repackSubsets([
    { addresses: [a], ports: [{ port: 1 }] },
    { addresses: [b, a], ports: [{ port: 2 }] },
    { notReadyAddresses: [a], ports: [{ port: 2 }] },
    { addresses: [b], ports: [{ port: 3 }] },
    { addresses: [a], ports: [{ port: 3 }] },
  ]);
  const norm = out.map((s) => ({ r: s.addresses?.map((x) => x.ip) ?? [], n: s.notReadyAddresses?.map((x) => x.ip) ?? [], p: s.ports!.map((p) => p.port).sort() }));
  norm.sort((x, y) => x.p[0] - y.p[0]);
  assert.deepEqual(norm, [
    { r: ["10.0.0.1"], n: [], p: [1] },
    { r: ["10.0.0.2"], n: ["10.0.0.1"], p: [2] },
    { r: ["10.0.0.1", "10.0.0.2"], n: [], p: [3] },
  ]);
  // Output order does not depend on input order.
  assert.deepEqual(repackSubsets([...out].reverse()), out);
});

test("desiredEndpoints: none for selectorless or ExternalName services; headless label", () => {
  assert.equal(desiredEndpoints(service("x", { ports: [{ port: 80 }] }), []), undefined);
  assert.equal(desiredEndpoints(service("x", { type: "ExternalName", externalName: "a.b", selector: { a: "b" } }), []), undefined);
  const ep = desiredEndpoints(service("db", { clusterIP: "None", selector: { app: "db" }, ports: [{ port: 5432 }] }), [])!;
  assert.deepEqual(ep, { apiVersion: "v1", kind: "Endpoints", metadata: { name: "db", namespace: "default", labels: { "service.kubernetes.io/headless": "", "endpoints.kubernetes.io/managed-by": "endpoint-controller" } } });
});
