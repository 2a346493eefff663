import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConfigMap, Container, Pod, Service } from "../api/types.js";
import { containerEnv, containerEnvResult, expandEnv, isEnvVarName } from "./env.js";

function svc(ns: string, name: string, clusterIP: string | undefined, ports: Service["spec"]["ports"]): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name }, spec: { clusterIP, ports } };
}
function pod(ns: string, extra: Partial<Pod["spec"]> = {}, status: Pod["status"] = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: ns, name: "p", uid: "u-1", labels: { app: "x" } },
    spec: { containers: [{ name: "c" }], nodeName: "node-1", ...extra },
    status,
  };
}
const kubernetes = svc("default", "kubernetes", "10.96.0.1", [{ name: "https", port: 443, protocol: "TCP" }]);
const redis = svc("default", "redis-master", "10.96.0.11", [{ port: 6379, protocol: "TCP" }]);
const lines = (e: { name: string; value: string }[]) => e.map((x) => `${x.name}=${x.value}`);

test("service link variables: order, names, ports, the kubernetes service", () => {
  const env = containerEnv(pod("default"), { name: "c" }, [redis, kubernetes], []);
  assert.deepEqual(lines(env), [
    "KUBERNETES_SERVICE_HOST=10.96.0.1",
    "KUBERNETES_SERVICE_PORT=443",
    "KUBERNETES_SERVICE_PORT_HTTPS=443",
    "KUBERNETES_PORT=tcp://10.96.0.1:443",
    "KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443",
    "KUBERNETES_PORT_443_TCP_PROTO=tcp",
    "KUBERNETES_PORT_443_TCP_PORT=443",
    "KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1",
    "REDIS_MASTER_SERVICE_HOST=10.96.0.11",
    "REDIS_MASTER_SERVICE_PORT=6379",
    "REDIS_MASTER_PORT=tcp://10.96.0.11:6379",
    "REDIS_MASTER_PORT_6379_TCP=tcp://10.96.0.11:6379",
    "REDIS_MASTER_PORT_6379_TCP_PROTO=tcp",
    "REDIS_MASTER_PORT_6379_TCP_PORT=6379",
    "REDIS_MASTER_PORT_6379_TCP_ADDR=10.96.0.11",
  ]);
});

test("multi-port, UDP, IPv6 brackets, leading digit, dots", () => {
  const s = svc("default", "9dns.x", "fd00::a", [
    { name: "dns", port: 53, protocol: "UDP" },
    { name: "dns-tcp", port: 53, protocol: "TCP" },
  ]);
  assert.deepEqual(lines(containerEnv(pod("default"), { name: "c" }, [s], [])), [
    "_9DNS_X_SERVICE_HOST=fd00::a",
    "_9DNS_X_SERVICE_PORT=53",
    "_9DNS_X_SERVICE_PORT_DNS=53",
    "_9DNS_X_SERVICE_PORT_DNS_TCP=53",
    "_9DNS_X_PORT=udp://[fd00::a]:53",
    "_9DNS_X_PORT_53_UDP=udp://[fd00::a]:53",
    "_9DNS_X_PORT_53_UDP_PROTO=udp",
    "_9DNS_X_PORT_53_UDP_PORT=53",
    "_9DNS_X_PORT_53_UDP_ADDR=fd00::a",
    "_9DNS_X_PORT_53_TCP=tcp://[fd00::a]:53",
    "_9DNS_X_PORT_53_TCP_PROTO=tcp",
    "_9DNS_X_PORT_53_TCP_PORT=53",
    "_9DNS_X_PORT_53_TCP_ADDR=fd00::a",
  ]);
});

test("which services a Pod sees", () => {
  const cases: { name: string; ns: string; links?: boolean; services: Service[]; want: string[] }[] = [
    { name: "headless and ExternalName are skipped", ns: "default", services: [svc("default", "h", "None", [{ port: 1 }]), svc("default", "e", undefined, [{ port: 1 }])], want: [] },
    { name: "other namespaces are not seen", ns: "prod", services: [redis], want: [] },
    { name: "kubernetes is seen from every namespace", ns: "prod", services: [kubernetes], want: ["KUBERNETES_SERVICE_HOST"] },
    { name: "enableServiceLinks false keeps only kubernetes", ns: "default", links: false, services: [redis, kubernetes], want: ["KUBERNETES_SERVICE_HOST"] },
    { name: "own namespace", ns: "prod", services: [svc("prod", "a", "10.96.0.5", [{ port: 80 }])], want: ["A_SERVICE_HOST"] },
  ];
  for (const c of cases) {
    const p = pod(c.ns, c.links === undefined ? {} : { enableServiceLinks: c.links });
    const got = containerEnv(p, { name: "c" }, c.services, []).map((e) => e.name).filter((n) => n.endsWith("_SERVICE_HOST"));
    assert.deepEqual(got, c.want, c.name);
  }
});

