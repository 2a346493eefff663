// A list+watch cache of one kind (an informer, small): lists, then watches from the list's
// resourceVersion; when the watch ends or reports an error (410 Expired), it lists again.
import type { KubeObject } from "../api/types.js";
import type { Client, Watch } from "../client/client.js";

export function objectKey(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? "");
}

export class WatchCache<T extends KubeObject = KubeObject> {
  readonly items = new Map<string, T>();
  private watch: Watch | undefined;
  private stopped = false;
  private synced = false;
  private syncedWaiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly client: Client, readonly kind: string, private readonly onChange: () => void, private readonly retryMs = 500) {}

  get hasSynced(): boolean {
    return this.synced;
  }

  list(): T[] {
    return [...this.items.values()];
  }

  start(): void {
    void this.relist();
  }

  /** Resolves after the first list. */
  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((r) => this.syncedWaiters.push(r));
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    let rv: string | undefined;
    try {
      const l = await this.client.list<T>(this.kind);
      this.items.clear();
      for (const o of l.items) this.items.set(objectKey(o), o);
      rv = l.metadata.resourceVersion;
    } catch {
      this.retry();
      return;
    }
    if (this.stopped) return;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncedWaiters.splice(0)) w();
    }
    this.onChange();
    const w = this.client.watch(this.kind, { resourceVersion: rv }, (ev) => {
      if (ev.type === "ADDED" || ev.type === "MODIFIED") this.items.set(objectKey(ev.object), ev.object as T);
      else if (ev.type === "DELETED") this.items.delete(objectKey(ev.object));
      else return; // BOOKMARK; ERROR ends the watch and `done` relists
      this.onChange();
    });
    this.watch = w;
    void w.done.then(() => {
      if (this.watch === w) this.retry();
    });
  }

  private retry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.relist();
    }, this.retryMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.watch?.stop();
    this.watch = undefined;
  }
}
