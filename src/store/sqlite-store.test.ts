import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openSqliteStore } from "./sqlite-store.js";
import type { KubeObject, WatchEvent } from "../api/types.js";
import { isStatusError, StatusError } from "../api/status.js";

const cm = (name: string, labels: Record<string, string> = {}, ns = "default"): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns, labels },
  data: { k: name },
});

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "nlt-store-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("create fills uid, creationTimestamp, generation and a rising resourceVersion", () => {
  const s = openSqliteStore(":memory:");
  const a = s.create(cm("a"));
  const b = s.create(cm("b"));
  assert.match(a.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.match(a.metadata.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(a.metadata.generation, 1);
  assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
  assert.equal(s.currentResourceVersion(), b.metadata.resourceVersion);
  assert.throws(() => s.create(cm("a")), (e: unknown) => isStatusError(e, "AlreadyExists") && e.message === 'configmaps "a" already exists');
  s.close();
});

test("update with a stale resourceVersion is a Conflict with upstream's message", () => {
  const s = openSqliteStore(":memory:");
  const a = s.create(cm("a"));
  const a2 = s.update({ ...a, data: { k: "2" } });
  assert.throws(
    () => s.update({ ...a, data: { k: "3" } }),
    (e: unknown) =>
      isStatusError(e, "Conflict") &&
      e.code === 409 &&
      e.message === 'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
  );
  // Without a resourceVersion the write is unconditional.
  const { resourceVersion: _drop, ...meta } = a2.metadata;
  const a3 = s.update({ ...a2, metadata: meta, data: { k: "4" } });
  assert.equal((a3.data as { k: string }).k, "4");
  assert.equal(a3.metadata.uid, a.metadata.uid);
  assert.throws(() => s.update(cm("nope")), (e: unknown) => isStatusError(e, "NotFound") && e.message === 'configmaps "nope" not found');
  s.close();
});

test("generation moves with spec changes only, not status or metadata", () => {
  const s = openSqliteStore(":memory:");
  const d = s.create({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "default" }, spec: { replicas: 1 } });
  const d2 = s.update({ ...d, metadata: { ...d.metadata, labels: { a: "b" } } });
  assert.equal(d2.metadata.generation, 1);
  const d3 = s.update({ ...d2, status: { replicas: 1 } });
  assert.equal(d3.metadata.generation, 1);
  const d4 = s.update({ ...d3, spec: { replicas: 2 } });
  assert.equal(d4.metadata.generation, 2);
  assert.equal(d4.metadata.deletionTimestamp, undefined);
  s.close();
});

test("list filters by namespace and filter, and returns the list resourceVersion", () => {
  const s = openSqliteStore(":memory:");
  s.create(cm("a", { app: "x" }));
  s.create(cm("b", { app: "y" }));
  s.create(cm("c", { app: "x" }, "other"));
  assert.deepEqual(s.list("ConfigMap").items.map((o) => o.metadata.name), ["a", "b", "c"]);
  assert.deepEqual(s.list("ConfigMap", { namespace: "default" }).items.map((o) => o.metadata.name), ["a", "b"]);
  assert.deepEqual(s.list("ConfigMap", { filter: (o) => o.metadata.labels?.app === "x" }).items.map((o) => o.metadata.name), ["a", "c"]);
  assert.equal(s.list("ConfigMap").resourceVersion, s.currentResourceVersion());
  s.close();
});

test("delete honours preconditions and removes the object", () => {
  const s = openSqliteStore(":memory:");
  const a = s.create(cm("a"));
  assert.throws(() => s.delete("ConfigMap", "default", "a", { uid: "other" }), (e: unknown) => isStatusError(e, "Conflict") && /Precondition failed: UID in precondition: other/.test(e.message));
  const gone = s.delete("ConfigMap", "default", "a", { uid: a.metadata.uid });
  assert.equal(gone.metadata.name, "a");
  assert.equal(s.get("ConfigMap", "default", "a"), undefined);
  assert.throws(() => s.delete("ConfigMap", "default", "a"), (e: unknown) => isStatusError(e, "NotFound"));
  s.close();
});

test("watch replays events after a resourceVersion in order, then follows", async () => {
  const s = openSqliteStore(":memory:");
  s.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } }); // "0" would mean "current state"
  const start = s.currentResourceVersion();
  const a = s.create(cm("a"));
  s.update({ ...a, data: { k: "x" } });
  s.create(cm("b"));
  s.delete("ConfigMap", "default", "a");
  const seen: string[] = [];
  const w = s.watch("ConfigMap", { resourceVersion: start }, (ev) => seen.push(`${ev.type} ${ev.object.metadata.name} ${ev.object.metadata.resourceVersion}`));
  s.create(cm("c"));
  await s.sync();
  w.stop();
  s.create(cm("d"));
  await s.sync();
  assert.deepEqual(
    seen.map((x) => x.split(" ").slice(0, 2).join(" ")),
    ["ADDED a", "MODIFIED a", "ADDED b", "DELETED a", "ADDED c"],
  );
  const rvs = seen.map((x) => Number(x.split(" ")[2]));
  assert.deepEqual(rvs, [...rvs].sort((x, y) => x - y));
  s.close();
});

