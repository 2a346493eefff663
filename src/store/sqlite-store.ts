// The embedded store: one SQLite file per cluster (better-sqlite3, WAL, synchronous=FULL).
// Objects are kept as JSON text; the global resourceVersion is a counter row bumped in the
// same transaction as each write. Group commit: writes made in one event-loop turn share
// one transaction, committed (and fsynced) on the next turn; `sync()` resolves when
// everything written so far is on disk, and watchers only hear of committed writes. So a
// caller that awaits sync() before acknowledging never acknowledges a write that a kill -9
// (or power loss) could take back, and concurrent writers share fsyncs.
// Watch history is an in-memory ring of recent events (like the API server's watch cache):
// after a restart, resuming from an older resourceVersion gets 410 Expired and relists.
import Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { closeSync, fsync, fsyncSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { KubeObject, WatchEvent, WatchEventType } from "../api/types.js";
import { resourceForKind } from "../api/resources.js";
import { alreadyExists, conflict, notFound, statusError, type Status } from "../api/status.js";
import { startCheckpointer } from "./checkpointer.js";
import type { DeletePreconditions, ObjectFilter, Store, StoreList, StoreListOptions, StoreUpdateOptions, StoreWatch, StoreWatchOptions } from "./store.js";

/** How many recent events a watch can replay from (default). */
const HISTORY = 20000;

export interface SqliteStoreOptions {
  /** Events kept for watch replay (default 20000). */
  watchHistory?: number;
  /** Run WAL checkpoints in a worker thread instead of inside commits (default true for files). */
  checkpointInWorker?: boolean;
}

interface HistoryEvent {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  kind: string;
  namespace: string;
  object: KubeObject;
  /** The object before a MODIFIED, so a filtered watch can see it enter or leave its selection. */
  prev?: KubeObject;
}

interface Watcher {
  kind: string;
  namespace?: string;
  filter?: ObjectFilter;
  handler: (ev: WatchEvent) => void;
  stopped: boolean;
  /** Events up to this resourceVersion were already covered by the initial list or replay. */
  seen: number;
}

function resourceWords(kind: string): { plural: string; group: string } {
  const t = resourceForKind(kind);
  return t ? { plural: t.plural, group: t.group } : { plural: kind.toLowerCase() + "s", group: "" };
}

/** Everything that makes up "spec" for generation purposes: all but metadata and status. */
function specPart(o: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
}

function deepCopy<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

function expiredStatus(message: string): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "Expired", code: 410 };
}

