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
