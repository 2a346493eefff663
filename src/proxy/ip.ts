// Small address helpers shared by the planner, the renderers and the packet evaluator: IPv4
// as 32-bit numbers (the hot paths), IPv6 as bigints where a family-neutral answer is needed.
import { formatIPv4, maskOf, parseIPv4 } from "../cluster/ipv4.js";

export { parseIPv4 };

export interface CIDR {
  base: number;
  bits: number;
}

/** "a.b.c.d/n" or a bare address (= /32). Host bits are masked off, as iptables does; a zero-padded length ("/025") reads as decimal, as kube-proxy's sloppy parser does. */
export function parseCIDR(s: string): CIDR | undefined {
  const [addr, len, extra] = s.trim().split("/");
  if (extra !== undefined) return undefined;
  const ip = parseIPv4(addr);
  if (ip === undefined) return undefined;
  const bits = len === undefined ? 32 : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(bits >= 0 && bits <= 32)) return undefined;
  return { base: (ip & maskOf(bits)) >>> 0, bits };
}

export function cidrContains(c: CIDR, ip: number): boolean {
  return ((ip & maskOf(c.bits)) >>> 0) === c.base;
}

/** Whether ip is in cidr, for either family (false across families or for bad input). */
export function inCIDR(cidr: string, ip: string): boolean {
  if (cidr.includes(":")) return inCIDR6(cidr, ip);
  const c = parseCIDR(cidr);
  const a = parseIPv4(ip);
  return c !== undefined && a !== undefined && cidrContains(c, a);
}

/** An IPv6 address (RFC 4291 text forms, with an optional dotted-quad tail) as a 128-bit number. */
export function parseIPv6(s: string): bigint | undefined {
  const text = s.trim();
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const parts = h.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let n = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) n = (n << 16n) | BigInt(g);
  return n;
}

function inCIDR6(cidr: string, ip: string): boolean {
  const [addr, len, extra] = cidr.trim().split("/");
  if (extra !== undefined) return false;
  const base = parseIPv6(addr);
  const a = parseIPv6(ip);
  const bits = len === undefined ? 128 : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (base === undefined || a === undefined || !(bits >= 0 && bits <= 128)) return false;
  const shift = BigInt(128 - bits);
  return a >> shift === base >> shift;
}

export function isIPv4(s: string): boolean {
  return parseIPv4(s) !== undefined;
}

export function isIPv6(s: string): boolean {
  return s.includes(":") && /^[0-9a-fA-F:.]+$/.test(s);
}

export function formatCIDR(c: CIDR): string {
  return `${formatIPv4(c.base)}/${c.bits}`;
}
