// A work queue of keys with de-duplication (a key waiting once is processed once), one
// worker per controller, and retries on failure (immediate turns in deterministic mode so
// offline output never depends on timers; backoff otherwise).
import type { Activity } from "./activity.js";

export class WorkQueue {
  private readonly order: string[] = [];
  private readonly queued = new Set<string>();
  private readonly retries = new Map<string, number>();
  private running = false;
  private stopped = false;
  /** Workers start only once the caches have synced (as upstream's WaitForCacheSync). */
  private started = false;
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly name: string,
    private readonly sync: (key: string) => Promise<void>,
    private readonly activity: Activity,
    private readonly opts: { deterministic: boolean; maxRetries?: number; onError?: (msg: string) => void },
  ) {}

  add(key: string): void {
    if (this.stopped || this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.activity.begin(this.name);
    if (this.started && !this.running) void this.run();
  }

  start(): void {
    this.started = true;
    if (!this.running && this.order.length) void this.run();
  }

  get length(): number {
    return this.order.length;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) {
      clearTimeout(t);
      this.activity.end(`${this.name}:retry`);
    }
    this.timers.clear();
    while (this.order.length) {
      this.queued.delete(this.order.shift()!);
      this.activity.end(this.name);
    }
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.order.length && !this.stopped) {
        const key = this.order.shift()!;
        this.queued.delete(key);
        try {
          await this.sync(key);
          this.retries.delete(key);
        } catch (e) {
          this.retry(key, e);
        } finally {
          this.activity.end(this.name);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private retry(key: string, e: unknown): void {
    const n = (this.retries.get(key) ?? 0) + 1;
    const msg = e instanceof Error ? e.message : String(e);
    // Offline runs must end, so they give up after a while; a live controller keeps trying
    // (with capped backoff), as upstream's rate-limited queues do.
    const max = this.opts.maxRetries ?? (this.opts.deterministic ? 15 : Infinity);
    if (n > max) {
      this.retries.delete(key);
      this.opts.onError?.(`${this.name}: dropping ${key} after ${max} retries: ${msg}`);
      return;
    }
    if (n === 5) this.opts.onError?.(`${this.name}: ${key} keeps failing (retrying): ${msg}`);
    this.retries.set(key, n);
    this.activity.begin(`${this.name}:retry`);
    const again = () => {
      this.activity.end(`${this.name}:retry`);
      this.add(key);
    };
    if (this.opts.deterministic) {
      setImmediate(again);
    } else {
      const t = setTimeout(() => {
        this.timers.delete(t);
        again();
      }, Math.min(5000, 5 * 2 ** n));
      this.timers.add(t);
    }
  }
}
