// A list + watch cache of one kind (a small informer), shared by the lab's components (agents,
// proxies, the fabric's load balancer) and the ingress controller: one watch per kind, change
// callbacks per consumer.
// On a watch error or end (e.g. 410 Expired) it relists and reports the differences.
import type { KubeObject } from "../api/types.js";
import type { Client, Watch } from "./client.js";

export type CacheEvent = { type: "ADDED" | "MODIFIED" | "DELETED"; object: KubeObject; old?: KubeObject };
export type CacheListener = (events: CacheEvent[]) => void;

export function objectKey(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? "");
}

export class WatchCache<T extends KubeObject = KubeObject> {
  readonly items = new Map<string, T>();
  private listeners = new Set<CacheListener>();
  private watch?: Watch;
  private stopped = false;
  private pending: CacheEvent[] = [];
  private flushScheduled = false;
  readonly synced: Promise<void>;
  private markSynced!: () => void;
  /** The first list has arrived. */
  hasSynced = false;
  /** Time (ms since epoch, performance.now based) the latest event arrived: programming latency starts here. */
  lastEventAt = 0;

  constructor(
    private readonly client: Client,
    readonly kind: string,
    private readonly log: (m: string) => void = () => {},
  ) {
    this.synced = new Promise((r) => (this.markSynced = () => ((this.hasSynced = true), r())));
  }

  start(): this {
    void this.relist();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
  }

  /** No event is waiting to be delivered to the listeners. */
  get quiet(): boolean {
    return !this.flushScheduled;
  }

  list(): T[] {
    return [...this.items.values()];
  }

  /** Listener gets batches of events (coalesced per tick). */
  subscribe(l: CacheListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(e: CacheEvent): void {
    this.lastEventAt = performance.now();
    this.pending.push(e);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.pending;
      this.pending = [];
      for (const l of this.listeners) {
        try {
          l(batch);
        } catch (err) {
          this.log(`${this.kind} listener failed: ${(err as Error).message}`);
        }
      }
    });
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    let rv: string | undefined;
    try {
      const list = await this.client.list<T>(this.kind);
      rv = list.metadata.resourceVersion;
      const seen = new Set<string>();
      for (const o of list.items) {
        const k = objectKey(o);
        seen.add(k);
        const old = this.items.get(k);
        this.items.set(k, o);
        if (!old) this.emit({ type: "ADDED", object: o });
        else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit({ type: "MODIFIED", object: o, old });
      }
      for (const [k, o] of this.items) {
        if (!seen.has(k)) {
          this.items.delete(k);
          this.emit({ type: "DELETED", object: o });
        }
      }
    } catch (e) {
      this.log(`list ${this.kind} failed: ${(e as Error).message}; retrying`);
      setTimeout(() => void this.relist(), 500).unref();
      return;
    }
    this.markSynced();
    if (this.stopped) return;
    let failed = false;
    this.watch = this.client.watch(this.kind, { resourceVersion: rv }, (ev) => {
      if (ev.type === "ERROR") {
        failed = true;
        return;
      }
      if (ev.type === "BOOKMARK") return;
      const o = ev.object as T;
      const k = objectKey(o);
      const old = this.items.get(k);
      if (ev.type === "DELETED") {
        this.items.delete(k);
        if (old) this.emit({ type: "DELETED", object: o, old });
      } else {
        this.items.set(k, o);
        this.emit({ type: old ? "MODIFIED" : "ADDED", object: o, old });
      }
    });
    void this.watch.done.then(() => {
      if (this.stopped) return;
      if (failed) this.log(`watch ${this.kind} expired; relisting`);
      setTimeout(() => void this.relist(), failed ? 0 : 100).unref();
    });
  }
}
