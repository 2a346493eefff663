import { test } from "node:test";
import assert from "node:assert/strict";
import { OUTPUT_CUT_NOTE, systemRunner } from "./exec.js";
import { runLeavingChild } from "./runner-test-support.js";

test("systemRunner: a program whose child keeps its output open is answered shortly after it exits, the cut said in stderr", { timeout: 10_000 }, async () => {
  const { result, orphan } = await runLeavingChild(systemRunner);
  assert.ok(orphan > 0, result.stdout);
  assert.deepEqual(result, { code: 0, stdout: `${orphan}\n`, stderr: OUTPUT_CUT_NOTE });
});
