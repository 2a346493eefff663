// Small IPv4 arithmetic for the address plan (pure).

export function ipToInt(ip: string): number {
  const p = ip.split(".");
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) throw new Error(`invalid IPv4 address "${ip}"`);
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

export function intToIp(v: number): string {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}

export interface Cidr {
  base: number;
  bits: number;
}

export function parseCidr(s: string): Cidr {
  const [ip, len] = s.split("/");
  const bits = Number(len);
  if (len === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`invalid CIDR "${s}"`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipToInt(ip) & mask) >>> 0, bits };
}

export function cidrString(c: Cidr): string {
  return `${intToIp(c.base)}/${c.bits}`;
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const mask = c.bits === 0 ? 0 : (0xffffffff << (32 - c.bits)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === c.base;
}

/** The n-th address of a CIDR (0 = the network address). */
export function nthAddress(c: Cidr, n: number): string {
  return intToIp((c.base + n) >>> 0);
}

/** The index-th subnet of size `bits` inside c (10.244.0.0/16, 24, 3 -> 10.244.3.0/24). */
export function nthSubnet(c: Cidr, bits: number, index: number): Cidr {
  return { base: (c.base + index * 2 ** (32 - bits)) >>> 0, bits };
}
