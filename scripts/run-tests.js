#!/usr/bin/env node
// Runs every compiled test file under dist/ with Node's built-in test runner, in two phases:
// pure and loopback tests two files at a time, then the kernel tests (labs and scratch
// namespaces) one file at a time, since each of those builds real networks whose daemons
// answer DNS and HTTP on the same two cores. Prints one closing line for both phases.
// Usage: node scripts/run-tests.js [substring...]  (only files whose path contains one of them)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

// A test file that builds namespaces, labs or nginx-in-a-lab is a kernel test.
const KERNEL = /startLab|buildTopology|createScratchNetns|"netns", "add"|ip netns add|NftSession|startIngressAddon/;

const filters = process.argv.slice(2);
const files = walk("dist", []).sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error("no test files found under dist/ (did the build run?)");
  process.exit(1);
}
const kernel = files.filter((f) => KERNEL.test(readFileSync(f, "utf8")));
const plain = files.filter((f) => !kernel.includes(f));

const totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0 };
let status = 0;

// The spec reporter's summary (`ℹ pass 12`) is read from its output as it streams through;
// --test-force-exit ends the runner before a second reporter could finish its file.
function phase(label, list, concurrency) {
  if (list.length === 0) return Promise.resolve();
  console.log(`\n== ${label}: ${list.length} files, ${concurrency} at a time\n`);
  const child = spawn(process.execPath, ["--test", "--test-force-exit", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...list], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let tail = "";
  child.stdout.on("data", (d) => {
    process.stdout.write(d);
    tail = (tail + d.toString("utf8")).slice(-1_000_000); // the summary, then any failure details
  });
  return new Promise((resolve) => {
    child.on("close", (code) => {
      if (code !== 0) status = code ?? 1;
      let found = false;
      for (const key of Object.keys(totals)) {
        const m = [...tail.matchAll(new RegExp(`^ℹ ${key} (\\d+)$`, "gm"))].pop();
        if (m) {
          totals[key] += Number(m[1]);
          found = true;
        }
      }
      if (!found) status ||= 1;
      resolve();
    });
  });
}

await phase("unit and loopback tests", plain, 2);
await phase("kernel tests", kernel, 1);

console.log(`\ntests: ${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped} skipped`);
process.exit(status);
