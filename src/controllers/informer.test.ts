import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeList, KubeObject, WatchEvent } from "../api/types.js";
import type { Client, Watch, WatchHandler, WatchOptions } from "../client/client.js";
import { Activity } from "./activity.js";
import { Informer } from "./informer.js";
import { WorkQueue } from "./workqueue.js";

const cm = (name: string, rv: number): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", resourceVersion: String(rv) } });

/** A client whose list and watch the test drives by hand. */
class FakeClient {
  items: KubeObject[] = [];
  rv = 10;
  lists = 0;
  watches: { opts: WatchOptions; handler: WatchHandler; end: () => void }[] = [];
  async list(): Promise<KubeList> {
    this.lists++;
    return { apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: String(this.rv) }, items: this.items.map((o) => ({ ...o })) };
  }
  watch(_kind: string, opts: WatchOptions, handler: WatchHandler): Watch {
    let end!: () => void;
    const done = new Promise<void>((r) => (end = r));
    this.watches.push({ opts, handler, end });
    return { stop: end, done };
  }
  send(ev: WatchEvent): void {
    this.watches[this.watches.length - 1].handler(ev);
  }
}

const turn = () => new Promise((r) => setImmediate(r));

test("informer: list, then watch from the list's resourceVersion; relist on Expired; resume after a closed watch", async () => {
  const fc = new FakeClient();
  fc.items = [cm("a", 5), cm("b", 6)];
  const seen: string[] = [];
  const inf = new Informer(fc as unknown as Client, "ConfigMap", new Activity());
  inf.on((t, o) => seen.push(`${t}:${o.metadata.name}@${o.metadata.resourceVersion}`));
  await inf.start();
  assert.deepEqual(seen, ["add:a@5", "add:b@6"]);
  assert.equal(fc.watches[0].opts.resourceVersion, "10");
  fc.send({ type: "MODIFIED", object: cm("a", 11) });
  fc.send({ type: "MODIFIED", object: cm("a", 11) }); // duplicate: ignored
  fc.send({ type: "DELETED", object: cm("b", 12) });
  fc.send({ type: "MODIFIED", object: cm("b", 12) }); // late event for a deleted object: ignored
  assert.deepEqual(seen.slice(2), ["update:a@11", "delete:b@6"]);
  // The server closes the watch: resume from the last resourceVersion seen, no relist.
  fc.watches[0].end();
  await turn();
  assert.equal(fc.watches.length, 2);
  assert.equal(fc.watches[1].opts.resourceVersion, "12");
  assert.equal(fc.lists, 1);
  // Expired: relist; objects gone meanwhile are deleted, new ones added.
  fc.items = [cm("a", 11), cm("c", 20)];
  fc.rv = 20;
  fc.send({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", metadata: {}, code: 410, reason: "Expired" } as unknown as KubeObject });
  fc.watches[1].end();
  await turn();
  await turn();
  assert.equal(fc.lists, 2);
  assert.deepEqual(seen.slice(4), ["add:c@20"]);
  assert.equal(fc.watches[2].opts.resourceVersion, "20");
  assert.deepEqual(inf.list().map((o) => o.metadata.name).sort(), ["a", "c"]);
  // Our own write is seen at once; the older watch event after it changes nothing.
  inf.observe(cm("a", 30));
  fc.send({ type: "MODIFIED", object: cm("a", 25) });
  assert.equal(inf.get("default", "a")?.metadata.resourceVersion, "30");
  inf.stop();
});

test("workqueue: a key waiting once is processed once; failures retry; idle after", async () => {
  const activity = new Activity();
  const done: string[] = [];
  let failOnce = true;
  const q = new WorkQueue(
    "test",
    async (k) => {
      if (k === "flaky" && failOnce) {
        failOnce = false;
        throw new Error("boom");
      }
      done.push(k);
    },
    activity,
    { deterministic: true },
  );
  q.add("a");
  q.add("b");
  q.add("a");
  q.add("flaky");
  assert.deepEqual(done, [], "nothing runs before start");
  q.start();
  await activity.idle({ timeoutMs: 5000 });
  assert.deepEqual(done, ["a", "b", "flaky"]);
  q.add("c");
  await activity.idle({ timeoutMs: 5000 });
  assert.deepEqual(done, ["a", "b", "flaky", "c"]);
  q.stop();
});