test("watch without resourceVersion sends current objects as ADDED first", async () => {
  const s = openSqliteStore(":memory:");
  s.create(cm("a"));
  s.create(cm("b", {}, "other"));
  const seen: string[] = [];
  const w = s.watch("ConfigMap", { namespace: "default" }, (ev) => seen.push(`${ev.type} ${ev.object.metadata.name}`));
  s.create(cm("c"));
  s.create(cm("d", {}, "other"));
  await s.sync();
  w.stop();
  assert.deepEqual(seen, ["ADDED a", "ADDED c"]);
  s.close();
});

test("a filtered watch sees objects enter and leave its selection as ADDED and DELETED", async () => {
  const s = openSqliteStore(":memory:");
  s.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } });
  const start = s.currentResourceVersion();
  const seen: string[] = [];
  const w = s.watch("ConfigMap", { resourceVersion: start, filter: (o) => o.metadata.labels?.app === "x" }, (ev) => seen.push(`${ev.type} ${ev.object.metadata.name}`));
  const a = s.create(cm("a", { app: "y" }));
  const a2 = s.update({ ...a, metadata: { ...a.metadata, labels: { app: "x" } } });
  const a3 = s.update({ ...a2, data: { k: "z" } });
  s.update({ ...a3, metadata: { ...a3.metadata, labels: { app: "y" } } });
  await s.sync();
  w.stop();
  assert.deepEqual(seen, ["ADDED a", "MODIFIED a", "DELETED a"]);
  s.close();
});

test("watch from a resourceVersion older than the history gets a 410 Expired ERROR event", () => {
  withTmp((dir) => {
    const path = join(dir, "c.db");
    let s = openSqliteStore(path);
    s.create(cm("a"));
    s.create(cm("b"));
    s.close();
    // A reopened store has no history; resuming from before its start is too old, as after an API server restart.
    s = openSqliteStore(path);
    const events: WatchEvent[] = [];
    s.watch("ConfigMap", { resourceVersion: "1" }, (ev) => events.push(ev));
    assert.equal(events.length, 1);
    assert.equal(events[0].type, "ERROR");
    const st = events[0].object as unknown as StatusError["status"];
    assert.equal(st.code, 410);
    assert.equal(st.reason, "Expired");
    assert.equal(st.message, "too old resource version: 1 (2)");
    // The counter survives the reopen.
    assert.equal(s.currentResourceVersion(), "2");
    assert.equal(s.create(cm("c")).metadata.resourceVersion, "3");
    s.close();
  });
});

test("a write made from inside a watch handler reaches every watcher after the event that caused it", async () => {
  const s = openSqliteStore(":memory:");
  const first: string[] = [];
  const second: string[] = [];
  s.watch("ConfigMap", {}, (ev) => {
    first.push(ev.object.metadata.name!);
    if (ev.object.metadata.name === "a") s.create(cm("from-handler"));
  });
  s.watch("ConfigMap", {}, (ev) => second.push(ev.object.metadata.name!));
  s.create(cm("a"));
  await s.sync();
  await s.sync(); // the handler's own write commits one turn later
  assert.deepEqual(first, ["a", "from-handler"]);
  assert.deepEqual(second, ["a", "from-handler"]);
  s.close();
});

test("group commit: writes are visible at once, durable and announced after sync()", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nlt-store-"));
  try {
    const path = join(dir, "c.db");
    const s = openSqliteStore(path);
    const seen: string[] = [];
    s.watch("ConfigMap", { namespace: "default" }, (ev) => seen.push(ev.object.metadata.name!));
    for (let i = 0; i < 5; i++) s.create(cm(`g-${i}`));
    assert.equal(s.list("ConfigMap").items.length, 5); // the writer's own view
    assert.deepEqual(seen, []); // watchers wait for the commit
    // Another connection (another process after a crash) sees nothing yet...
    const other = new Database(path, { readonly: true });
    const count = () => (other.prepare("SELECT count(*) AS n FROM objects WHERE kind = 'ConfigMap'").get() as { n: number }).n;
    assert.equal(count(), 0);
    await s.sync();
    // ...and everything after sync().
    assert.equal(count(), 5);
    assert.deepEqual(seen, ["g-0", "g-1", "g-2", "g-3", "g-4"]);
    other.close();
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
