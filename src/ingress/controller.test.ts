import { test } from "node:test";
import assert from "node:assert/strict";
import type { Event, Ingress, Secret, Service } from "../api/types.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { Registry } from "../apiserver/registry.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { IngressController } from "./controller.js";
import { ourIngressClass } from "./class.js";
import { matchRequest } from "./match.js";
import { renderNginxConfig, versionOfConfig } from "./nginx-config.js";
import type { NginxTarget, SyncResult } from "./nginx-instance.js";
import type { RouteTable } from "./routes.js";
import { ingress } from "./test-support.js";

/** Records every table and, like the real instance, "reloads" only when the text changed. */
class RecordingTarget implements NginxTarget {
  tables: RouteTable[] = [];
  texts: string[] = [];
  reloads = 0;
  stopped = false;
  constructor(readonly name: string) {}
  async sync(table: RouteTable): Promise<SyncResult> {
    this.tables.push(table);
    const text = renderNginxConfig(table, { prefix: "/p" });
    const changed = this.texts.at(-1) !== text;
    if (changed) {
      if (this.texts.length > 0) this.reloads++;
      this.texts.push(text);
    }
    return { action: changed ? (this.texts.length === 1 ? "started" : "reloaded") : "unchanged", version: versionOfConfig(text)!, ms: 0 };
  }
  get table(): RouteTable {
    return this.tables.at(-1)!;
  }
  async stop() {
    this.stopped = true;
  }
}

function svc(name: string, ns = "default", type: Service["spec"]["type"] = "ClusterIP"): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { type, selector: { app: name }, ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] } };
}

async function setup() {
  const reg = new Registry(openSqliteStore(":memory:"), DEFAULT_SETTINGS, { allocation: { mode: "sequential" } });
  await reg.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "netlab-ingress" } });
  await reg.create(ourIngressClass(undefined, true));
  const lb = await reg.create(svc("ingress-nginx-controller", "netlab-ingress", "LoadBalancer"));
  await reg.updateStatus({ ...lb, status: { loadBalancer: { ingress: [{ ip: "198.51.100.10" }] } } });
  await reg.create(svc("s1"));
  await reg.create(svc("s2"));
  const target = new RecordingTarget("pod-a");
  const ctl = new IngressController({ client: reg, publishService: { namespace: "netlab-ingress", name: "ingress-nginx-controller" }, targets: [target], debounceMs: 1 });
  return { reg, target, ctl };
}

const settle = async (ctl: IngressController) => {
  // Watch events arrive asynchronously; let them land, then wait for the sync they cause.
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 5));
    await ctl.idle();
  }
};

const backendAt = (t: RouteTable, host: string, path: string) => {
  const b = matchRequest(t, host, path).backend;
  return b.type === "service" ? b.service : `${b.type}`;
};

test("controller: serves its class, publishes the LB address, ignores other classes", async (t) => {
  const { reg, target, ctl } = await setup();
  t.after(() => ctl.stop());
  await reg.create(ingress("mine", [{ paths: [{ path: "/a", pathType: "Prefix", service: "s1", port: 80 }] }]));
  const other = ingress("other", [{ paths: [{ path: "/b", pathType: "Prefix", service: "s2", port: 80 }] }], { className: "traefik" });
  await reg.create(other);
  const classless = ingress("classless", [{ paths: [{ path: "/c", pathType: "Prefix", service: "s2", port: 80 }] }]);
  delete classless.spec.ingressClassName;
  await reg.create(classless);
  await ctl.start();
  await settle(ctl);

  assert.equal(backendAt(target.table, "x", "/a/1"), "default/s1");
  assert.equal(backendAt(target.table, "x", "/b"), "none");
  // Our IngressClass is the default: the classless Ingress is ours.
  assert.equal(backendAt(target.table, "x", "/c"), "default/s2");
  const mine = await reg.get<Ingress>({ kind: "Ingress", namespace: "default", name: "mine" });
  assert.deepEqual(mine.status?.loadBalancer?.ingress, [{ ip: "198.51.100.10" }]);
  const theirs = await reg.get<Ingress>({ kind: "Ingress", namespace: "default", name: "other" });
  assert.deepEqual(theirs.status?.loadBalancer?.ingress ?? [], []);

  // Moving an Ingress to another class takes its routes and our address away.
  const m2 = await reg.get<Ingress>({ kind: "Ingress", namespace: "default", name: "mine" });
  m2.spec.ingressClassName = "traefik";
  await reg.update(m2);
  await settle(ctl);
  assert.equal(backendAt(target.table, "x", "/a"), "none");
  assert.deepEqual((await reg.get<Ingress>({ kind: "Ingress", namespace: "default", name: "mine" })).status?.loadBalancer?.ingress ?? [], []);
});