test("container env wins, expansion, envFrom, valueFrom", () => {
  const cm: ConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "default", name: "cfg" }, data: { b: "2", a: "1", "bad key": "x", "1x": "y" } }; // a prefix makes "1x" valid
  const c: Container = {
    name: "c",
    envFrom: [{ configMapRef: { name: "cfg" }, prefix: "CFG_" }, { configMapRef: { name: "missing", optional: true } }],
    env: [
      { name: "REDIS_MASTER_SERVICE_HOST", value: "override" },
      { name: "URL", value: "http://$(REDIS_MASTER_SERVICE_HOST):$(REDIS_MASTER_SERVICE_PORT)/$(NOPE)/$$(ESC)/$(CFG_a)" },
      { name: "LATER_REF", value: "$(DEFINED_LATER)" },
      { name: "DEFINED_LATER", value: "x" },
      { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: "HOSTIP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
      { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      { name: "UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
      { name: "SA", valueFrom: { fieldRef: { fieldPath: "spec.serviceAccountName" } } },
      { name: "LBL", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: "FROMCM", valueFrom: { configMapKeyRef: { name: "cfg", key: "b" } } },
      { name: "OPT", valueFrom: { configMapKeyRef: { name: "cfg", key: "nokey", optional: true } } },
    ],
  };
  const p = pod("default", { serviceAccountName: "sa1" } as Partial<Pod["spec"]>, { podIP: "10.244.1.5", hostIP: "172.18.0.2" });
  const r = containerEnvResult(p, c, [redis], [cm]);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.warnings, ["Keys [CFG_bad key] from the EnvFrom configMap default/cfg were skipped since they are considered invalid environment variable names."]);
  assert.deepEqual(lines(r.env).slice(0, 18), [
    "CFG_1x=y",
    "CFG_a=1",
    "CFG_b=2",
    "REDIS_MASTER_SERVICE_HOST=override",
    "URL=http://override:6379/$(NOPE)/$(ESC)/1",
    "LATER_REF=$(DEFINED_LATER)",
    "DEFINED_LATER=x",
    "POD=p",
    "NS=default",
    "IP=10.244.1.5",
    "HOSTIP=172.18.0.2",
    "NODE=node-1",
    "UID=u-1",
    "SA=sa1",
    "LBL=x",
    "FROMCM=2",
    "REDIS_MASTER_SERVICE_PORT=6379",
    "REDIS_MASTER_PORT=tcp://10.96.0.11:6379",
  ]);
  assert.ok(!lines(r.env).some((l) => l.startsWith("OPT=")));
  assert.equal(r.env.filter((e) => e.name === "REDIS_MASTER_SERVICE_HOST").length, 1);
});

test("missing non-optional ConfigMap or key is an error", () => {
  assert.throws(() => containerEnv(pod("default"), { name: "c", envFrom: [{ configMapRef: { name: "nope" } }] }, [], []), /configmap "nope" not found/);
  const cm: ConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "default", name: "cfg" }, data: {} };
  assert.throws(
    () => containerEnv(pod("default"), { name: "c", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }] }, [], [cm]),
    /couldn't find key k in ConfigMap default\/cfg/,
  );
});

test("expansion rules", () => {
  const m = (n: string) => ({ A: "a", B: "b" })[n];
  const cases: [string, string][] = [
    ["$(A)", "a"],
    ["$(A)$(B)", "ab"],
    ["$$(A)", "$(A)"],
    ["$$$(A)", "$a"],
    ["$(C)", "$(C)"],
    ["$(A", "$(A"],
    ["$A", "$A"],
    ["x$", "x$"],
    ["$()", "$()"],
    ["a$(A)b$$c", "aab$c"],
  ];
  for (const [i, want] of cases) assert.equal(expandEnv(i, m), want, i);
});

test("env var names", () => {
  for (const ok of ["A", "a.b", "-x", "_1", "A-B.c"]) assert.ok(isEnvVarName(ok), ok);
  for (const bad of ["", "1A", "a b", ".", "..", "..a", "a=b"]) assert.ok(!isEnvVarName(bad), bad);
});
