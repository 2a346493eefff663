// List + watch informers with a cache keyed by `ns/name`: list, then watch from the list's
// resourceVersion, relist when the watch expires (410) or ends. Writes made by the
// controllers are fed back into the cache at once (observe), so a controller never acts on
// a view older than its own last write, whatever the watch latency.
import type { KubeObject, WatchEvent } from "../api/types.js";
import type { Client, Watch } from "../client/client.js";
import type { Activity } from "./activity.js";

export type InformerEvent = "add" | "update" | "delete";
export type InformerHandler<T extends KubeObject> = (type: InformerEvent, obj: T, old?: T) => void;

export function objectKey(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? "");
}

const MAX_TOMBSTONES = 10_000;

function rvNum(o: KubeObject | undefined): number {
  const n = Number(o?.metadata.resourceVersion ?? "0");
  return Number.isFinite(n) ? n : 0;
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  /** Deleted keys and the resourceVersion they had, so late events cannot resurrect them. */
  private readonly tombstones = new Map<string, number>();
  private readonly handlers: InformerHandler<T>[] = [];
  private watch?: Watch;
  private stopped = false;
  private synced = false;

  constructor(
    private readonly client: Client,
    readonly kind: string,
    private readonly activity: Activity,
    private readonly onError: (msg: string) => void = () => {},
  ) {}

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => (o.metadata.namespace ?? "") === namespace);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  async start(): Promise<void> {
    await this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
  }

  private emit(type: InformerEvent, obj: T, old?: T): void {
    this.activity.touch();
    for (const h of this.handlers) {
      try {
        h(type, obj, old);
      } catch (e) {
        this.onError(`${this.kind} handler: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    this.activity.begin(`informer:${this.kind}`);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const l = await this.client.list<T>(this.kind);
          if (this.stopped) return;
          const seen = new Set<string>();
          for (const o of l.items) {
            const k = objectKey(o);
            seen.add(k);
            this.apply("ADDED", o);
          }
          for (const [k, o] of [...this.cache]) {
            if (!seen.has(k)) {
              this.cache.delete(k);
              this.emit("delete", o);
            }
          }
          this.synced = true;
          this.startWatch(l.metadata.resourceVersion);
          return;
        } catch (e) {
          this.onError(`list ${this.kind}: ${e instanceof Error ? e.message : String(e)}`);
          if (this.stopped) return;
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
        }
      }
    } finally {
      this.activity.end(`informer:${this.kind}`);
    }
  }

  private startWatch(resourceVersion: string | undefined): void {
    if (this.stopped) return;
    let lastRV = resourceVersion;
    let expired = false;
    const w = this.client.watch(this.kind, { resourceVersion, allowWatchBookmarks: true }, (ev: WatchEvent) => {
      if (ev.type === "ERROR") {
        expired = true;
        return;
      }
      if (ev.object?.metadata?.resourceVersion) lastRV = ev.object.metadata.resourceVersion;
      if (ev.type === "BOOKMARK") return;
      this.apply(ev.type, ev.object as T);
    });
    this.watch = w;
    void w.done.then(() => {
      if (this.stopped || this.watch !== w) return;
      // Expired: the history moved on, start over from a fresh list; else resume where we were.
      if (expired) void this.relist();
      else this.startWatch(lastRV);
    });
  }

  private apply(type: "ADDED" | "MODIFIED" | "DELETED", obj: T): void {
    const k = objectKey(obj);
    const rv = rvNum(obj);
    const old = this.cache.get(k);
    if (type === "DELETED") {
      if (old && rvNum(old) > rv) return;
      this.tombstones.delete(k);
      this.tombstones.set(k, Math.max(rv, old ? rvNum(old) : 0));
      // Late events arrive within moments; old tombstones only cost memory.
      if (this.tombstones.size > MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value!);
      if (old) {
        this.cache.delete(k);
        this.emit("delete", old);
      }
      return;
    }
    const tomb = this.tombstones.get(k);
    if (tomb !== undefined) {
      if (rv <= tomb) return;
      this.tombstones.delete(k);
    }
    if (old && rvNum(old) >= rv) return; // already have this or a newer version (our own write)
    this.cache.set(k, obj);
    this.emit(old ? "update" : "add", obj, old);
  }

  /** Feeds a write's result into the cache (create/update response). */
  observe(obj: T): void {
    this.apply("MODIFIED", obj);
  }

  observeDeleted(obj: T): void {
    this.apply("DELETED", obj);
  }
}

/** One informer per kind, shared by every controller. */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();

  constructor(
    private readonly client: Client,
    private readonly activity: Activity,
    private readonly onError: (msg: string) => void,
  ) {}

  for<T extends KubeObject>(kind: string): Informer<T> {
    let i = this.informers.get(kind);
    if (!i) this.informers.set(kind, (i = new Informer(this.client, kind, this.activity, this.onError)));
    return i as unknown as Informer<T>;
  }

  async start(): Promise<void> {
    // Sequential, in a fixed order, so offline runs see the same event order every time.
    for (const i of this.informers.values()) await i.start();
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }

  observe(obj: KubeObject): void {
    this.informers.get(obj.kind)?.observe(obj);
  }

  observeDeleted(obj: KubeObject): void {
    this.informers.get(obj.kind)?.observeDeleted(obj);
  }
}
