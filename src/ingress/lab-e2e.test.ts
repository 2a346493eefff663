// End to end in a lab (root): the seed's Ingress manifests applied to a real lab with the ingress
// add-on the daemon starts (`netlab up` with nginx installed), and every request sent from the lab's
// `external` namespace to the controller's LoadBalancer address. Backends are the lab's test
// servers, which echo the Host and path they received. Never sent from the root namespace.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment, Event, Ingress, KubeObject, Pod, Secret, Service } from "../api/types.js";
import { loadManifestPaths } from "../api/decode.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { startLab, type RunningLab } from "../daemon/lab.js";
import { kernelSkipReason, uniqueLabName } from "../lab/kernel-test-support.js";
import { CONTROLLER_WORKLOAD, INGRESS_NAMESPACE, podDirName } from "./lab-addon.js";
import { DOCS_PATH_TABLE, ingress } from "./test-support.js";

const SEED = fileURLToPath(new URL("../../examples/seed", import.meta.url));
const SEED_FILES = ["11-ingress-backends.yaml", "12-ingress-v1beta1.yaml", "13-ingress-v1.yaml", "14-ingress-fanout.yaml", "15-ingress-vhost.yaml"];
const skip = kernelSkipReason() ?? false;
if (skip) console.log(`# skipping ingress lab tests: ${skip}`);

let lab: RunningLab | undefined;
let stateDir = "";
let lbIP = "";
const logs: string[] = [];

interface Answer {
  status: number;
  pod?: string;
  host?: string;
  path?: string;
  headers?: Record<string, string>;
}

/**
 * One request from the lab's external namespace to the controller's LoadBalancer address.
 * Asynchronous: the lab's test servers run in this very process (the daemon's role).
 */
async function ask(host: string, path: string): Promise<Answer> {
  const out = await new Promise<string>((resolve) => {
    const child = spawn("ip", ["netns", "exec", lab!.plan.external.netns, "curl", "-s", "--path-as-is", "--max-time", "3", "-w", "\n%{http_code}", "-H", `Host: ${host}`, `http://${lbIP}${path}`], { stdio: ["ignore", "pipe", "ignore"] });
    let o = "";
    child.stdout.on("data", (d) => (o += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(o);
    });
  });
  const nl = out.lastIndexOf("\n");
  const status = Number(out.slice(nl + 1));
  const body = out.slice(0, nl);
  if (status !== 200) return { status };
  const j = JSON.parse(body) as { pod: string; host: string; path: string; headers: Record<string, string> };
  return { status, pod: j.pod, host: j.host, path: j.path, headers: j.headers };
}

/** The Deployment a Pod belongs to (its name up to the ReplicaSet hash). */
const workload = (pod?: string) => pod?.replace(/-[a-z0-9]+-[a-z0-9]+$/, "");

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs.slice(-20).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Master and worker PIDs of every controller Pod's nginx, once they stop changing. A reload
 * replaces the workers, so equal snapshots before and after a change mean no reload happened.
 */
async function nginxProcesses(): Promise<string> {
  const snap = async () => {
    const out: string[] = [];
    for (const p of (await lab!.registry.list<Pod>("Pod", { namespace: INGRESS_NAMESPACE })).items) {
      const master = (await readFile(join(stateDir, "ingress", podDirName(p), "nginx.pid"), "utf8")).trim();
      const workers = (await readFile(`/proc/${master}/task/${master}/children`, "utf8")).trim().split(/\s+/).sort();
      out.push(`${master}:${workers.join(",")}`);
    }
    return out.sort().join(" ");
  };
  let prev = await snap();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 300));
    const cur = await snap();
    if (cur === prev) return cur;
    prev = cur;
  }
  throw new Error("nginx processes kept changing");
}

before(async () => {
  if (skip) return;
  stateDir = await mkdtemp(join(tmpdir(), "nlt-inglab-"));
  const decoded = await loadManifestPaths(SEED_FILES.map((f) => join(SEED, f)));
  assert.deepEqual(decoded.errors, []);
  const name = uniqueLabName("ing");
  // The daemon starts the ingress add-on (lab-addon.ts) as `netlab up` does when nginx is installed.
  lab = await startLab({ name, nodes: 2, podNetwork: "routed", proxyMode: "iptables", settings: DEFAULT_SETTINGS, objects: decoded.objects, stateDir, ingress: true, log: (m) => logs.push(m) });
  await lab.waitReady(120_000);
  await until("the controller's LoadBalancer address", async () => {
    const svc = await lab!.registry.get<Service>({ kind: "Service", namespace: INGRESS_NAMESPACE, name: CONTROLLER_WORKLOAD });
    lbIP = svc.status?.loadBalancer?.ingress?.[0]?.ip ?? "";
    return lbIP !== "";
  });
  await until("nginx answering through the LoadBalancer", async () => (await ask("foo.bar.com", "/foo")).status === 200, 30_000);
});

