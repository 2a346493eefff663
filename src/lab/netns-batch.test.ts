import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { failedBatchLines, NetnsBatcher } from "./netns-batch.js";
import { mustRun, RecordingRunner, systemRunner } from "./exec.js";
import { kernelSkipReason } from "./kernel-test-support.js";

test("netns batcher: the first add runs at once, those that come meanwhile share the next ip -batch", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const r = new RecordingRunner();
  const inner = r.run.bind(r);
  let first = true;
  r.run = async (cmd, args, opts) => {
    const res = await inner(cmd, args, opts);
    if (first) {
      first = false;
      await gate;
    }
    return res;
  };
  const b = new NetnsBatcher(r);
  const all = [b.add("a"), b.add("b"), b.add("c")];
  await new Promise((res) => setImmediate(res));
  assert.equal(r.calls.length, 1);
  release();
  await Promise.all(all);
  assert.deepEqual(r.calls.map((c) => [c.cmd, ...c.args, c.input]), [
    ["ip", "-force", "-batch", "-", "netns add a\n"],
    ["ip", "-force", "-batch", "-", "netns add b\nnetns add c\n"],
  ]);
});

test("netns batcher: each caller gets its own line's outcome", async () => {
  const r = new RecordingRunner(() => ({ code: 1, stderr: 'Cannot create namespace file "/run/netns/b": File exists\nCommand failed -:2\n' }));
  const b = new NetnsBatcher(r);
  // "a" goes alone (first) and its batch has no line 2; "b" and "c" share the second, where line 2 is "c".
  const results = await Promise.allSettled([b.add("a"), b.add("b"), b.add("c")]);
  assert.equal(results[0].status, "fulfilled");
  assert.equal(results[1].status, "fulfilled");
  assert.equal(results[2].status, "rejected");
  assert.match((results[2] as PromiseRejectedResult).reason.message, /ip netns add c failed \(exit 1\): Cannot create namespace file "\/run\/netns\/b": File exists/);
  assert.deepEqual([...failedBatchLines("x\nCommand failed -:3\ny\nz\nCommand failed -:5\n")], [[3, "x"], [5, "y\nz"]]);
  await assert.rejects(b.add("../x"), /invalid network namespace name/);
});

test("netns batcher: an unattributed failure (ip killed) fails the whole batch", async () => {
  const b = new NetnsBatcher(new RecordingRunner(() => ({ code: 128, stderr: "killed by SIGKILL" })));
  const rs = await Promise.allSettled([b.add("a"), b.add("b")]);
  assert.deepEqual(rs.map((x) => x.status), ["rejected", "rejected"]);
  // Killed after a failed line: the lines it never reached are not taken as created.
  const b2 = new NetnsBatcher(new RecordingRunner(() => ({ code: 128, stderr: "File exists\nCommand failed -:1\nkilled by SIGKILL" })));
  const rs2 = await Promise.allSettled([b2.add("a"), b2.add("b"), b2.add("c")]);
  assert.deepEqual(rs2.map((x) => x.status), ["rejected", "rejected", "rejected"]);
});

test("kernel: netns batcher creates the namespaces; an existing one fails alone", { skip: kernelSkipReason() }, async (t) => {
  const names = [1, 2, 3, 4].map((i) => `nlt-${process.pid}-nb${i}`);
  t.after(async () => {
    for (const n of names) await systemRunner.run("ip", ["netns", "del", n]);
  });
  await mustRun(systemRunner, "ip", ["netns", "add", names[2]]);
  const b = new NetnsBatcher(systemRunner);
  const rs = await Promise.allSettled(names.map((n) => b.add(n)));
  assert.deepEqual(rs.map((x) => x.status), ["fulfilled", "fulfilled", "rejected", "fulfilled"]);
  assert.match((rs[2] as PromiseRejectedResult).reason.message, /File exists/);
  for (const n of names) assert.ok(existsSync(`/run/netns/${n}`), n);
});
