// Small address helpers shared by the planner, the renderers and the packet evaluator: IPv4
// as 32-bit numbers (the hot paths), IPv6 through node:net where a family-neutral answer is needed.
import { BlockList, isIPv6 as isIP6 } from "node:net";
import { cidrContains, formatCidr4, maskOf, parseIPv4, type Cidr4 } from "../cluster/ipv4.js";
import { expandIPv6, formatIPv6, maskIPv6 } from "../cluster/ipv6.js";

export { parseIPv4 };

/**
 * "a.b.c.d/n" or a bare address (= /32). Host bits are masked off, as iptables does; a
 * zero-padded length ("/025", "/0025") reads as decimal, as kube-proxy's sloppy parser does
 * (cluster/ipv4.ts's parseCidr4 is the strict one).
 */
export function parseCIDR(s: string): Cidr4 | undefined {
  const [addr, len, extra] = s.trim().split("/");
  if (extra !== undefined) return undefined;
  const ip = parseIPv4(addr);
  if (ip === undefined) return undefined;
  const bits = len === undefined ? 32 : /^\d+$/.test(len) ? Number(len) : NaN;
  if (!(bits >= 0 && bits <= 32)) return undefined;
  return { base: (ip & maskOf(bits)) >>> 0, prefix: bits };
}

/** Whether ip is in cidr, for either family (false across families or for bad input). */
export function inCIDR(cidr: string, ip: string): boolean {
  return compileCIDR(cidr)?.(ip) ?? false;
}

/**
 * A CIDR (or a bare address) of either family as a test of addresses, parsed once; undefined
 * when it is no CIDR. IPv6 by node:net's BlockList (the standard parser, dotted-quad tails
 * included); a test answers false for an address of the other family or none.
 */
export function compileCIDR(spec: string): ((ip: string) => boolean) | undefined {
  if (!spec.includes(":")) {
    const c = parseCIDR(spec);
    if (!c) return undefined;
    return (ip) => {
      const a = parseIPv4(ip);
      return a !== undefined && cidrContains(c, a);
    };
  }
  const c = parseCIDR6(spec);
  if (!c) return undefined;
  const list = new BlockList();
  list.addSubnet(c.addr, c.bits, "ipv6");
  return (ip) => isIP6(ip) && list.check(ip, "ipv6");
}

/** "addr/n" or a bare address (= /128), IPv6, zone-less; the length in decimal, leading zeros allowed. */
function parseCIDR6(spec: string): { addr: string; bits: number } | undefined {
  const [addr, len, extra] = spec.trim().split("/");
  if (extra !== undefined || !isIP6(addr) || addr.includes("%")) return undefined;
  const bits = len === undefined ? 128 : /^\d+$/.test(len) ? Number(len) : NaN;
  return bits >= 0 && bits <= 128 ? { addr, bits } : undefined;
}

/**
 * A CIDR of either family as kube-proxy writes it into rules (ParseCIDRSloppy, then
 * IPNet.String()): host bits masked off, IPv6 in RFC 5952 form; undefined when it is not a
 * CIDR (a bare address is none).
 */
export function canonicalCIDR(spec: string): string | undefined {
  const t = spec.trim();
  if (!t.includes("/")) return undefined;
  if (!t.includes(":")) {
    const c = parseCIDR(t);
    return c && formatCidr4(c);
  }
  const c = parseCIDR6(t);
  return c && `${formatIPv6(maskIPv6(expandIPv6(c.addr), c.bits))}/${c.bits}`;
}

export function isIPv4(s: string): boolean {
  return parseIPv4(s) !== undefined;
}
