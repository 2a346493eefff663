// WAL checkpoints off the event loop: a worker thread with its own SQLite connection copies
// the WAL into the database file (PASSIVE: never blocks the writer) every few hundred
// milliseconds, so the fsyncs a checkpoint needs do not stall request handling. The main
// connection runs with wal_autocheckpoint=0.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

interface Job {
  role: "netlab-checkpointer";
  path: string;
  intervalMs: number;
}

if (!isMainThread && (workerData as Job | undefined)?.role === "netlab-checkpointer") {
  const job = workerData as Job;
  const db = new Database(job.path);
  db.pragma("busy_timeout = 1000");
  const tick = setInterval(() => {
    try {
      db.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // busy or closing: the next tick tries again
    }
  }, job.intervalMs);
  parentPort!.on("message", (m) => {
    if (m === "stop") {
      clearInterval(tick);
      try {
        db.close();
      } finally {
        parentPort!.postMessage("stopped");
      }
    }
  });
}

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs = 250): Checkpointer {
  const w = new Worker(new URL(import.meta.url), { workerData: { role: "netlab-checkpointer", path, intervalMs } satisfies Job });
  w.unref();
  w.on("error", () => undefined);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          void w.terminate().then(() => resolve(), () => resolve());
        };
        w.once("message", done);
        w.once("exit", () => resolve());
        w.postMessage("stop");
        setTimeout(done, 1000).unref();
      }),
  };
}
