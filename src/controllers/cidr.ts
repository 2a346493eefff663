// IPv4 arithmetic for the allocators (node podCIDRs, pod IPs, the LoadBalancer pool).
import { formatIPv4, maskOf, parseIPv4 } from "../cluster/ipv4.js";

export { formatIPv4, maskOf, parseIPv4 };

export interface Cidr4 {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

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
