// Ingresses created and deleted in a loop while clients keep asking: every reload is graceful,
// so no request to a route that stays may fail. Loopback only, bounded (about 20 reloads).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ingress, Service } from "../api/types.js";
import { buildRoutes } from "./routes.js";
import { NginxInstance } from "./nginx-instance.js";
import { NGINX_BINARY } from "./nginx-process.js";
import { freePort, get, ingress, startEchoBackends } from "./test-support.js";

const skip = existsSync(NGINX_BINARY) ? false : `${NGINX_BINARY} not installed`;
const RELOADS = 20;
const CLIENTS = 6;

test("no request fails while Ingresses are created and deleted in a loop", { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "nlt-ingreload-"));
  const be = await startEchoBackends(["stable", "flapping"]);
  const port = await freePort();
  const inst = new NginxInstance({ name: "reload", prefix: dir, listen: "127.0.0.1", httpPort: port, httpsPort: await freePort() });
  t.after(async () => {
    await inst.stop();
    await be.close();
    await rm(dir, { recursive: true, force: true });
  });
  const services: Service[] = [...be.ports].map(([name, p]) => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec: { clusterIP: "127.0.0.1", ports: [{ port: p, protocol: "TCP" }] } }));
  const stable = ingress("stable", [{ host: "stable.example", paths: [{ path: "/", pathType: "Prefix", service: "stable", port: be.ports.get("stable")! }] }]);
  const flapping = (i: number): Ingress => ingress(`flap-${i}`, [{ host: `flap-${i}.example`, paths: [{ path: "/", pathType: "Prefix", service: "flapping", port: be.ports.get("flapping")! }] }]);
  await inst.sync(buildRoutes({ ingresses: [stable], services }), new Map());

  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const client = async () => {
    while (!stop) {
      try {
        const r = await get(port, "stable.example", "/x", { timeoutMs: 3000 });
        if (r.status === 200 && JSON.parse(r.body).backend === "stable") ok++;
        else failures.push(`status ${r.status}`);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, client);
  for (let i = 0; i < RELOADS; i++) {
    const ingresses = i % 2 === 0 ? [stable, flapping(i)] : [stable];
    const res = await inst.sync(buildRoutes({ ingresses, services }), new Map());
    assert.equal(res.action, "reloaded");
    if (i % 2 === 0) assert.equal(JSON.parse((await get(port, `flap-${i}.example`, "/")).body).backend, "flapping");
    else assert.equal((await get(port, `flap-${i - 1}.example`, "/")).status, 404);
  }
  stop = true;
  await Promise.all(clients);
  assert.equal(inst.reloads, RELOADS);
  assert.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
  assert.ok(ok > RELOADS, `only ${ok} requests were made`);
  t.diagnostic(`${ok} requests, 0 failed, over ${RELOADS} reloads`);
});
