import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import type { ChildProcess } from "node:child_process";
import { Spawner } from "./spawner.js";

test("Node children: a child's exit fails its own pending calls only, also after an earlier child exited", async () => {
  const before = process.env.NETLAB_HELPER;
  process.env.NETLAB_HELPER = "node";
  const s = new Spawner(3);
  if (before === undefined) delete process.env.NETLAB_HELPER;
  else process.env.NETLAB_HELPER = before;
  // The children are the spawner's own; the test ends two of them by their handles.
  const children = () => (s as unknown as { children: ChildProcess[] }).children;
  try {
    assert.equal((await s.run("true", [])).code, 0); // children up
    const [first, second, third] = children();
    first.kill("SIGKILL");
    await once(first, "exit");
    // Round-robin over the two left: two calls each, each sleeping long enough to be cut.
    const calls = Array.from({ length: 4 }, () => s.run("sh", ["-c", "sleep 0.5; echo ok"]).then((r) => `ok:${r.stdout.trim()}`, (e: Error) => `error:${e.message}`));
    second.kill("SIGKILL");
    const settled = await Promise.race([Promise.all(calls), new Promise<string[]>((r) => setTimeout(() => r(["a call never settled"]), 5000))]);
    assert.deepEqual([...settled].sort(), ["error:spawner child exited", "error:spawner child exited", "ok:ok", "ok:ok"]);
    assert.deepEqual(children(), [third]);
  } finally {
    s.close();
  }
});

test("Node children: a sockets call that fails closes the sockets it already received; close() ends the calls still pending", async () => {
  const before = process.env.NETLAB_HELPER;
  process.env.NETLAB_HELPER = "node";
  const s = new Spawner(1);
  if (before === undefined) delete process.env.NETLAB_HELPER;
  else process.env.NETLAB_HELPER = before;
  // White box: calls as the children's messages settle them, without a namespace.
  const inside = s as unknown as { pending: Map<number, unknown>; onMessage(m: unknown, handle: unknown): void };
  const closed: string[] = [];
  const errors: string[] = [];
  const call = (id: number) =>
    inside.pending.set(id, {
      child: {},
      resolve: () => errors.push("resolved"),
      reject: (e: Error) => errors.push(e.message),
      sockets: [],
      requests: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
    });
  try {
    call(1);
    inside.onMessage({ id: 1, index: 0 }, { close: () => closed.push("udp") });
    inside.onMessage({ id: 1, index: 1 }, { close: () => closed.push("tcp") });
    inside.onMessage({ id: 1, done: true, error: "setns: no such namespace" }, undefined);
    assert.deepEqual([closed, errors], [["udp", "tcp"], ["setns: no such namespace"]]);
    call(2);
    inside.onMessage({ id: 2, index: 0 }, { close: () => closed.push("udp 2") });
  } finally {
    s.close();
  }
  assert.deepEqual([closed, errors, inside.pending.size], [["udp", "tcp", "udp 2"], ["setns: no such namespace", "spawner closed"], 0]);
});