test("controller: reloads only when routes change; endpoint changes need none", async (t) => {
  const { reg, target, ctl } = await setup();
  t.after(() => ctl.stop());
  await reg.create(ingress("a", [{ paths: [{ path: "/a", pathType: "Prefix", service: "s1", port: 80 }] }]));
  await ctl.start();
  await settle(ctl);
  assert.equal(target.texts.length, 1);
  // An EndpointSlice of a ClusterIP backend: same routes, no reload.
  await reg.create({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "s1-x", namespace: "default", labels: { "kubernetes.io/service-name": "s1" } },
    addressType: "IPv4",
    ports: [{ port: 8080, protocol: "TCP" }],
    endpoints: [{ addresses: ["10.244.1.5"], conditions: { ready: true } }],
  });
  await settle(ctl);
  assert.ok(target.tables.length >= 2, "the slice caused a sync");
  assert.equal(target.reloads, 0);
  await reg.create(ingress("b", [{ paths: [{ path: "/b", pathType: "Exact", service: "s2", port: 80 }] }]));
  await settle(ctl);
  assert.equal(target.reloads, 1);
  assert.equal(backendAt(target.table, "x", "/b"), "default/s2");
});

test("controller: an invalid annotation leaves the previous routes and records a Warning Event", async (t) => {
  const { reg, target, ctl } = await setup();
  t.after(() => ctl.stop());
  await reg.create(ingress("a", [{ paths: [{ path: "/a", pathType: "Prefix", service: "s1", port: 80 }] }]));
  await reg.create(ingress("other", [{ paths: [{ path: "/o", pathType: "Prefix", service: "s2", port: 80 }] }]));
  await ctl.start();
  await settle(ctl);
  const a = await reg.get<Ingress>({ kind: "Ingress", namespace: "default", name: "a" });
  a.metadata.annotations = { "nginx.ingress.kubernetes.io/proxy-read-timeout": "soon" };
  a.spec.rules![0].http!.paths[0].path = "/moved";
  await reg.update(a);
  await settle(ctl);
  assert.equal(backendAt(target.table, "x", "/a"), "default/s1");
  assert.equal(backendAt(target.table, "x", "/moved"), "none");
  assert.equal(backendAt(target.table, "x", "/o"), "default/s2");
  const events = (await reg.list<Event>("Event", { namespace: "default" })).items;
  assert.equal(events.length, 1);
  assert.equal(events[0].reason, "InvalidAnnotation");
  assert.equal(events[0].type, "Warning");
  assert.equal(events[0].involvedObject.name, "a");
  assert.equal(events[0].involvedObject.kind, "Ingress");
  assert.match(events[0].message ?? "", /^nginx\.ingress\.kubernetes\.io\/proxy-read-timeout: Invalid value: "soon": must be a whole number/);
  // A further sync does not repeat the Event; fixing the value applies the new routes.
  const fixed = await reg.get<Ingress>({ kind: "Ingress", namespace: "default", name: "a" });
  fixed.metadata.annotations = { "nginx.ingress.kubernetes.io/proxy-read-timeout": "30" };
  await reg.update(fixed);
  await settle(ctl);
  assert.equal(backendAt(target.table, "x", "/moved"), "default/s1");
  assert.equal((await reg.list<Event>("Event", { namespace: "default" })).items.length, 1);
});

test("controller: TLS Secrets reach the targets; targets can come and go", async (t) => {
  const { reg, target, ctl } = await setup();
  t.after(() => ctl.stop());
  await reg.create(ingress("tls", [{ host: "a.example", paths: [{ path: "/", pathType: "Prefix", service: "s1", port: 80 }] }], { tls: [{ hosts: ["a.example"], secretName: "a-tls" }] }));
  await ctl.start();
  await settle(ctl);
  assert.equal(target.table.servers.find((s) => s.host === "a.example")?.tls?.available, false);
  const secret: Secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "a-tls", namespace: "default" }, type: "kubernetes.io/tls", data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5" } };
  await reg.create(secret);
  await settle(ctl);
  assert.equal(target.table.servers.find((s) => s.host === "a.example")?.tls?.available, true);
  const second = new RecordingTarget("pod-b");
  ctl.addTarget(second);
  await settle(ctl);
  assert.equal(second.texts.length, 1);
  assert.deepEqual(ctl.targetNames().sort(), ["pod-a", "pod-b"]);
  await ctl.removeTarget("pod-b");
  assert.equal(second.stopped, true);
});
