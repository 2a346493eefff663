#!/usr/bin/env node
// Runs every compiled test file under dist/ with Node's built-in test runner, in two phases:
// pure and loopback tests two files at a time, then the kernel tests (labs and scratch
// namespaces) one file at a time, since each of those builds real networks whose daemons
// answer DNS and HTTP on the same two cores. Prints one closing line for both phases.
// Usage: node scripts/run-tests.js [substring...]  (only files whose path contains one of them)
import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";

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

const tapDir = mkdtempSync(join(tmpdir(), "netlab-tests-"));
const totals = { pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
let status = 0;

function phase(label, list, concurrency) {
  if (list.length === 0) return;
  console.log(`\n== ${label}: ${list.length} files, ${concurrency} at a time\n`);
  const tap = join(tapDir, `${label}.tap`);
  const r = spawnSync(
    process.execPath,
    [
      "--test",
      "--test-force-exit",
      `--test-concurrency=${concurrency}`,
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=tap",
      `--test-reporter-destination=${tap}`,
      ...list,
    ],
    { stdio: "inherit" },
  );
  if (r.status !== 0) status = r.status ?? 1;
  let text = "";
  try {
    text = readFileSync(tap, "utf8");
  } catch {
    status ||= 1;
  }
  for (const key of Object.keys(totals)) {
    const m = text.match(new RegExp(`^# ${key} (\\d+)$`, "m"));
    if (m) totals[key] += Number(m[1]);
  }
}

phase("unit and loopback tests", plain, 2);
phase("kernel tests", kernel, 1);
rmSync(tapDir, { recursive: true, force: true });

console.log(`\ntests: ${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped} skipped`);
process.exit(status);
