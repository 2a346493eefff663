// IPv6 primitives shared by DNS (reverse names, map keys) and the proxy (CIDRs in rules).
// Parsing and validation stay with node:net; these only change the form of valid addresses.

/** A valid IPv6 address as 32 lower-case hex nibbles (a zone and a dotted IPv4 tail allowed). */
export function expandIPv6(ip: string): string {
  let s = ip.toLowerCase();
  const pct = s.indexOf("%");
  if (pct >= 0) s = s.slice(0, pct);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const m = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (m) {
    const v = m.slice(1).map(Number);
    s = s.slice(0, m.index) + ((v[0] << 8) | v[1]).toString(16) + ":" + ((v[2] << 8) | v[3]).toString(16);
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => g.padStart(4, "0")).join("");
}

/**
 * 32 hex nibbles in RFC 5952 form (lower case, the first longest run of two or more zero
 * groups compressed), as Go's net.IP.String() writes IPv6; the WHATWG URL serializer
 * compresses by the same rule.
 */
export function formatIPv6(nibbles: string): string {
  return canonicalIPv6(nibbles.match(/.{4}/g)!.join(":"))!;
}

/** An IPv6 address written in RFC 5952 form (see formatIPv6); undefined when it is none. */
export function canonicalIPv6(ip: string): string | undefined {
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** The first `bits` bits of an address in nibbles; the rest zero. */
export function maskIPv6(nibbles: string, bits: number): string {
  const full = bits >> 2;
  const rest = bits & 3;
  let out = nibbles.slice(0, full);
  if (full < 32) {
    out += rest ? ((parseInt(nibbles[full], 16) & (0xf << (4 - rest))) & 0xf).toString(16) : "0";
    out += "0".repeat(31 - full);
  }
  return out;
}
