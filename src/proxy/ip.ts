// Small IPv4 helpers shared by the planner, the renderers and the packet evaluator.

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

export interface CIDR {
  base: number;
  bits: number;
}

/** "a.b.c.d/n" or a bare address (= /32). Host bits are masked off, as iptables does. */
export function parseCIDR(s: string): CIDR | undefined {
  const [addr, len, extra] = s.trim().split("/");
  if (extra !== undefined) return undefined;
  const ip = parseIPv4(addr);
  if (ip === undefined) return undefined;
  const bits = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (!(bits >= 0 && bits <= 32)) return undefined;
  return { base: (ip & mask(bits)) >>> 0, bits };
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export function cidrContains(c: CIDR, ip: number): boolean {
  return ((ip & mask(c.bits)) >>> 0) === c.base;
}

export function inCIDR(cidr: string, ip: string): boolean {
  const c = parseCIDR(cidr);
  const a = parseIPv4(ip);
  return c !== undefined && a !== undefined && cidrContains(c, a);
}

export function isIPv4(s: string): boolean {
  return parseIPv4(s) !== undefined;
}

export function isIPv6(s: string): boolean {
  return s.includes(":") && /^[0-9a-fA-F:.]+$/.test(s);
}

export function formatCIDR(c: CIDR): string {
  const v = c.base;
  return `${[(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".")}/${c.bits}`;
}
