// netlab doctor's python3 check runs the netns helper's own requirements check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PYTHON_CHECK_PY, runChecks } from "./doctor.js";
import { findPython } from "./netns-helper.js";
import type { CommandResult, Runner } from "./exec.js";

/** Answers every command with ok, except python's check: `python` (undefined: the real one). */
function runner(python?: CommandResult): Runner & { pythonRuns: number; pythonArgs: string[] } {
  const r = {
    pythonRuns: 0,
    pythonArgs: [] as string[],
    async run(cmd: string, args: string[]): Promise<CommandResult> {
      if (!cmd.includes("python")) return { code: 0, stdout: "", stderr: "" };
      r.pythonRuns++;
      r.pythonArgs = args;
      return python ?? { code: 0, stdout: "Python 3.11.2\n", stderr: "" };
    },
  };
  return r;
}

const skip = findPython() ? false : "no python3 here";

test("doctor: python3 that can run the helper shows its version; quick checks do not run it", { skip }, async () => {
  const ok = runner();
  const check = (await runChecks({ runner: ok })).find((c) => c.name === "python3")!;
  assert.deepEqual([check.ok, check.detail], [true, `${findPython()} (Python 3.11.2)`]);
  assert.equal(ok.pythonRuns, 1);
  assert.deepEqual(ok.pythonArgs, ["-c", PYTHON_CHECK_PY]);
  const quick = runner();
  assert.equal((await runChecks({ runner: quick, quick: true })).find((c) => c.name === "python3")!.ok, true);
  assert.equal(quick.pythonRuns, 0);
});

test("doctor: a python3 the helper cannot use is reported with the helper's reason", { skip }, async () => {
  const old = runner({ code: 2, stdout: "", stderr: "python 3.8 lacks os.pidfd_open or socket.send_fds (3.9 or later needed)\n" });
  const check = (await runChecks({ runner: old })).find((c) => c.name === "python3")!;
  assert.equal(check.ok, false);
  assert.equal(check.optional, true);
  assert.match(check.detail, /cannot run the netns helper: python 3\.8 lacks os\.pidfd_open or socket\.send_fds \(3\.9 or later needed\); programs then start from Node helper processes/);
  // No package fixes an old python3 that is installed: --fix must not try apt-get for it.
  assert.equal(check.pkg, undefined);
});

test("doctor: the real python3 passes the program doctor runs (the helper's requirements check) here", { skip }, async () => {
  const { systemRunner } = await import("./exec.js");
  const res = await systemRunner.run(findPython()!, ["-c", PYTHON_CHECK_PY]);
  assert.deepEqual([res.code, /^Python 3\.\d+\.\d+$/.test(res.stdout.trim())], [0, true], res.stderr);
});
