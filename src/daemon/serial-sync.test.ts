import { test } from "node:test";
import assert from "node:assert/strict";
import { serialSync } from "./serial-sync.js";

test("serialSync: one run at a time; calls during a run fold into one more run; an error is reported and later calls still run", async () => {
  const gates: (() => void)[] = [];
  let runs = 0;
  let active = 0;
  let maxActive = 0;
  const errors: string[] = [];
  const sync = serialSync(
    () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      return new Promise<void>((resolve, reject) =>
        gates.push(() => {
          active--;
          if (runs === 2) reject(new Error("boom"));
          else resolve();
        }),
      );
    },
    (e) => errors.push(e.message),
  );
  const tick = () => new Promise((r) => setImmediate(r));
  sync();
  sync();
  sync();
  sync();
  await tick();
  assert.equal(runs, 1);
  gates.shift()!();
  await tick();
  assert.equal(runs, 2); // the three calls made meanwhile: one run
  gates.shift()!();
  await tick();
  assert.equal(runs, 2);
  assert.deepEqual(errors, ["boom"]);
  sync();
  await tick();
  assert.equal(runs, 3);
  gates.shift()!();
  await tick();
  assert.equal(maxActive, 1);
  assert.equal(gates.length, 0);
});

test("serialSync: a sync that throws at once is reported and later calls still run; stop() waits for the running sync and ends the rest", async () => {
  const errors: string[] = [];
  let runs = 0;
  let release!: () => void;
  const sync = serialSync(
    () => {
      runs++;
      if (runs === 1) throw new Error("at once");
      return new Promise<void>((r) => (release = r));
    },
    (e) => errors.push(e.message),
  );
  const tick = () => new Promise((r) => setImmediate(r));
  sync();
  await tick();
  assert.deepEqual(errors, ["at once"]);
  sync();
  await tick();
  assert.equal(runs, 2);
  sync(); // folds into one more run, which stop() cancels
  let stopped = false;
  const stopping = sync.stop().then(() => (stopped = true));
  await tick();
  assert.equal(stopped, false, "stop() waits for the running sync");
  release();
  await stopping;
  sync();
  await tick();
  assert.equal(runs, 2);
});
