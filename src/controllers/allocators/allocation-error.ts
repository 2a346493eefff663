// An allocator's refusal, with upstream's message text (ipallocator / portallocator errors).
import { seededRandom } from "../random.js";

export class AllocationError extends Error {
  constructor(
    message: string,
    /** "range": not in the valid range; "allocated": already taken; "full": nothing left. */
    readonly why: "range" | "allocated" | "full",
  ) {
    super(message);
    this.name = "AllocationError";
  }
}

/** How free values are picked: random like upstream (optionally seeded), or sequential. */
export interface PickOptions {
  /** "random" (default, as upstream) or "sequential" (deterministic, for offline rendering). */
  mode?: "random" | "sequential";
  /** Seed for the random mode, making it reproducible. */
  seed?: number;
}

/**
 * A bitmap-like set of offsets [0, size) with upstream's two bands: the low `reserved`
 * offsets are preferred for explicit requests, so dynamic picks start in the upper band and
 * only fall back to the lower band when the upper one is full.
 */
export class OffsetPool {
  private readonly used = new Set<number>();
  private readonly random: () => number;
  private next = 0;

  constructor(
    readonly size: number,
    readonly reserved: number,
    private readonly opts: PickOptions = {},
  ) {
    this.random = opts.seed !== undefined ? seededRandom(opts.seed) : Math.random;
  }

  has(i: number): boolean {
    return this.used.has(i);
  }
  take(i: number): void {
    this.used.add(i);
  }
  release(i: number): void {
    this.used.delete(i);
  }
  get count(): number {
    return this.used.size;
  }

  /** A free offset, or undefined when full. Does not take it. */
  pick(): number | undefined {
    if (this.used.size >= this.size) return undefined;
    const bands: [number, number][] = [
      [this.reserved, this.size],
      [0, this.reserved],
    ];
    for (const [lo, hi] of bands) {
      const n = hi - lo;
      if (n <= 0) continue;
      let start: number;
      if (this.opts.mode === "sequential") start = lo === this.reserved ? Math.max(0, this.next - lo) % n : 0;
      else start = Math.floor(this.random() * n);
      for (let k = 0; k < n; k++) {
        const i = lo + ((start + k) % n);
        if (!this.used.has(i)) {
          if (this.opts.mode === "sequential" && lo === this.reserved) this.next = i + 1;
          return i;
        }
      }
    }
    return undefined;
  }
}
