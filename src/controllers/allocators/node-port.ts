// NodePort allocation from --service-node-port-range, with upstream's portallocator
// semantics and messages.
import { AllocationError, OffsetPool, type PickOptions } from "./allocation-error.js";

export function parsePortRange(s: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(s.trim());
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!m || min < 1 || max > 65535 || min > max) throw new Error(`invalid port range "${s}" (want MIN-MAX, e.g. 30000-32767)`);
  return { min, max };
}

export class NodePortAllocator {
  readonly min: number;
  readonly max: number;
  private readonly pool: OffsetPool;

  constructor(
    readonly range: string,
    opts: PickOptions = {},
  ) {
    const { min, max } = parsePortRange(range);
    this.min = min;
    this.max = max;
    const size = max - min + 1;
    // Upstream's static band for ports: size/32 clamped to [16, 128].
    const reserved = Math.min(Math.max(16, Math.floor(size / 32)), 128, size);
    this.pool = new OffsetPool(size, reserved, opts);
    this.range = `${min}-${max}`;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.min && port <= this.max;
  }

  isAllocated(port: number): boolean {
    return this.contains(port) && this.pool.has(port - this.min);
  }

  allocate(port: number): void {
    if (!this.contains(port)) {
      throw new AllocationError(`provided port is not in the valid range. The range of valid ports is ${this.range}`, "range");
    }
    if (this.pool.has(port - this.min)) throw new AllocationError("provided port is already allocated", "allocated");
    this.pool.take(port - this.min);
  }

  allocateNext(): number {
    const i = this.pool.pick();
    if (i === undefined) throw new AllocationError("range is full", "full");
    this.pool.take(i);
    return this.min + i;
  }

  release(port: number): void {
    if (this.contains(port)) this.pool.release(port - this.min);
  }

  get used(): number {
    return this.pool.count;
  }
}