export function openSqliteStore(path: string | ":memory:", opts: SqliteStoreOptions = {}): Store {
  const historySize = Math.max(1, opts.watchHistory ?? HISTORY);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  if (path !== ":memory:") db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL"); // plus our own fsync of the WAL before any acknowledgement, see below
  db.pragma("busy_timeout = 5000");
  const checkpointer = path !== ":memory:" && opts.checkpointInWorker !== false ? startCheckpointer(path) : undefined;
  if (checkpointer) db.pragma("wal_autocheckpoint = 0");
  db.exec(`
    CREATE TABLE IF NOT EXISTS objects (
      kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
      rv INTEGER NOT NULL, data TEXT NOT NULL,
      PRIMARY KEY (kind, namespace, name)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO meta (key, value) VALUES ('resourceVersion', 0);
  `);

  const q = {
    get: db.prepare<[string, string, string], { data: string }>("SELECT data FROM objects WHERE kind = ? AND namespace = ? AND name = ?"),
    listAll: db.prepare<[string], { data: string }>("SELECT data FROM objects WHERE kind = ? ORDER BY namespace, name"),
    listNs: db.prepare<[string, string], { data: string }>("SELECT data FROM objects WHERE kind = ? AND namespace = ? ORDER BY name"),
    insert: db.prepare<[string, string, string, number, string]>("INSERT INTO objects (kind, namespace, name, rv, data) VALUES (?, ?, ?, ?, ?)"),
    update: db.prepare<[number, string, string, string, string]>("UPDATE objects SET rv = ?, data = ? WHERE kind = ? AND namespace = ? AND name = ?"),
    del: db.prepare<[string, string, string]>("DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?"),
    bump: db.prepare<[number]>("UPDATE meta SET value = ? WHERE key = 'resourceVersion'"),
  };
  let rv = (db.prepare("SELECT value FROM meta WHERE key = 'resourceVersion'").get() as { value: number }).value;

  const history: HistoryEvent[] = [];
  /** The oldest resourceVersion a watch may resume from (events after it are all in history). */
  let floor = rv;
  const watchers = new Set<Watcher>();
  let closed = false;

  // ---- group commit with the fsync off the event loop
  // SQLite commits with synchronous=NORMAL (no fsync at commit; checkpoints still sync the
  // WAL before and the database after, so they are safe), and the store itself fsyncs the
  // WAL file in libuv's thread pool. A write is acknowledged (sync() resolves, watchers hear
  // of it) only when an fsync that started after its commit has finished: the guarantee of
  // synchronous=FULL, but the event loop keeps serving requests during the fsync and every
  // commit made meanwhile shares the next one.
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const walPath = path === ":memory:" ? undefined : `${path}-wal`;
  let walFd: number | undefined;
  let commitScheduled = false;
  interface Waiter {
    resolve: () => void;
    reject: (e: unknown) => void;
  }
  /** Writes of the open transaction. */
  let waiters: Waiter[] = [];
  let uncommitted: HistoryEvent[] = [];
  /** Committed, waiting for the next fsync to start. */
  let committedWaiters: Waiter[] = [];
  let committedEvents: HistoryEvent[] = [];
  let fsyncing = false;
  let broken: Error | undefined;

  function fail(e: unknown, ws: Waiter[]): void {
    broken = e instanceof Error ? e : new Error(String(e));
    for (const w of ws) w.reject(statusError(500, "InternalError", `storage failed: ${broken.message}`));
  }

  function announce(ws: Waiter[], evs: HistoryEvent[]): void {
    dispatch(evs);
    for (const w of ws) w.resolve();
  }

  /** Starts an fsync covering everything committed so far, unless one is running. */
  function startFsync(): void {
    if (fsyncing || (committedWaiters.length === 0 && committedEvents.length === 0)) return;
    const ws = committedWaiters;
    const evs = committedEvents;
    committedWaiters = [];
    committedEvents = [];
    if (walPath === undefined || closed) {
      announce(ws, evs);
      return;
    }
    try {
      if (walFd === undefined) {
        walFd = openSync(walPath, "r");
        // The WAL file may be new: make its directory entry durable once, as SQLite's own sync does.
        const dirFd = openSync(dirname(walPath), "r");
        try {
          fsyncSync(dirFd);
        } finally {
          closeSync(dirFd);
        }
      }
    } catch (e) {
      fail(e, ws);
      return;
    }
    fsyncing = true;
    fsync(walFd, (err) => {
      fsyncing = false;
      // After close() the WAL was fsynced synchronously; a late error there means nothing.
      if (err && !closed) fail(err, ws);
      else announce(ws, evs);
      startFsync();
    });
  }

  /** Commits the open transaction (no fsync here) and queues it for the next fsync. */
  function flush(): void {
    commitScheduled = false;
    if (db.inTransaction) {
      try {
        commit.run();
      } catch (e) {
        // The disk refused (full, I/O error): what was not committed is gone, and the
        // in-memory view is ahead of the file, so the store stops taking requests.
        try {
          db.exec("ROLLBACK");
        } catch {
          // nothing open
        }
        const ws = waiters;
        waiters = [];
        uncommitted = [];
        fail(e, ws);
        return;
      }
    }
    committedWaiters.push(...waiters);
    committedEvents.push(...uncommitted);
    waiters = [];
    uncommitted = [];
    startFsync();
  }

  const writeTx = (fn: (next: number) => void): number => {
    if (broken) throw statusError(500, "InternalError", `storage failed earlier: ${broken.message}`);
    const next = rv + 1;
    if (!db.inTransaction) begin.run();
    // Nested transaction = savepoint: a failing statement undoes only this write.
    db.transaction(() => {
      fn(next);
      q.bump.run(next);
    })();
    rv = next;
    if (!commitScheduled) {
      commitScheduled = true;
      setImmediate(flush);
    }
    return next;
  };

  // Dispatch is not re-entrant: a handler that writes (a controller reacting to an event)
  // queues its own event behind the current one, so every watcher sees resourceVersion order.
  const pending: HistoryEvent[] = [];
  let dispatching = false;

  function record(ev: HistoryEvent): void {
    history.push(ev);
    if (history.length > historySize + Math.ceil(historySize / 10)) {
      const drop = history.splice(0, history.length - historySize);
      floor = drop[drop.length - 1].rv;
    }
    uncommitted.push(ev);
  }

  function dispatch(evs: HistoryEvent[]): void {
    pending.push(...evs);
    if (dispatching) return;
    dispatching = true;
    try {
      for (let e = pending.shift(); e; e = pending.shift()) {
        for (const w of watchers) deliver(w, e);
      }
    } finally {
      dispatching = false;
    }
  }

  function inNs(w: { namespace?: string }, ns: string): boolean {
    return w.namespace === undefined || w.namespace === ns;
  }

  /** Upstream cacher semantics: a MODIFIED that enters the selection is ADDED, one that leaves it is DELETED. */
  function translate(w: { kind: string; namespace?: string; filter?: ObjectFilter }, ev: HistoryEvent): WatchEvent | undefined {
    if (ev.kind !== w.kind || !inNs(w, ev.namespace)) return undefined;
    const f = w.filter;
    if (!f) return { type: ev.type, object: ev.object };
    const now = f(ev.object);
    if (ev.type !== "MODIFIED") return now ? { type: ev.type, object: ev.object } : undefined;
    const before = ev.prev ? f(ev.prev) : false;
    if (now && before) return { type: "MODIFIED", object: ev.object };
    if (now) return { type: "ADDED", object: ev.object };
    if (before) return { type: "DELETED", object: ev.object };
    return undefined;
  }

  function deliver(w: Watcher, ev: HistoryEvent): void {
    if (w.stopped || ev.rv <= w.seen) return;
    const out = translate(w, ev);
    if (!out) return;
    try {
      w.handler({ type: out.type, object: deepCopy(out.object) });
    } catch {
      // A failing handler must not break the writer or the other watchers.
    }
  }

  function parseAll(rows: { data: string }[], filter?: ObjectFilter): KubeObject[] {
    const out: KubeObject[] = [];
    for (const r of rows) {
      const o = JSON.parse(r.data) as KubeObject;
      if (!filter || filter(o)) out.push(o);
    }
    return out;
  }

  function check(): void {
    if (closed) throw statusError(503, "ServiceUnavailable", "store is closed");
  }

  const store: Store = {
    create(obj) {
      check();
      const o = deepCopy(obj);
      const ns = o.metadata.namespace ?? "";
      const name = o.metadata.name;
      if (!name) throw statusError(400, "BadRequest", "name is required");
      if (q.get.get(o.kind, ns, name)) {
        const w = resourceWords(o.kind);
        throw alreadyExists(w.plural, name, w.group);
      }
      const m = o.metadata;
      m.uid = randomUUID();
      m.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      m.generation = 1;
      delete m.deletionTimestamp;
      const next = rv + 1;
      m.resourceVersion = String(next);
      writeTx((n) => q.insert.run(o.kind, ns, name, n, JSON.stringify(o)));
      record({ rv: next, type: "ADDED", kind: o.kind, namespace: ns, object: o });
      return deepCopy(o);
    },

    get(kind, namespace, name) {
      check();
      const row = q.get.get(kind, namespace, name);
      return row ? (JSON.parse(row.data) as KubeObject) : undefined;
    },

    list(kind, opts: StoreListOptions = {}): StoreList {
      check();
      const rows = opts.namespace === undefined ? q.listAll.all(kind) : q.listNs.all(kind, opts.namespace);
      return { items: parseAll(rows, opts.filter), resourceVersion: String(rv) };
    },

    listRaw(kind, opts = {}) {
      check();
      const rows = opts.namespace === undefined ? q.listAll.all(kind) : q.listNs.all(kind, opts.namespace);
      return { items: rows.map((r) => r.data), resourceVersion: String(rv) };
    },

    update(obj, opts: StoreUpdateOptions = {}) {
      check();
      const o = deepCopy(obj);
      const ns = o.metadata.namespace ?? "";
      const name = o.metadata.name ?? "";
      const row = q.get.get(o.kind, ns, name);
      const w = resourceWords(o.kind);
      if (!row) throw notFound(w.plural, name, w.group);
      const old = JSON.parse(row.data) as KubeObject;
      const want = o.metadata.resourceVersion;
      if (want !== undefined && want !== "" && want !== old.metadata.resourceVersion) throw conflict(w.plural, name, w.group);
      const m = o.metadata;
      m.uid = old.metadata.uid;
      m.creationTimestamp = old.metadata.creationTimestamp;
      m.generation = old.metadata.generation ?? 1;
      if (!opts.keepGeneration && specPart(o) !== specPart(old)) m.generation += 1;
      const next = rv + 1;
      m.resourceVersion = String(next);
      writeTx((n) => q.update.run(n, JSON.stringify(o), o.kind, ns, name));
      record({ rv: next, type: "MODIFIED", kind: o.kind, namespace: ns, object: o, prev: old });
      return deepCopy(o);
    },

    delete(kind, namespace, name, pre: DeletePreconditions = {}) {
      check();
      const row = q.get.get(kind, namespace, name);
      const w = resourceWords(kind);
      if (!row) throw notFound(w.plural, name, w.group);
      const old = JSON.parse(row.data) as KubeObject;
      if (pre.uid && pre.uid !== old.metadata.uid) {
        throw statusError(409, "Conflict", `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`, { name, group: w.group || undefined, kind: w.plural });
      }
      if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
        throw statusError(409, "Conflict", `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`, { name, group: w.group || undefined, kind: w.plural });
      }
      const next = writeTx(() => q.del.run(kind, namespace, name));
      // The DELETED event carries the object's last state at the deletion's resourceVersion, as upstream.
      old.metadata.resourceVersion = String(next);
      record({ rv: next, type: "DELETED", kind, namespace, object: old });
      return deepCopy(old);
    },

    watch(kind, opts: StoreWatchOptions, handler): StoreWatch {
      check();
      const w: Watcher = { kind, namespace: opts.namespace, filter: opts.filter, handler, stopped: false, seen: rv };
      const from = opts.resourceVersion;
      const safe = (ev: WatchEvent) => {
        try {
          handler(ev);
        } catch {
          // ignore, as in deliver()
        }
      };
      if (from === undefined || from === "" || from === "0") {
        const { items } = store.list(kind, { namespace: opts.namespace, filter: opts.filter });
        for (const o of items) safe({ type: "ADDED", object: o });
      } else {
        const n = Number(from);
        if (!Number.isInteger(n) || n < 0) {
          safe({ type: "ERROR", object: statusError(400, "BadRequest", `invalid resource version: ${JSON.stringify(from)}`).status as unknown as KubeObject });
          w.stopped = true;
          return { stop() {} };
        }
        if (n < floor) {
          safe({ type: "ERROR", object: expiredStatus(`too old resource version: ${n} (${floor})`) as unknown as KubeObject });
          w.stopped = true;
          return { stop() {} };
        }
        for (const ev of history) {
          if (ev.rv <= n) continue;
          const out = translate(w, ev);
          if (out) safe({ type: out.type, object: deepCopy(out.object) });
        }
      }
      watchers.add(w);
      return {
        stop() {
          w.stopped = true;
          watchers.delete(w);
        },
      };
    },

    currentResourceVersion() {
      return String(rv);
    },

    sync() {
      if (broken) return Promise.reject(statusError(500, "InternalError", `storage failed earlier: ${broken.message}`));
      if (db.inTransaction) return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      if (fsyncing || committedWaiters.length || committedEvents.length) {
        // Committed but not yet known durable: wait for the next fsync.
        return new Promise<void>((resolve, reject) => committedWaiters.push({ resolve, reject }));
      }
      return Promise.resolve();
    },

    close() {
      if (closed) return;
      flush();
      if (walFd !== undefined && !broken) {
        try {
          fsyncSync(walFd);
        } catch {
          // closing anyway; the checkpoint at close syncs the database
        }
      }
      closed = true;
      const ws = committedWaiters;
      committedWaiters = [];
      announce(ws, []);
      watchers.clear();
      void checkpointer?.stop();
      db.close();
      if (walFd !== undefined) closeSync(walFd);
    },
  };
  return store;
}
