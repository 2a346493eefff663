import { test } from "node:test";
import assert from "node:assert/strict";
import type { EndpointSlice, Secret } from "../api/types.js";
import { buildRoutes, chooseEffectiveIngresses, resolveBackend, sortRoutes, type Route } from "./routes.js";
import { matchRequest } from "./match.js";
import { ingress, service } from "./test-support.js";

const svcs = [
  service("s1", "10.96.0.11", [{ port: 80, name: "http" }, { port: 4200, name: "web" }]),
  service("s2", "10.96.0.12", [{ port: 8080, name: "web" }]),
];

test("backends by port number or name resolve to the Service's ClusterIP and port", () => {
  assert.deepEqual(resolveBackend("default", { service: { name: "s1", port: { number: 4200 } } }, svcs, []), { type: "service", service: "default/s1", port: 4200, address: "10.96.0.11:4200" });
  assert.deepEqual(resolveBackend("default", { service: { name: "s1", port: { name: "http" } } }, svcs, []), { type: "service", service: "default/s1", port: 80, address: "10.96.0.11:80" });
  assert.deepEqual(resolveBackend("default", { service: { name: "s1", port: { number: 81 } } }, svcs, []), { type: "none", status: 503, reason: `service "default/s1" has no TCP port 81` });
  assert.deepEqual(resolveBackend("default", { service: { name: "s1", port: { name: "x" } } }, svcs, []), { type: "none", status: 503, reason: `service "default/s1" has no TCP port named "x"` });
  assert.deepEqual(resolveBackend("other", { service: { name: "s1", port: { number: 80 } } }, svcs, []), { type: "none", status: 503, reason: `service "other/s1" not found` });
  assert.equal(resolveBackend("default", { resource: { kind: "Bucket", name: "b" } }, svcs, []).type, "none");
});

test("headless Services route to their ready endpoints (by the slice port of the same name)", () => {
  const headless = service("h", "None", [{ port: 80, name: "http" }]);
  const slice: EndpointSlice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "h-abc", namespace: "default", labels: { "kubernetes.io/service-name": "h" } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [
      { addresses: ["10.244.1.3"], conditions: { ready: true } },
      { addresses: ["10.244.2.3"], conditions: { ready: false } },
      { addresses: ["10.244.1.2"] },
    ],
  };
  assert.deepEqual(resolveBackend("default", { service: { name: "h", port: { number: 80 } } }, [headless], [slice]), {
    type: "endpoints",
    service: "default/h",
    port: 80,
    addresses: ["10.244.1.2:8080", "10.244.1.3:8080"],
  });
  assert.deepEqual(resolveBackend("default", { service: { name: "h", port: { number: 80 } } }, [headless], []), { type: "none", status: 503, reason: `service "default/h" has no ready endpoints` });
});

test("rules of several Ingresses for one host merge; the older Ingress wins a conflict", () => {
  const older = ingress("b-older", [{ host: "foo.bar.com", paths: [{ path: "/foo", pathType: "Prefix", service: "s1", port: 80 }] }], { created: "2026-01-01T00:00:00Z" });
  const newer = ingress("a-newer", [{ host: "foo.bar.com", paths: [{ path: "/foo/", pathType: "Prefix", service: "s2", port: 8080 }, { path: "/bar", pathType: "Prefix", service: "s2", port: 8080 }] }], { created: "2026-01-02T00:00:00Z" });
  const t = buildRoutes({ ingresses: [newer, older], services: svcs });
  const host = t.servers.find((s) => s.host === "foo.bar.com")!;
  assert.deepEqual(host.routes.map((r) => [r.path, r.ingress]), [["/foo", "default/b-older"], ["/bar", "default/a-newer"]]);
  assert.deepEqual(t.conflicts, [{ host: "foo.bar.com", path: "/foo/", kind: "Prefix", winner: "default/b-older", loser: "default/a-newer" }]);
  // Same timestamp: namespace/name order decides.
  const t2 = buildRoutes({ ingresses: [ingress("z", [{ paths: [{ path: "/x", pathType: "Exact", service: "s1", port: 80 }] }]), ingress("y", [{ paths: [{ path: "/x", pathType: "Exact", service: "s2", port: 8080 }] }])], services: svcs });
  assert.equal(t2.servers[0].routes[0].ingress, "default/y");
});

test("precedence: Exact first, then longer before shorter, Prefix before regex on a tie", () => {
  const r = (kind: Route["kind"], path: string): Route => ({ kind, path, declaredPathType: "Prefix", ingress: "x", backend: { type: "none", status: 404, reason: "" }, options: { useRegex: false, backendProtocol: "HTTP" } });
  const sorted = sortRoutes([r("Prefix", "/"), r("Regex", "/a/b"), r("Prefix", "/a/"), r("Exact", "/a"), r("Prefix", "/a/bc"), r("Prefix", "/a/b")]);
  assert.deepEqual(sorted.map((x) => `${x.kind} ${x.path}`), ["Exact /a", "Prefix /a/bc", "Prefix /a/b", "Regex /a/b", "Prefix /a/", "Prefix /"]);
});

