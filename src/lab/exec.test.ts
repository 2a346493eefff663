import { test } from "node:test";
import assert from "node:assert/strict";
import { systemRunner } from "./exec.js";

test("systemRunner: a program whose child keeps its output open is answered shortly after it exits", { timeout: 10_000 }, async () => {
  let orphan = 0;
  try {
    const r = await systemRunner.run("sh", ["-c", "sleep 30 & echo $!"], { timeoutMs: 5000 });
    orphan = Number(r.stdout.trim());
    assert.equal(r.code, 0);
    assert.ok(orphan > 0, r.stdout);
  } finally {
    if (orphan > 0) {
      try {
        process.kill(orphan, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
});
