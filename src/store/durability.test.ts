import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { openSqliteStore } from "./sqlite-store.js";

const child = join(dirname(fileURLToPath(import.meta.url)), "durability-child.js");

test("every write acknowledged before kill -9 is in the reopened store", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "nlt-durable-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, "cluster.db");
  const p = spawn(process.execPath, [child, db, "200000"], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => {
    if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  });
  const acked: string[] = [];
  let buf = "";
  const killedAfter = 300;
  await new Promise<void>((resolve, reject) => {
    p.stdout.setEncoding("utf8");
    p.stdout.on("data", (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith("ack ")) acked.push(line.slice(4));
      }
      if (acked.length >= killedAfter && p.signalCode === null) process.kill(p.pid!, "SIGKILL");
    });
    p.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`child ended by itself (code ${code}) before the kill`))));
  });
  // Acks still in the pipe when the kill landed count too.
  for (const line of buf.split("\n")) if (line.startsWith("ack ")) acked.push(line.slice(4));
  assert.ok(acked.length >= killedAfter, `only ${acked.length} acks`);
  const store = openSqliteStore(db);
  try {
    const have = new Set(store.list("ConfigMap").items.map((o) => o.metadata.name));
    const lost = acked.filter((n) => !have.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes lost`);
    // The burst was really interrupted: not all 200000 writes happened.
    assert.ok(have.size < 200000);
    console.log(`# kill -9 after ${acked.length} acks: ${have.size} objects stored, none lost`);
  } finally {
    store.close();
  }
});
