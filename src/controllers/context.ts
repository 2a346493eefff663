// What every controller loop gets: the API client, shared informers, its own work queue,
// a random source (seeded offline), a clock, and write helpers that feed results back into
// the informer caches and record Events.
import type { Event, KubeObject } from "../api/types.js";
import { isStatusError } from "../api/status.js";
import type { Client } from "../client/client.js";
import type { ClusterSettings } from "../cluster/settings.js";
import type { Activity } from "./activity.js";
import type { InformerFactory } from "./informer.js";
import type { RandomSource } from "./random.js";
import { WorkQueue } from "./workqueue.js";

export class ControllerContext {
  readonly queues: WorkQueue[] = [];

  constructor(
    readonly client: Client,
    readonly settings: ClusterSettings,
    readonly informers: InformerFactory,
    readonly activity: Activity,
    readonly random: RandomSource,
    readonly now: () => Date,
    readonly deterministic: boolean,
    readonly events: boolean,
    readonly log: (msg: string) => void,
  ) {}

  queue(name: string, sync: (key: string) => Promise<void>): WorkQueue {
    const q = new WorkQueue(name, sync, this.activity, { deterministic: this.deterministic, onError: this.log });
    this.queues.push(q);
    return q;
  }

  /**
   * Adds `key` to `q` after `ms` (minReadySeconds and similar waits). Offline runs have a
   * fixed clock, so there is nothing to wait for there.
   */
  addAfter(q: WorkQueue, key: string, ms: number): void {
    if (this.deterministic) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      q.add(key);
    }, ms + 10);
    t.unref?.();
    this.timers.add(t);
  }

  private readonly timers = new Set<NodeJS.Timeout>();

  stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  timestamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  async create<T extends KubeObject>(obj: T): Promise<T> {
    const r = await this.client.create(obj);
    this.informers.observe(r);
    return r;
  }

  /** undefined when the object is gone (nothing left to update). */
  async update<T extends KubeObject>(obj: T): Promise<T | undefined> {
    try {
      const r = await this.client.update(obj);
      this.informers.observe(r);
      return r;
    } catch (e) {
      if (isStatusError(e, "NotFound")) return undefined;
      throw e;
    }
  }

  async updateStatus<T extends KubeObject>(obj: T): Promise<T | undefined> {
    try {
      const r = await this.client.updateStatus(obj);
      this.informers.observe(r);
      return r;
    } catch (e) {
      if (isStatusError(e, "NotFound")) return undefined;
      throw e;
    }
  }

  async delete(obj: KubeObject): Promise<void> {
    try {
      const r = await this.client.delete({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name ?? "" }, { preconditions: obj.metadata.uid ? { uid: obj.metadata.uid } : undefined });
      this.informers.observeDeleted(r ?? obj);
    } catch (e) {
      if (isStatusError(e, "NotFound")) return;
      throw e;
    }
  }

  /** Records an Event as upstream's recorder does (best effort: a failure is only logged). */
  async event(involved: KubeObject, type: "Normal" | "Warning", reason: string, message: string, component: string): Promise<void> {
    if (!this.events) return;
    const ts = this.timestamp();
    let hex = "";
    for (let i = 0; i < 16; i++) hex += Math.floor(this.random() * 16).toString(16);
    const ev: Event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${involved.metadata.name}.${hex}`, namespace: involved.metadata.namespace ?? "default" },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      source: { component },
    };
    try {
      await this.client.create(ev);
    } catch (e) {
      this.log(`event ${reason} for ${involved.kind} ${involved.metadata.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
