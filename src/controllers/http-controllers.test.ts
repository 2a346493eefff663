// The controllers through the HTTPS client (as against any API server given a kubeconfig):
// list + watch over the wire, writes through REST.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Deployment, Endpoints, Service } from "../api/types.js";
import { Registry } from "../apiserver/registry.js";
import { startApiServer } from "../apiserver/server.js";
import { HttpClient } from "../client/http-client.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { offlineNode } from "../offline/converge.js";
import { startControllers } from "./manager.js";

async function until<T>(what: string, f: () => Promise<T | undefined>, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

test("controllers over HTTPS: a Deployment gets Pods with IPs and its Service gets endpoints", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "netlab-httpctl-"));
  const registry = new Registry(openSqliteStore(":memory:"), DEFAULT_SETTINGS);
  const server = await startApiServer({ registry, host: "127.0.0.1", port: 0, dataDir: dir });
  const client = HttpClient.fromKubeconfig(server.kubeconfigPath);
  const controllers = startControllers(client, DEFAULT_SETTINGS, { offlinePodIPs: true, log: () => {} });
  t.after(async () => {
    controllers.stop();
    client.close();
    await server.close();
    registry.store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const i of [1, 2]) await client.create(offlineNode(i, DEFAULT_SETTINGS));
  const d: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x", ports: [{ name: "http", containerPort: 8080 }] }] } } },
  };
  await client.create(d);
  const svc: Service = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default" }, spec: { type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] } };
  await client.create(svc);
  const ep = await until("3 ready endpoints", async () => {
    const e = await client.get<Endpoints>({ kind: "Endpoints", namespace: "default", name: "web" });
    return e.subsets?.[0]?.addresses?.length === 3 ? e : undefined;
  });
  assert.ok(ep.subsets![0].addresses!.every((a) => /^10\.244\.[12]\.\d+$/.test(a.ip)));
  assert.deepEqual(ep.subsets![0].ports, [{ port: 8080, protocol: "TCP" }]);
  const lb = await until("a LoadBalancer address", async () => (await client.get<Service>({ kind: "Service", namespace: "default", name: "web" })).status?.loadBalancer?.ingress?.[0]?.ip);
  assert.match(lb, /^198\.51\.100\./);
  // Exactly three Pods: the write-through cache keeps a lagging watch from causing extras.
  await client.patch({ kind: "Deployment", namespace: "default", name: "web" }, { spec: { replicas: 1 } });
  await until("1 endpoint", async () => ((await client.get<Endpoints>({ kind: "Endpoints", namespace: "default", name: "web" })).subsets?.[0]?.addresses?.length === 1 ? true : undefined));
  const pods = (await client.list("Pod", { namespace: "default", labelSelector: "app=web" })).items;
  assert.equal(pods.length, 1);
});