after(async () => {
  await lab?.stop(true);
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

test("lab: every seed Ingress answers from external through the LoadBalancer address", { skip }, async () => {
  // 14-ingress-fanout.yaml: one address, several Services by path.
  const foo = await ask("foo.bar.com", "/foo/x?y=1");
  assert.equal(workload(foo.pod), "service1");
  assert.equal(foo.path, "/foo/x?y=1");
  assert.equal(foo.host, "foo.bar.com");
  assert.equal(foo.headers?.["x-forwarded-proto"], "http");
  assert.ok(foo.headers?.["x-forwarded-for"], "X-Forwarded-For set");
  assert.equal(workload((await ask("foo.bar.com", "/bar")).pod), "service2");
  // 15-ingress-vhost.yaml: host names at one address; foo.bar.com's other paths go to "/".
  assert.equal(workload((await ask("foo.bar.com", "/other")).pod), "service1");
  assert.equal(workload((await ask("bar.foo.com", "/foo")).pod), "service2");
  // 13-ingress-v1.yaml: /testpath rewritten to / (host-less rule: any other host).
  const t = await ask(lbIP, "/testpath/a/b");
  assert.equal(workload(t.pod), "test");
  assert.equal(t.path, "/");
  // 12-ingress-v1beta1.yaml, converted to v1, class by annotation.
  const legacy = await ask("whatever.example", "/legacy");
  assert.equal(workload(legacy.pod), "test");
  assert.equal(legacy.path, "/");
  assert.equal((await ask(lbIP, "/testpathx")).status, 404);
  for (const n of ["test-ingress-old", "test-ingress", "simple-fanout-example", "name-virtual-host-ingress"]) {
    const ing = await lab!.registry.get<Ingress>({ kind: "Ingress", namespace: "default", name: n });
    assert.deepEqual(ing.status?.loadBalancer?.ingress, [{ ip: lbIP }], n);
  }
});

test("lab: the docs' path table through the controller", { skip }, async () => {
  const backends = ["service1", "service2", "test"];
  const created: string[] = [];
  for (const [i, row] of DOCS_PATH_TABLE.entries()) {
    const ing = ingress(`docs-row-${i}`, [{ host: `row${i}.docs.test`, paths: row.paths.map((p, j) => ({ ...p, service: backends[j], port: 80 })) }]);
    await lab!.registry.create(ing);
    created.push(ing.metadata.name!);
  }
  try {
    await until("the table's routes", async () => (await ask(`row0.docs.test`, "/")).status === 200 && (await ask(`row${DOCS_PATH_TABLE.length - 1}.docs.test`, "/impl/x")).status === 200);
    for (const [i, row] of DOCS_PATH_TABLE.entries()) {
      for (const [path, want] of row.requests) {
        const a = await ask(`row${i}.docs.test`, path);
        if (want === null) assert.equal(a.status, 404, `${row.title}: ${path}`);
        else assert.equal(workload(a.pod), backends[want], `${row.title}: ${path}`);
      }
    }
  } finally {
    for (const n of created) await lab!.registry.delete({ kind: "Ingress", namespace: "default", name: n });
  }
});

test("lab: another class gets no address and no routes; an invalid annotation leaves routing unchanged and records an Event", { skip }, async () => {
  await lab!.registry.create(ingress("other-class", [{ host: "other.example", paths: [{ path: "/", pathType: "Prefix", service: "service1", port: 80 }] }], { className: "traefik" }));
  const good = ingress("annotated", [{ host: "ann.example", paths: [{ path: "/a", pathType: "Prefix", service: "service2", port: 80 }] }], { annotations: { "nginx.ingress.kubernetes.io/proxy-read-timeout": "30" } });
  await lab!.registry.create(good);
  try {
    await until("the annotated route", async () => workload((await ask("ann.example", "/a")).pod) === "service2");
    assert.equal((await ask("other.example", "/")).status, 404);
    const other = await lab!.registry.get<Ingress>({ kind: "Ingress", namespace: "default", name: "other-class" });
    assert.deepEqual(other.status?.loadBalancer?.ingress ?? [], []);

    const cur = await lab!.registry.get<Ingress>({ kind: "Ingress", namespace: "default", name: "annotated" });
    cur.metadata.annotations = { "nginx.ingress.kubernetes.io/proxy-read-timeout": "a while" };
    cur.spec.rules![0].http!.paths[0].path = "/b";
    await lab!.registry.update(cur);
    await until("the InvalidAnnotation Event", async () => (await lab!.registry.list<Event>("Event", { namespace: "default" })).items.some((e) => e.reason === "InvalidAnnotation" && e.involvedObject.name === "annotated"));
    assert.equal(workload((await ask("ann.example", "/a")).pod), "service2");
    assert.equal((await ask("ann.example", "/b")).status, 404);
  } finally {
    await lab!.registry.delete({ kind: "Ingress", namespace: "default", name: "other-class" });
    await lab!.registry.delete({ kind: "Ingress", namespace: "default", name: "annotated" });
  }
});

test("lab: a defaultBackend-only Ingress answers every host and path", { skip }, async () => {
  const only: Ingress = { ...ingress("only-default", []), spec: { ingressClassName: "nginx", defaultBackend: { service: { name: "service2", port: { number: 80 } } } } };
  await lab!.registry.create(only as KubeObject);
  try {
    await until("the default backend", async () => workload((await ask("nobody.example", "/x")).pod) === "service2");
    for (const [h, p] of [["a.example", "/"], [lbIP, "/deep/path/?q=1"], ["foo.bar.com.example", "/foo"]]) assert.equal(workload((await ask(h, p)).pod), "service2", `${h}${p}`);
  } finally {
    await lab!.registry.delete({ kind: "Ingress", namespace: "default", name: "only-default" });
  }
});

test("lab: no request fails while Ingresses are created and deleted under load; scaling a backend needs no reload", { skip }, async (t) => {
  const beforeChurn = await nginxProcesses();
  // A client loop inside `external`, bounded: 300 requests to a route that stays.
  const url = `http://${lbIP}/foo`;
  const client = spawn("ip", ["netns", "exec", lab!.plan.external.netns, "sh", "-c", `for i in $(seq 300); do curl -s -o /dev/null --max-time 3 -w '%{http_code}\\n' -H 'Host: foo.bar.com' ${url}; done`], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  client.stdout.on("data", (d) => (out += d));
  const finished = new Promise<void>((r) => client.on("close", () => r()));
  let n = 0;
  let done = false;
  void finished.then(() => (done = true));
  while (!done && n < 40) {
    const name = `churn-${n++}`;
    await lab!.registry.create(ingress(name, [{ host: `${name}.example`, paths: [{ path: "/", pathType: "Prefix", service: "test", port: 80 }] }]));
    await new Promise((r) => setTimeout(r, 100));
    await lab!.registry.delete({ kind: "Ingress", namespace: "default", name });
    await new Promise((r) => setTimeout(r, 100));
  }
  await finished;
  const codes = out.trim().split("\n");
  assert.equal(codes.length, 300);
  assert.deepEqual(codes.filter((c) => c !== "200"), [], `${n} Ingresses churned`);
  t.diagnostic(`300 requests from external, all 200, while ${n} Ingresses were created and deleted`);

  // Scaling service1: its Pods change, the routes (Service IPs) do not, so nginx is not reloaded.
  const processes = await nginxProcesses();
  assert.notEqual(processes, beforeChurn, "Ingress changes reload nginx (new workers): the check below can see a reload");
  const d = await lab!.registry.get<Deployment>({ kind: "Deployment", namespace: "default", name: "service1" });
  d.spec.replicas = 3;
  await lab!.registry.update(d);
  await lab!.waitReady(60_000);
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) seen.add((await ask("foo.bar.com", "/foo")).pod ?? "");
  assert.equal(seen.size, 3, [...seen].join(" "));
  assert.equal(await nginxProcesses(), processes, "nginx was reloaded");
});

test("lab: TLS with SNI from a kubernetes.io/tls Secret through the LoadBalancer, HTTP redirected", { skip }, async () => {
  const dir = join(stateDir, "tls");
  await mkdir(dir, { recursive: true });
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=secure.example", "-addext", "subjectAltName=DNS:secure.example", "-keyout", `${dir}/k.pem`, "-out", `${dir}/c.pem`], { stdio: "ignore" });
  const crt = await readFile(`${dir}/c.pem`);
  const key = await readFile(`${dir}/k.pem`);
  await lab!.registry.create<Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name: "secure-tls", namespace: "default" }, type: "kubernetes.io/tls", data: { "tls.crt": crt.toString("base64"), "tls.key": key.toString("base64") } });
  await lab!.registry.create(ingress("secure", [{ host: "secure.example", paths: [{ path: "/", pathType: "Prefix", service: "service2", port: 80 }] }], { tls: [{ hosts: ["secure.example"], secretName: "secure-tls" }] }));
  const curl = (args: string[]) =>
    new Promise<string>((resolve) => {
      const child = spawn("ip", ["netns", "exec", lab!.plan.external.netns, "curl", "-s", "--max-time", "3", ...args], { stdio: ["ignore", "pipe", "ignore"] });
      let o = "";
      child.stdout.on("data", (d) => (o += d));
      child.on("close", () => resolve(o));
    });
  try {
    const https = ["--resolve", `secure.example:443:${lbIP}`, "--cacert", `${dir}/c.pem`, "https://secure.example/x"];
    await until("HTTPS for secure.example", async () => (await curl(https)).startsWith("{"));
    const body = JSON.parse(await curl(https)) as { pod: string; headers: Record<string, string> };
    assert.equal(workload(body.pod), "service2");
    assert.equal(body.headers["x-forwarded-proto"], "https");
    const redirect = await curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Host: secure.example", `http://${lbIP}/x?y=1`]);
    assert.equal(redirect, "308 https://secure.example/x?y=1");
  } finally {
    await lab!.registry.delete({ kind: "Ingress", namespace: "default", name: "secure" });
    await lab!.registry.delete({ kind: "Secret", namespace: "default", name: "secure-tls" });
  }
});

