import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Deployment, Ingress, Pod, Service } from "../api/types.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { Registry } from "../apiserver/registry.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { CONTROLLER_WORKLOAD, ensureIngressAddonObjects, INGRESS_NAMESPACE, POD_LABELS, startIngressAddon, TEST_SERVER_ANNOTATION } from "./lab-addon.js";
import { NGINX_BINARY } from "./nginx-process.js";
import { ingress } from "./test-support.js";

const registry = () => new Registry(openSqliteStore(":memory:"), DEFAULT_SETTINGS, { allocation: { mode: "sequential" } });

test("add-on objects pass API validation and are created once", async () => {
  const reg = registry();
  await ensureIngressAddonObjects(reg);
  await ensureIngressAddonObjects(reg);
  const svc = await reg.get<Service>({ kind: "Service", namespace: INGRESS_NAMESPACE, name: CONTROLLER_WORKLOAD });
  assert.equal(svc.spec.type, "LoadBalancer");
  const ic = await reg.get({ kind: "IngressClass", name: "nginx" });
  assert.equal((ic.spec as { controller: string }).controller, "netlab.dev/ingress-nginx");
  const d = await reg.get<Deployment>({ kind: "Deployment", namespace: INGRESS_NAMESPACE, name: CONTROLLER_WORKLOAD });
  assert.equal(d.spec.template.metadata?.annotations?.[TEST_SERVER_ANNOTATION], "false");
});

const root = process.getuid?.() === 0;
const kernelSkip = !root ? "needs root (network namespaces)" : !existsSync(NGINX_BINARY) ? `${NGINX_BINARY} not installed` : false;
if (kernelSkip) console.log(`# skipping ingress add-on kernel test: ${kernelSkip}`);

function curlIn(netns: string, host: string, path: string): string {
  const r = spawnSync("ip", ["netns", "exec", netns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", "-H", `Host: ${host}`, `http://127.0.0.1${path}`], { encoding: "utf8", timeout: 10_000 });
  return r.stdout.trim();
}

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("add-on: nginx runs inside the controller Pod's network namespace, follows Ingresses, publishes the LB address, stops with the Pod", { skip: kernelSkip }, async (t) => {
  const netns = `nlt-${process.pid}-ing`;
  const dir = await mkdtemp(join(tmpdir(), "nlt-ingaddon-"));
  const reg = registry();
  let addon: Awaited<ReturnType<typeof startIngressAddon>> | undefined;
  t.after(async () => {
    await addon?.stop();
    spawnSync("ip", ["netns", "del", netns]);
    await rm(dir, { recursive: true, force: true });
  });
  execFileSync("ip", ["netns", "add", netns]);
  execFileSync("ip", ["-n", netns, "link", "set", "lo", "up"]);

  await ensureIngressAddonObjects(reg);
  const lb = await reg.get<Service>({ kind: "Service", namespace: INGRESS_NAMESPACE, name: CONTROLLER_WORKLOAD });
  await reg.updateStatus({ ...lb, status: { loadBalancer: { ingress: [{ ip: "198.51.100.20" }] } } });
  // The Pod as the lab's controllers and agent would leave it (created here by hand).
  const pod = await reg.create<Pod>({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "ingress-nginx-controller-abc", namespace: INGRESS_NAMESPACE, labels: { ...POD_LABELS } },
    spec: { containers: [{ name: "controller", image: "netlab/ingress-nginx" }] },
  });
  await reg.updateStatus({ ...pod, status: { phase: "Running", podIP: "10.244.1.9" } });

  const logs: string[] = [];
  addon = await startIngressAddon({ client: reg, podNetns: (p) => (p.metadata.name === pod.metadata.name ? netns : undefined), stateDir: dir, log: (l) => logs.push(l) });
  await until("nginx in the Pod's namespace", () => curlIn(netns, "any", "/") === "404");

  await reg.create({ apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default" }, spec: { selector: { app: "web" }, ports: [{ port: 80, protocol: "TCP" }] } });
  await reg.create(ingress("web", [{ host: "web.example", paths: [{ path: "/app", pathType: "Prefix", service: "web", port: 80 }] }]));
  // The ClusterIP is not reachable in this bare namespace: 502 shows the route was taken.
  await until("the new route", () => curlIn(netns, "web.example", "/app/x") === "502");
  assert.equal(curlIn(netns, "web.example", "/other"), "404");
  await until("the LB address in the Ingress status", async () => {
    const ing = await reg.get<Ingress>({ kind: "Ingress", namespace: "default", name: "web" });
    return ing.status?.loadBalancer?.ingress?.[0]?.ip === "198.51.100.20";
  });

  await reg.delete({ kind: "Pod", namespace: INGRESS_NAMESPACE, name: pod.metadata.name! });
  await until("nginx to stop with its Pod", () => curlIn(netns, "any", "/") === "000");
  assert.ok(logs.some((l) => l.includes("stopped nginx")), logs.join("\n"));
});
