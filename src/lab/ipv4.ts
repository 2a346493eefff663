// The address plan's CIDR arithmetic on cluster/ipv4.ts's Cidr4 (pure).
import { cidrContains, formatIPv4, parseCidr4, parseIPv4, type Cidr4 } from "../cluster/ipv4.js";

/** parseCidr4, or an error naming the text. */
export function parseCidr(s: string): Cidr4 {
  const c = parseCidr4(s);
  if (!c) throw new Error(`invalid CIDR "${s}"`);
  return c;
}

/** Whether the dotted-quad ip is in c (an error when it is no address). */
export function containsAddress(c: Cidr4, ip: string): boolean {
  const v = parseIPv4(ip);
  if (v === undefined) throw new Error(`invalid IPv4 address "${ip}"`);
  return cidrContains(c, v);
}

/** The n-th address of a CIDR (0 = the network address). */
export function nthAddress(c: Cidr4, n: number): string {
  return formatIPv4((c.base + n) >>> 0);
}

/** The index-th subnet with the given prefix inside c (10.244.0.0/16, 24, 3 -> 10.244.3.0/24). */
export function nthSubnet(c: Cidr4, prefix: number, index: number): Cidr4 {
  return { base: (c.base + index * 2 ** (32 - prefix)) >>> 0, prefix };
}
