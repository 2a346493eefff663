// Small IPv4 arithmetic for the address plan (pure).
import { formatIPv4, maskOf, parseCidr4, parseIPv4 } from "../cluster/ipv4.js";

function ipToInt(ip: string): number {
  const v = parseIPv4(ip);
  if (v === undefined) throw new Error(`invalid IPv4 address "${ip}"`);
  return v;
}

export interface Cidr {
  base: number;
  bits: number;
}

export function parseCidr(s: string): Cidr {
  const c = parseCidr4(s);
  if (!c) throw new Error(`invalid CIDR "${s}"`);
  return { base: c.base, bits: c.prefix };
}

export function cidrString(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.bits}`;
}

export function cidrContains(c: Cidr, ip: string): boolean {
  return ((ipToInt(ip) & maskOf(c.bits)) >>> 0) === c.base;
}

/** The n-th address of a CIDR (0 = the network address). */
export function nthAddress(c: Cidr, n: number): string {
  return formatIPv4((c.base + n) >>> 0);
}

/** The index-th subnet of size `bits` inside c (10.244.0.0/16, 24, 3 -> 10.244.3.0/24). */
export function nthSubnet(c: Cidr, bits: number, index: number): Cidr {
  return { base: (c.base + index * 2 ** (32 - bits)) >>> 0, bits };
}
