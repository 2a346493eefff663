// kill -9 of the API server in the middle of a burst of writes loses none of the writes it
// acknowledged (201 Created): the server runs as `netlab apiserver` in a child process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpClient } from "../client/http-client.js";
import { openSqliteStore } from "../store/sqlite-store.js";

const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "cli", "main.js");

test("kill -9 of the API server mid-burst loses no acknowledged write", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "nlt-apidurable-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [cli, "apiserver", "--data-dir", dir, "--port", "0", "--no-controllers"], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const kubeconfig = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      out += d;
      const m = /^kubeconfig:\s+(\S+)$/m.exec(out);
      if (m && /^store:/m.test(out)) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`apiserver exited early (${code}): ${out}`)));
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_c, sig) => resolve(sig)));
  const client = HttpClient.fromKubeconfig(kubeconfig);
  const acked: string[] = [];
  let next = 0;
  let killed = false;
  const KILL_AFTER = 400;
  // 8 writers in parallel until the server dies under them.
  const writer = async () => {
    for (;;) {
      const name = `burst-${next++}`;
      try {
        await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data: { n: name } });
      } catch {
        return; // the server is gone
      }
      acked.push(name);
      if (acked.length >= KILL_AFTER && !killed) {
        killed = true;
        process.kill(child.pid!, "SIGKILL");
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  client.close();
  assert.equal(await exited, "SIGKILL");
  assert.ok(acked.length >= KILL_AFTER);
  const store = openSqliteStore(join(dir, "cluster.db"));
  try {
    const have = new Set(store.list("ConfigMap").items.map((o) => o.metadata.name));
    const lost = acked.filter((n) => !have.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes lost`);
    console.log(`# killed after ${acked.length} acknowledged writes (${next} attempted); ${have.size} stored; none lost`);
  } finally {
    store.close();
  }
});
