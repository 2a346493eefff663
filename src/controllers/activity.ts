// Counts work in progress across informers, queues and writes, so that the offline renderer
// can tell when the control plane has converged (nothing queued, nothing in flight).
export class Activity {
  private busy = 0;
  /** Bumped on every start of work: a quiet period must see no change to count as idle. */
  private epoch = 0;
  private readonly names = new Map<string, number>();

  begin(name: string): void {
    this.busy++;
    this.epoch++;
    this.names.set(name, (this.names.get(name) ?? 0) + 1);
  }

  end(name: string): void {
    this.busy--;
    const n = (this.names.get(name) ?? 1) - 1;
    if (n <= 0) this.names.delete(name);
    else this.names.set(name, n);
  }

  /** Marks a change (an event that produced no work still restarts the quiet period). */
  touch(): void {
    this.epoch++;
  }

  get quiet(): boolean {
    return this.busy === 0;
  }

  get generation(): number {
    return this.epoch;
  }

  /** What is still busy, for error messages. */
  describe(): string {
    return [...this.names].map(([k, v]) => `${k}(${v})`).join(", ");
  }

  /** Resolves once nothing has been busy for a few turns of the event loop. */
  async idle(opts: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : undefined;
    const turn = () => new Promise<void>((r) => setImmediate(r));
    for (;;) {
      await turn();
      if (!this.quiet) {
        if (deadline !== undefined && Date.now() > deadline) throw new Error(`controllers did not settle within ${opts.timeoutMs} ms; still busy: ${this.describe()}`);
        continue;
      }
      const g = this.epoch;
      let stable = true;
      for (let i = 0; i < 3 && stable; i++) {
        await turn();
        stable = this.quiet && this.epoch === g;
      }
      if (stable) return;
    }
  }
}
