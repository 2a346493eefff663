import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeList, KubeObject } from "../api/types.js";
import type { Client, WatchHandler } from "../client/client.js";
import { DnsRecords } from "./records.js";
import { listWatch } from "./watch.js";
import { service, slice } from "./fixtures.test-util.js";

test("list, watch, and after the watch ends a relist that deletes what disappeared", async () => {
  let state: KubeObject[] = [service("default", "a", { clusterIP: "10.96.0.1", ports: [{ port: 80 }] }), service("default", "b", { clusterIP: "10.96.0.2", ports: [{ port: 80 }] }), slice("default", "a", "a-1", "IPv4", [{ ip: "10.244.0.1" }], null)];
  let lists = 0;
  let endWatch: () => void = () => {};
  const handlers = new Map<string, WatchHandler>();
  const client = {
    async list<T extends KubeObject>(kind: string): Promise<KubeList<T>> {
      lists++;
      return { apiVersion: "v1", kind: kind + "List", metadata: { resourceVersion: String(lists) }, items: state.filter((o) => o.kind === kind) as T[] };
    },
    watch(kind: string, _o: unknown, h: WatchHandler) {
      handlers.set(kind, h);
      let done!: () => void;
      const p = new Promise<void>((r) => (done = r));
      const prev = endWatch;
      endWatch = () => (prev(), done());
      return { stop: () => done(), done: p };
    },
  } as unknown as Client;
  const records = new DnsRecords();
  const lw = listWatch({ client, kinds: ["Service", "EndpointSlice"], onEvent: (t, o) => records.apply(t, o), keys: (k) => records.keys(k), retryMs: 10 });
  try {
    await lw.synced;
    // Let both kinds' watches start (synced resolves as the last list completes).
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(records.counts.services, 2);
    assert.equal(records.endpointGroups("a.default").length, 1);
    handlers.get("Service")!({ type: "ADDED", object: service("default", "c", { clusterIP: "10.96.0.3", ports: [{ port: 80 }] }) });
    assert.ok(records.service("c", "default"));
    // The server forgets b and the slice while no watch runs; the relist must delete them.
    state = [service("default", "a", { clusterIP: "10.96.0.1", ports: [{ port: 80 }] }), service("default", "c", { clusterIP: "10.96.0.3", ports: [{ port: 80 }] })];
    const before = lists;
    endWatch();
    for (let i = 0; i < 100 && lists < before + 2; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([...records.keys("Service")].sort(), ["default/a", "default/c"]);
    assert.deepEqual(records.endpointGroups("a.default"), []);
    assert.equal(records.counts.endpointSlices, 0);
  } finally {
    lw.stop();
  }
});
