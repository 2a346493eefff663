#!/usr/bin/env node
// First step of `npm start` / `npm test` on a fresh checkout: install the npm packages and
// build when that has not happened yet, so the README's two commands are all a user needs.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
if (!existsSync("node_modules/.package-lock.json")) sh("npm", ["ci", "--no-audit", "--no-fund"]);
sh("npm", ["run", "--silent", "build"]);