test("lab: the docs' host wildcard table through the controller", { skip }, async () => {
  await lab!.registry.create(ingress("wild", [{ host: "*.wild.test", paths: [{ path: "/", pathType: "Prefix", service: "service2", port: 80 }] }]));
  try {
    await until("the wildcard route", async () => workload((await ask("bar.wild.test", "/")).pod) === "service2");
    assert.equal((await ask("baz.bar.wild.test", "/")).status, 404, "two labels");
    assert.equal((await ask("wild.test", "/")).status, 404, "no label");
    assert.equal(workload((await ask("BAR.Wild.test", "/")).pod), "service2", "case-insensitive");
  } finally {
    await lab!.registry.delete({ kind: "Ingress", namespace: "default", name: "wild" });
  }
});

test("lab: scaling a backend down and up under load: no request fails, no reload", { skip }, async (t) => {
  const processes = await nginxProcesses();
  const url = `http://${lbIP}/bar`;
  const client = spawn("ip", ["netns", "exec", lab!.plan.external.netns, "sh", "-c", `for i in $(seq 400); do curl -s -o /dev/null --max-time 3 -w '%{http_code} %{time_total}s curl-exit=%{exitcode} %{errormsg}\\n' -H 'Host: foo.bar.com' ${url}; done`], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  client.stdout.on("data", (d) => (out += d));
  const finished = new Promise<void>((r) => client.on("close", () => r()));
  const scale = async (replicas: number) => {
    const d = await lab!.registry.get<Deployment>({ kind: "Deployment", namespace: "default", name: "service2" });
    d.spec.replicas = replicas;
    await lab!.registry.update(d);
    await lab!.waitReady(60_000);
  };
  const t0 = performance.now();
  await scale(1);
  await scale(3);
  await scale(2);
  await finished;
  const codes = out.trim().split("\n");
  t.diagnostic(`${codes.length} requests from external during scale 2 -> 1 -> 3 -> 2 of service2 (${Math.round(performance.now() - t0)} ms): ${codes.filter((c) => c.startsWith("200 ")).length} answered 200`);
  assert.deepEqual(codes.filter((c) => !c.startsWith("200 ")), []);
  assert.equal(await nginxProcesses(), processes, "nginx was reloaded");
});
