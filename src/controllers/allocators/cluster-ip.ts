// ClusterIP allocation from --service-cluster-ip-range (IPv4), with upstream's ipallocator
// semantics and messages. The network address is never handed out; the broadcast address is
// excluded too (as upstream does for IPv4). State lives in memory and is rebuilt from the
// stored Services at start (see rebuild in registry).
import { AllocationError, OffsetPool, type PickOptions } from "./allocation-error.js";
import { formatIPv4, parseIPv4 } from "../../cluster/ipv4.js";
import { cidrSize, formatCidr4, parseCidr4 } from "../../cluster/ipv4.js";

export class ClusterIPAllocator {
  /** The address at offset 0. */
  private readonly first: number;
  private readonly pool: OffsetPool;

  constructor(
    readonly range: string,
    opts: PickOptions = {},
  ) {
    // The strict parser (a prefix of digits: "/0x10", "/1e1" or "/ 12" are no prefix lengths).
    const c = parseCidr4(range);
    if (!c) throw new Error(`invalid CIDR "${range}" (want an IPv4 network such as 10.96.0.0/12)`);
    const total = cidrSize(c);
    // Usable: base+1 .. broadcast-1 (a /31 or /32 keeps what it has).
    const size = total > 2 ? total - 2 : total;
    this.first = total > 2 ? c.base + 1 : c.base;
    // Upstream's static band: size/16 clamped to [16, 256].
    const reserved = Math.min(Math.max(16, Math.floor(size / 16)), 256, size);
    this.pool = new OffsetPool(size, reserved, opts);
    this.range = formatCidr4(c);
  }

  private offset(ip: string): number | undefined {
    const n = parseIPv4(ip);
    if (n === undefined) return undefined;
    const i = n - this.first;
    return i >= 0 && i < this.pool.size ? i : undefined;
  }

  private ipAt(i: number): string {
    return formatIPv4((this.first + i) >>> 0);
  }

  /** The first address of the range (the `kubernetes` Service's). */
  firstAddress(): string {
    return this.ipAt(0);
  }

  contains(ip: string): boolean {
    return this.offset(ip) !== undefined;
  }

  isAllocated(ip: string): boolean {
    const i = this.offset(ip);
    return i !== undefined && this.pool.has(i);
  }

  /** Takes a specific address; throws AllocationError with upstream's text. */
  allocate(ip: string): void {
    const i = this.offset(ip);
    if (i === undefined) {
      throw new AllocationError(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.range}`, "range");
    }
    if (this.pool.has(i)) throw new AllocationError("provided IP is already allocated", "allocated");
    this.pool.take(i);
  }

  allocateNext(): string {
    const i = this.pool.pick();
    if (i === undefined) throw new AllocationError("range is full", "full");
    this.pool.take(i);
    return this.ipAt(i);
  }

  release(ip: string): void {
    const i = this.offset(ip);
    if (i !== undefined) this.pool.release(i);
  }

  get used(): number {
    return this.pool.count;
  }
}
