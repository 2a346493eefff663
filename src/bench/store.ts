// Store benchmark: durable single-object writes through the REST API (rate and p99) and a
// list of 10,000 objects, each beside a raw better-sqlite3 baseline with the same
// durability, measured in the same run and printed as ratios with the targets.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request, Agent } from "node:https";
import { openSqliteStore } from "../store/sqlite-store.js";
import { Registry } from "../apiserver/registry.js";
import { startApiServer } from "../apiserver/server.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { table } from "../cli/output.js";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

const WRITES = 3000;
const CONCURRENCY = 8;
const SINGLE_WRITES = 1000;
const LIST_N = 10_000;
const LIST_RUNS = 7;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function payload(i: number): Record<string, unknown> {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}`, namespace: "default", labels: { bench: "store" } }, data: { key: `value-${i}`, more: "x".repeat(64) } };
}

/** The same durable single-row writes straight into better-sqlite3 (WAL, synchronous=FULL). */
function rawWrites(dir: string): { perSec: number; p50: number; p99: number } {
  const db = new Database(join(dir, "raw.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE objects (kind TEXT, namespace TEXT, name TEXT, rv INTEGER, data TEXT, PRIMARY KEY (kind, namespace, name)) WITHOUT ROWID");
  const ins = db.prepare("INSERT INTO objects VALUES (?, ?, ?, ?, ?)");
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < WRITES; i++) {
    const s = performance.now();
    ins.run("ConfigMap", "default", `cm-${i}`, i + 1, JSON.stringify(payload(i)));
    lat.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  db.close();
  lat.sort((a, b) => a - b);
  return { perSec: (WRITES / total) * 1000, p50: pct(lat, 50), p99: pct(lat, 99) };
}

function rawList(dir: string): number {
  const db = new Database(join(dir, "raw-list.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE objects (kind TEXT, namespace TEXT, name TEXT, rv INTEGER, data TEXT, PRIMARY KEY (kind, namespace, name)) WITHOUT ROWID");
  const ins = db.prepare("INSERT INTO objects VALUES (?, ?, ?, ?, ?)");
  db.transaction(() => {
    for (let i = 0; i < LIST_N; i++) ins.run("ConfigMap", "bench-list", `cm-${i}`, i + 1, JSON.stringify(payload(i)));
  })();
  const sel = db.prepare<[string, string], { data: string }>("SELECT data FROM objects WHERE kind = ? AND namespace = ? ORDER BY name");
  const times: number[] = [];
  for (let r = 0; r < LIST_RUNS; r++) {
    const s = performance.now();
    const rows = sel.all("ConfigMap", "bench-list");
    const body = `{"items":[${rows.map((x) => x.data).join(",")}]}`;
    JSON.parse(body); // a client reads what it fetched
    times.push(performance.now() - s);
  }
  db.close();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function httpCall(agent: Agent, url: URL, token: string, method: string, path: string, body?: string): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (body) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    const req = request({ hostname: url.hostname, port: url.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

interface LoadJob {
  role: "store-bench-load";
  url: string;
  token: string;
  caPem: string;
  concurrency: number;
  writes: number;
  /** Object names start here, so two loads in one run never collide. */
  first: number;
}

/** The write load, run in a worker thread so the client does not share the server's event loop (kubectl would be another process). */
async function load(job: LoadJob): Promise<{ lat: number[]; totalMs: number; failures: number }> {
  const url = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency, ca: job.caPem });
  for (let i = 0; i < job.concurrency * 4; i++) await httpCall(agent, url, job.token, "GET", "/api/v1/namespaces/default/configmaps?limit=1");
  const lat: number[] = [];
  let next = job.first;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      for (let i = next++; i < job.first + job.writes; i = next++) {
        const body = JSON.stringify(payload(i));
        const s = performance.now();
        const r = await httpCall(agent, url, job.token, "POST", "/api/v1/namespaces/default/configmaps", body);
        lat.push(performance.now() - s);
        if (r.code !== 201) failures++;
      }
    }),
  );
  const totalMs = performance.now() - t0;
  agent.destroy();
  return { lat, totalMs, failures };
}

if (!isMainThread && (workerData as LoadJob | undefined)?.role === "store-bench-load") {
  load(workerData as LoadJob).then((r) => parentPort!.postMessage(r));
}

function loadInWorker(job: LoadJob): Promise<{ lat: number[]; totalMs: number; failures: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once("message", (m) => {
      resolve(m as { lat: number[]; totalMs: number; failures: number });
      void w.terminate();
    });
    w.once("error", reject);
  });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nlt-bench-store-"));
  try {
    process.stdout.write(
      `store bench: ${WRITES} durable writes (${CONCURRENCY} concurrent HTTPS clients in a worker thread; the API group-commits, the raw baseline commits each insert alone),\n` +
        `then ${SINGLE_WRITES} writes from one client, one after another (latency without queueing behind other clients),\n` +
        `and a list of ${LIST_N} objects (GET + JSON.parse at the client; baseline: SELECT + join + JSON.parse).\n` +
        `Durability: every write is fsynced before it is acknowledged (baseline: WAL, synchronous=FULL; store: WAL, commit + its own WAL fsync off the event loop)\n`,
    );
    const raw = rawWrites(dir);
    const rawListMs = rawList(dir);

    const store = openSqliteStore(join(dir, "cluster.db"));
    const registry = new Registry(store, DEFAULT_SETTINGS);
    const server = await startApiServer({ registry, port: 0, dataDir: dir });
    const url = new URL(server.url);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: server.caPem });
    try {
      const job = { role: "store-bench-load" as const, url: server.url, token: server.token, caPem: server.caPem };
      // Throughput with CONCURRENCY clients (their latency is mostly queueing behind each other),
      // then the latency of one client's writes one after another.
      const r = await loadInWorker({ ...job, concurrency: CONCURRENCY, writes: WRITES, first: 0 });
      const lat = r.lat.sort((a, b) => a - b);
      const api = { perSec: (WRITES / r.totalMs) * 1000, p50: pct(lat, 50), p99: pct(lat, 99) };
      const r1 = await loadInWorker({ ...job, concurrency: 1, writes: SINGLE_WRITES, first: WRITES });
      const lat1 = r1.lat.sort((a, b) => a - b);
      const one = { p50: pct(lat1, 50), p99: pct(lat1, 99) };
      const failures = r.failures + r1.failures;

      // 10k objects for the list, written through the store in one go (not timed).
      registry.createSync({ apiVersion: "v1", kind: "Namespace", metadata: { name: "bench-list" } });
      for (let i = 0; i < LIST_N; i++) store.create({ ...payload(i), metadata: { name: `cm-${i}`, namespace: "bench-list", labels: { bench: "store" } } } as never);
      const listTimes: number[] = [];
      let count = 0;
      for (let r = 0; r < LIST_RUNS; r++) {
        const s = performance.now();
        const res = await httpCall(agent, url, server.token, "GET", "/api/v1/namespaces/bench-list/configmaps");
        count = (JSON.parse(res.text) as { items: unknown[] }).items.length;
        listTimes.push(performance.now() - s);
      }
      listTimes.sort((a, b) => a - b);
      const listMs = listTimes[Math.floor(listTimes.length / 2)];
      if (count !== LIST_N) throw new Error(`list returned ${count} items, want ${LIST_N}`);
      if (failures) throw new Error(`${failures} writes failed`);

      const f = (n: number, d = 0) => n.toFixed(d);
      const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
      process.stdout.write(
        table(
          ["measure", "REST API", "raw SQLite", "ratio", "target", "result"],
          [
            ["durable writes/s", f(api.perSec), f(raw.perSec), `${(api.perSec / raw.perSec).toFixed(2)}x`, ">= 1000/s", verdict(api.perSec >= 1000)],
            ["write p50 (ms), 1 client", f(one.p50, 2), f(raw.p50, 2), `${(one.p50 / raw.p50).toFixed(1)}x`, "", ""],
            ["write p99 (ms), 1 client", f(one.p99, 2), f(raw.p99, 2), `${(one.p99 / raw.p99).toFixed(1)}x`, "<= 10 ms", verdict(one.p99 <= 10)],
            [`write p50 (ms), ${CONCURRENCY} clients`, f(api.p50, 2), f(raw.p50, 2), `${(api.p50 / raw.p50).toFixed(1)}x`, "", ""],
            [`write p99 (ms), ${CONCURRENCY} clients`, f(api.p99, 2), f(raw.p99, 2), `${(api.p99 / raw.p99).toFixed(1)}x`, "<= 10 ms", verdict(api.p99 <= 10)],
            [`list ${LIST_N} (ms, median of ${LIST_RUNS})`, f(listMs, 1), f(rawListMs, 1), `${(listMs / rawListMs).toFixed(1)}x`, "<= 100 ms", verdict(listMs <= 100)],
          ],
        ),
      );
    } finally {
      agent.destroy();
      await server.close();
      registry.close();
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
