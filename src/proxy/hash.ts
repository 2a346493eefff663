// Chain-name hashing exactly as kube-proxy does it: base32 (RFC 4648, upper case, alphabet
// A-Z2-7) of sha256, truncated. iptables keeps 16 characters (chain names must fit in 28),
// nftables 8 as a prefix that keeps similar names visually apart.
import * as crypto from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const CODES = Array.from(ALPHABET, (ch) => ch.charCodeAt(0));

/** RFC 4648 base32 without padding (callers only ever keep a prefix). */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function sha256Base32(s: string): string {
  return base32(crypto.createHash("sha256").update(s).digest());
}

// SHA-256 (FIPS 180-4) in plain JS for ASCII input, which every chain-name input is:
// for these short strings it costs a fraction of a call into OpenSSL (crypto.hash ~1-2 us,
// x 110,000 names a render at 10,000 services). Non-ASCII input goes to node:crypto.
const PRIMES: number[] = [];
for (let n = 2; PRIMES.length < 64; n++) if (PRIMES.every((p) => n % p !== 0)) PRIMES.push(n);
const frac32 = (x: number) => (x - Math.floor(x)) * 2 ** 32;
/** Round constants: first 32 bits of the fractional parts of the primes' cube roots. */
const K = Int32Array.from(PRIMES, (p) => frac32(Math.cbrt(p)));
/** Initial state: the same from the square roots of the first 8 primes. */
const H0 = Int32Array.from(PRIMES.slice(0, 8), (p) => frac32(Math.sqrt(p)));
const W = new Int32Array(64);
const STATE = new Int32Array(8);

/** sha256 of an ASCII string into STATE; false (STATE untouched) when s has other characters. */
function sha256Ascii(s: string): boolean {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 127) return false;
  let h0 = H0[0], h1 = H0[1], h2 = H0[2], h3 = H0[3], h4 = H0[4], h5 = H0[5], h6 = H0[6], h7 = H0[7];
  // Message, 0x80, zeros, 64-bit big-endian bit length: ceil((n + 9) / 64) blocks.
  const blocks = ((n + 8) >>> 6) + 1;
  for (let b = 0; b < blocks; b++) {
    for (let t = 0, i = b * 64; t < 16; t++, i += 4) {
      let w = 0;
      for (let j = i; j < i + 4; j++) w = (w << 8) | (j < n ? s.charCodeAt(j) : j === n ? 0x80 : 0);
      W[t] = w;
    }
    if (b === blocks - 1) {
      W[14] = n >>> 29;
      W[15] = n << 3;
    }
    for (let t = 16; t < 64; t++) {
      const x = W[t - 15];
      const y = W[t - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
    }
    let a = h0, bb = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + bb) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  STATE[0] = h0;
  STATE[1] = h1;
  STATE[2] = h2;
  STATE[3] = h3;
  STATE[4] = h4;
  STATE[5] = h5;
  STATE[6] = h6;
  STATE[7] = h7;
  return true;
}

/** The first n (<= 16) base32 characters of sha256(s). */
export function sha256Base32Prefix(s: string, n: number): string {
  let x: number, y: number, z: number;
  if (sha256Ascii(s)) {
    x = STATE[0];
    y = STATE[1];
    z = STATE[2] >>> 16;
  } else {
    const d = crypto.createHash("sha256").update(s).digest();
    x = d.readUInt32BE(0);
    y = d.readUInt32BE(4);
    z = d.readUInt16BE(8);
  }
  // 16 characters = 80 bits: two 32-bit words and 16 more bits. One String.fromCharCode
  // call: no intermediate strings (this runs ~100,000 times a render).
  const c = CODES;
  const out = String.fromCharCode(
    c[x >>> 27], c[(x >>> 22) & 31], c[(x >>> 17) & 31], c[(x >>> 12) & 31], c[(x >>> 7) & 31], c[(x >>> 2) & 31], c[((x & 3) << 3) | (y >>> 29)], c[(y >>> 24) & 31],
    c[(y >>> 19) & 31], c[(y >>> 14) & 31], c[(y >>> 9) & 31], c[(y >>> 4) & 31], c[((y & 15) << 1) | (z >>> 15)], c[(z >>> 10) & 31], c[(z >>> 5) & 31], c[z & 31],
  );
  return n === 16 ? out : out.slice(0, n);
}

/** First 16 base32 characters of sha256(s): the suffix of KUBE-SVC-/SEP-/... chains. */
export function iptablesHash(s: string): string {
  return sha256Base32Prefix(s, 16);
}
export function svcChain(spn: string, protocol: string): string {
  return "KUBE-SVC-" + iptablesHash(spn + protocol);
}
export function svlChain(spn: string, protocol: string): string {
  return "KUBE-SVL-" + iptablesHash(spn + protocol);
}
export function extChain(spn: string, protocol: string): string {
  return "KUBE-EXT-" + iptablesHash(spn + protocol);
}
export function fwChain(spn: string, protocol: string): string {
  return "KUBE-FW-" + iptablesHash(spn + protocol);
}
/** endpoint = "ip:port" (IPv6 in brackets). */
export function sepChain(spn: string, protocol: string, endpoint: string): string {
  return "KUBE-SEP-" + iptablesHash(spn + protocol + endpoint);
}

// nftables: chain names may be up to 256 bytes; kube-proxy keeps prefixes <= 16 and
// truncates the base to 240 with "..." (never reached with valid names).
const NFT_BASE_MAX = 256 - 16;

export function nftHashAndTruncate(name: string): string {
  let n = sha256Base32Prefix(name, 8) + "-" + name;
  if (n.length > NFT_BASE_MAX) n = n.slice(0, NFT_BASE_MAX - 3) + "...";
  return n;
}

/** "ns/svc/proto/portName" with the hash prefix, e.g. "ULMVA6XW-ns1/svc1/tcp/p80". */
export function nftServiceBase(namespace: string, name: string, protocol: string, portName: string): string {
  return nftHashAndTruncate(`${namespace}/${name}/${protocol}/${portName}`);
}

/** "ns/svc/proto/portName__ip/port", IPv6 colons as dots. */
export function nftEndpointBase(namespace: string, name: string, protocol: string, portName: string, ip: string, port: number): string {
  return nftHashAndTruncate(`${namespace}/${name}/${protocol}/${portName}__${ip.replaceAll(":", ".")}/${port}`);
}
