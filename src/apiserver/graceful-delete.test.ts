import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject, Pod } from "../api/types.js";
import { isStatusError } from "../api/status.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { Registry } from "./registry.js";

const pod = (name: string, nodeName?: string, grace?: number): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: { nodeName, terminationGracePeriodSeconds: grace, containers: [{ name: "c", image: "x" }] },
});
const key = (name: string) => ({ kind: "Pod", namespace: "default", name });
const exists = (r: Registry, name: string) => r.get(key(name)).then(() => true, (e: unknown) => (isStatusError(e) && e.status.reason === "NotFound" ? false : Promise.reject(e)));

test("a bound Pod's delete is graceful: deletionTimestamp + grace, then the kubelet's grace-0 delete removes it", async (t) => {
  const r = new Registry(openSqliteStore(":memory:"), DEFAULT_SETTINGS, { gracefulPodDeletion: true });
  t.after(() => r.close());
  await r.create(pod("bound", "node-1", 5));
  const t0 = Date.now();
  const marked = await r.delete<Pod>(key("bound"));
  assert.equal(marked.metadata.deletionGracePeriodSeconds, 5);
  const due = Date.parse(marked.metadata.deletionTimestamp!);
  assert.ok(due >= Math.floor(t0 / 1000) * 1000 + 4000 && due <= t0 + 6000, marked.metadata.deletionTimestamp);
  assert.ok(await exists(r, "bound"));
  // A later delete with a longer grace leaves it; a shorter one shortens it; updates keep the marks.
  assert.equal((await r.delete<Pod>(key("bound"), { gracePeriodSeconds: 60 })).metadata.deletionGracePeriodSeconds, 5);
  assert.equal((await r.delete<Pod>(key("bound"), { gracePeriodSeconds: 2 })).metadata.deletionGracePeriodSeconds, 2);
  const cur = await r.get<Pod>(key("bound"));
  const upd = await r.update<Pod>({ ...cur, metadata: { ...cur.metadata, labels: { a: "b" }, deletionTimestamp: undefined, deletionGracePeriodSeconds: undefined } });
  assert.equal(upd.metadata.deletionGracePeriodSeconds, 2);
  assert.ok(upd.metadata.deletionTimestamp);
  // The kubelet's final delete: wrong uid is a Conflict, the right one removes it.
  await assert.rejects(r.delete(key("bound"), { gracePeriodSeconds: 0, preconditions: { uid: "other" } }), (e: unknown) => isStatusError(e) && e.status.reason === "Conflict");
  await r.delete(key("bound"), { gracePeriodSeconds: 0, preconditions: { uid: cur.metadata.uid } });
  assert.equal(await exists(r, "bound"), false);
});

test("unbound Pods, gracePeriodSeconds=0 and registries without kubelets delete at once; cascade and Orphan still work", async (t) => {
  const r = new Registry(openSqliteStore(":memory:"), DEFAULT_SETTINGS, { gracefulPodDeletion: true });
  t.after(() => r.close());
  await r.create(pod("unbound"));
  await r.delete(key("unbound"));
  assert.equal(await exists(r, "unbound"), false);
  await r.create(pod("forced", "node-1"));
  await r.delete(key("forced"), { gracePeriodSeconds: 0 });
  assert.equal(await exists(r, "forced"), false);
  await r.create(pod("neg", "node-1"));
  await assert.rejects(r.delete(key("neg"), { gracePeriodSeconds: 1.5 }), /gracePeriodSeconds/);
  assert.equal((await r.delete<Pod>(key("neg"), { gracePeriodSeconds: -1 })).metadata.deletionGracePeriodSeconds, 1);

  // A Pod owning a ConfigMap: Orphan drops the reference when the Pod is marked; Background deletes it with the Pod.
  const owner = await r.create<Pod>(pod("owner", "node-1"));
  const cm = (name: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "owner", uid: owner.metadata.uid! }] } });
  await r.create(cm("dep"));
  await r.delete(key("owner"), { propagationPolicy: "Orphan" });
  assert.equal((await r.get({ kind: "ConfigMap", namespace: "default", name: "dep" })).metadata.ownerReferences, undefined);
  await r.delete(key("owner"), { gracePeriodSeconds: 0 });
  const owner2 = await r.create<Pod>(pod("owner2", "node-1"));
  await r.create({ ...cm("dep2"), metadata: { ...cm("dep2").metadata, ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "owner2", uid: owner2.metadata.uid! }] } });
  await r.delete(key("owner2"));
  assert.ok(await r.get({ kind: "ConfigMap", namespace: "default", name: "dep2" }));
  await r.delete(key("owner2"), { gracePeriodSeconds: 0 });
  await assert.rejects(r.get({ kind: "ConfigMap", namespace: "default", name: "dep2" }));

  const plain = new Registry(openSqliteStore(":memory:"), DEFAULT_SETTINGS);
  t.after(() => plain.close());
  await plain.create(pod("bound", "node-1"));
  await plain.delete(key("bound"));
  await assert.rejects(plain.get(key("bound")));
});
