// IPv4 arithmetic for the allocators (node podCIDRs, pod IPs, the LoadBalancer pool).
import { formatIPv4, maskOf, parseCidr4, parseIPv4, type Cidr4 } from "../cluster/ipv4.js";

export { formatIPv4, maskOf, parseCidr4, parseIPv4, type Cidr4 };

export function cidrSize(c: Cidr4): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContains(c: Cidr4, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.base;
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}
