// A minimal list+watch loop (an informer without a store of objects): lists each kind, reports
// the items as ADDED (and, after a relist, DELETED for what disappeared), then watches from the
// list's resourceVersion; when a watch ends it lists again after a short pause.
import type { KubeObject, WatchEvent } from "../api/types.js";
import type { Client, Watch } from "../client/client.js";

export interface ListWatchOptions {
  client: Client;
  kinds: string[];
  onEvent: (type: "ADDED" | "MODIFIED" | "DELETED", obj: KubeObject) => void;
  /** Called once, when every kind has been listed. */
  onSynced?: () => void;
  onError?: (err: unknown) => void;
  retryMs?: number;
  /** "ns/name" of the objects of a kind the consumer holds; when given, the loop keeps no key set of its own. */
  keys?: (kind: string) => Iterable<string>;
}

export interface ListWatch {
  stop(): void;
  synced: Promise<void>;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;

export function listWatch(opts: ListWatchOptions): ListWatch {
  let stopped = false;
  const watches = new Set<Watch>();
  const timers = new Set<NodeJS.Timeout>();
  let pendingKinds = new Set(opts.kinds);
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  const retryMs = opts.retryMs ?? 1000;

  const listOnce = async (kind: string, known: Set<string>): Promise<string | undefined | null> => {
    const list = await opts.client.list(kind);
    if (stopped) return null;
    const seen = new Set<string>();
    for (const item of list.items) {
      const obj = { ...item, kind: item.kind ?? kind } as KubeObject;
      const k = keyOf(obj);
      seen.add(k);
      opts.onEvent(known.has(k) ? "MODIFIED" : "ADDED", obj);
      if (!opts.keys) known.add(k);
    }
    for (const k of [...(opts.keys ? opts.keys(kind) : known)]) {
      if (seen.has(k)) continue;
      known.delete(k);
      opts.onEvent("DELETED", stub(kind, k));
    }
    if (pendingKinds.delete(kind) && pendingKinds.size === 0) {
      resolveSynced();
      opts.onSynced?.();
    }
    return list.metadata.resourceVersion;
  };

  const run = async (kind: string, known: Set<string>): Promise<void> => {
    if (stopped) return;
    try {
      // The list is handled in its own function so its items are not kept alive while watching.
      const resourceVersion = await listOnce(kind, known);
      if (resourceVersion === null) return;
      const w = opts.client.watch(kind, { resourceVersion }, (ev: WatchEvent) => {
        if (stopped) return;
        if (ev.type === "ERROR" || ev.type === "BOOKMARK") {
          if (ev.type === "ERROR") w.stop();
          return;
        }
        const obj = { ...ev.object, kind: ev.object.kind ?? kind } as KubeObject;
        const k = keyOf(obj);
        if (ev.type === "DELETED") known.delete(k);
        else if (!opts.keys) known.add(k);
        opts.onEvent(ev.type, obj);
      });
      watches.add(w);
      await w.done;
      watches.delete(w);
    } catch (e) {
      opts.onError?.(e);
    }
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      void run(kind, known);
    }, retryMs);
    timers.add(t);
  };

  for (const k of opts.kinds) void run(k, new Set());
  return {
    synced,
    stop() {
      stopped = true;
      pendingKinds = new Set();
      for (const w of watches) w.stop();
      for (const t of timers) clearTimeout(t);
    },
  };
}

/** What a DELETED event after a relist carries: kind, namespace, name (all the DNS index needs). */
function stub(kind: string, key: string): KubeObject {
  const i = key.indexOf("/");
  const ns = key.slice(0, i);
  return { apiVersion: "v1", kind, metadata: { namespace: ns || undefined, name: key.slice(i + 1) } };
}