test("defaultBackend: for the Ingress's hosts, and the oldest one for everything else", () => {
  const dflt = ingress("only-default", [], { defaultBackend: { service: "s2", port: 8080 }, created: "2026-01-01T00:00:00Z" });
  const withHost = ingress("host", [{ host: "a.example", paths: [{ path: "/x", pathType: "Exact", service: "s1", port: 80 }] }], { defaultBackend: { service: "s1", port: 4200 }, created: "2026-01-02T00:00:00Z" });
  const plain = ingress("plain", [{ host: "b.example", paths: [{ path: "/x", pathType: "Exact", service: "s1", port: 80 }] }], { created: "2026-01-03T00:00:00Z" });
  const t = buildRoutes({ ingresses: [plain, withHost, dflt], services: svcs });
  const at = (h: string, p: string) => {
    const b = matchRequest(t, h, p).backend;
    return b.type === "service" ? b.address : "none";
  };
  assert.equal(at("a.example", "/x"), "10.96.0.11:80");
  assert.equal(at("a.example", "/y"), "10.96.0.11:4200");
  assert.equal(at("b.example", "/y"), "10.96.0.12:8080");
  assert.equal(at("unknown.example", "/anything"), "10.96.0.12:8080");
  // A defaultBackend-only Ingress answers every host and path.
  const only = buildRoutes({ ingresses: [dflt], services: svcs });
  for (const [h, p] of [["x", "/"], ["foo.bar.com", "/a/b/c"], ["10.1.2.3", "/?q"]]) assert.equal(matchRequest(only, h, p).ingress, "default/only-default");
});

test("no Ingress, no rule: 404 from the catch-all server", () => {
  const t = buildRoutes({ ingresses: [], services: [] });
  assert.deepEqual(t.servers.map((s) => s.host), [""]);
  assert.equal(matchRequest(t, "x", "/").backend.type, "none");
});

test("TLS from kubernetes.io/tls Secrets, per host; missing or wrong Secrets are problems", () => {
  const secret = (name: string, type: string, data: Record<string, string>): Secret => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "default" }, type, data });
  const ing = ingress("tls", [
    { host: "a.example", paths: [{ path: "/", pathType: "Prefix", service: "s1", port: 80 }] },
    { host: "b.example", paths: [{ path: "/", pathType: "Prefix", service: "s1", port: 80 }] },
    { host: "c.example", paths: [{ path: "/", pathType: "Prefix", service: "s1", port: 80 }] },
  ], { tls: [{ hosts: ["a.example"], secretName: "good" }, { hosts: ["b.example"], secretName: "opaque" }, { hosts: ["c.example"], secretName: "missing" }] });
  const t = buildRoutes({
    ingresses: [ing],
    services: svcs,
    secrets: [secret("good", "kubernetes.io/tls", { "tls.crt": "Y2VydA==", "tls.key": "a2V5" }), secret("opaque", "Opaque", { "tls.crt": "x", "tls.key": "y" })],
  });
  const tls = Object.fromEntries(t.servers.map((s) => [s.host, s.tls]));
  assert.deepEqual(tls["a.example"], { secret: "default/good", ingress: "default/tls", available: true, digest: tls["a.example"]?.digest });
  assert.match(tls["a.example"]?.digest ?? "", /^[0-9a-f]{16}$/);
  assert.equal(tls["b.example"]?.available, false);
  assert.equal(tls["c.example"]?.available, false);
  assert.deepEqual(t.problems, [
    `ingress "default/tls": TLS for b.example: secret "default/opaque" is of type Opaque, not kubernetes.io/tls`,
    `ingress "default/tls": TLS for c.example: secret "default/missing" not found`,
  ]);
});

test("hosts that are not DNS names are left out with a problem", () => {
  const t = buildRoutes({ ingresses: [ingress("bad", [{ host: "a b;", paths: [{ path: "/", pathType: "Prefix", service: "s1", port: 80 }] }])], services: svcs });
  assert.deepEqual(t.servers.map((s) => s.host), [""]);
  assert.match(t.problems[0], /is not a DNS name/);
});

test("an invalid annotation keeps the Ingress's last valid version; the others are unaffected", () => {
  const v1 = ingress("x", [{ paths: [{ path: "/x", pathType: "Prefix", service: "s1", port: 80 }] }], { annotations: { "nginx.ingress.kubernetes.io/proxy-read-timeout": "30" } });
  const other = ingress("y", [{ paths: [{ path: "/y", pathType: "Prefix", service: "s2", port: 8080 }] }]);
  const first = chooseEffectiveIngresses([v1, other], new Map());
  assert.deepEqual(first.invalid, []);
  const v2 = structuredClone(v1);
  v2.metadata.annotations = { "nginx.ingress.kubernetes.io/proxy-read-timeout": "forever" };
  v2.spec.rules![0].http!.paths[0].path = "/changed";
  const second = chooseEffectiveIngresses([v2, other], first.lastGood);
  assert.equal(second.invalid.length, 1);
  assert.equal(second.invalid[0].ingress, "default/x");
  assert.deepEqual(second.ingresses, [v1, other]);
  // An Ingress that was never valid is left out.
  const third = chooseEffectiveIngresses([v2, other], new Map());
  assert.deepEqual(third.ingresses, [other]);
  // Deleted Ingresses drop out of lastGood.
  assert.deepEqual([...chooseEffectiveIngresses([other], second.lastGood).lastGood.keys()], ["default/y"]);
});
