// IPv4 addresses and CIDRs, shared by the allocators, the offline converger, the proxy
// (proxy/ip.ts) and the lab's address plan (lab/ipv4.ts). Pure.

/** "a.b.c.d" -> unsigned 32-bit number, or undefined when it is not a dotted-quad address. */
export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

export function formatIPv4(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The netmask of a prefix length as an unsigned 32-bit number. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export interface Cidr4 {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

/** "a.b.c.d/N" (N in decimal, at most 32) -> its network, or undefined. */
export function parseCidr4(s: string): Cidr4 | undefined {
  const [ip, p, extra] = s.trim().split("/");
  if (extra !== undefined || p === undefined || !/^\d{1,2}$/.test(p)) return undefined;
  const prefix = Number(p);
  const addr = parseIPv4(ip);
  if (addr === undefined || prefix > 32) return undefined;
  return { base: (addr & maskOf(prefix)) >>> 0, prefix };
}

export function cidrSize(c: Cidr4): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContains(c: Cidr4, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.base;
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}
