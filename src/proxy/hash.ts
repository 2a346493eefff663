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

// crypto.hash (one-shot, Node >= 20.12) costs ~0.5 us where createHash costs ~2 us; at
// 100,000s of chain names per render that is most of the render time.
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string | Uint8Array, enc: "latin1") => string }).hash;

// Chain names repeat from render to render (full re-renders: CLI, bench, a daemon's full
// sync): remembering them skips the sha256, though a lookup still flattens and hashes its
// freshly built key. Bounded: emptied when full (2^18 names, ~35 MB). The iptables
// renderer names its 100,000s of endpoint chains without this cache (a lookup costs a key
// string and nearly what the hash does, and 100,000s of cached names would stay in the heap
// for every later garbage collection to walk): iptablesHashesWithPrefix, kept per plan
// object instead (objectChainNames).
const CACHE_LIMIT = 1 << 18;
const cache = new Map<string, string>();

/** Chain names remembered per plan object (see objectChainNames). */
let objectCache = new WeakMap<object, unknown>();

/** Forgets remembered chain names (benchmarks measure cold renders with it). */
export function clearChainNameCache(): void {
  cache.clear();
  objectCache = new WeakMap();
}

/**
 * Names a renderer made for a plan object (e.g. a service port's endpoint chains): held
 * weakly, so they go with the plan; the caller checks they still match the object.
 */
export function objectChainNames<T>(owner: object): T | undefined {
  return objectCache.get(owner) as T | undefined;
}

export function rememberObjectChainNames<T>(owner: object, names: T): void {
  objectCache.set(owner, names);
}

/** The first n (<= 16) base32 characters of sha256(s). */
export function sha256Base32Prefix(s: string, n: number): string {
  let out = cache.get(s);
  if (out === undefined) {
    out = base32Prefix16(s);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(s, out);
  }
  return n === 16 ? out : out.slice(0, n);
}

function base32Prefix16(s: string): string {
  return oneShot ? base32OfDigest(oneShot("sha256", s, "latin1")) : sha256Base32(s).slice(0, 16);
}

/** The first 16 base32 characters of a digest given as latin1 (a character per byte). */
function base32OfDigest(d: string): string {
  // 16 characters = 80 bits = the first 10 bytes: two 32-bit words and 16 more bits.
  const x = ((d.charCodeAt(0) << 24) | (d.charCodeAt(1) << 16) | (d.charCodeAt(2) << 8) | d.charCodeAt(3)) >>> 0;
  const y = ((d.charCodeAt(4) << 24) | (d.charCodeAt(5) << 16) | (d.charCodeAt(6) << 8) | d.charCodeAt(7)) >>> 0;
  const z = (d.charCodeAt(8) << 8) | d.charCodeAt(9);
  // One String.fromCharCode call: no intermediate strings.
  const c = CODES;
  return String.fromCharCode(
    c[x >>> 27], c[(x >>> 22) & 31], c[(x >>> 17) & 31], c[(x >>> 12) & 31], c[(x >>> 7) & 31], c[(x >>> 2) & 31], c[((x & 3) << 3) | (y >>> 29)], c[(y >>> 24) & 31],
    c[(y >>> 19) & 31], c[(y >>> 14) & 31], c[(y >>> 9) & 31], c[(y >>> 4) & 31], c[((y & 15) << 1) | (z >>> 15)], c[(z >>> 10) & 31], c[(z >>> 5) & 31], c[z & 31],
  );
}

/** Where names sharing a prefix are put together as bytes (see iptablesHashesWithPrefix). */
const scratch = Buffer.allocUnsafe(1024);
/** scratch's first n bytes, by n: made once each, not per hash. */
const scratchViews: Buffer[] = [];

/** Writes ASCII s into scratch at `at`; the end, or -1 for a non-ASCII or too long s. */
function putAsciiName(s: string, at: number): number {
  if (at < 0 || at + s.length > scratch.length) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return -1;
    scratch[at + i] = c;
  }
  return at + s.length;
}

/**
 * iptablesHash(prefix + suffix), uncached, for each suffix (a service port's endpoint chains,
 * 100,000s per render): hashed as bytes, the prefix written once, so no name string is made
 * and flattened per hash (~25% of the hashing). Non-ASCII or very long names take the string way.
 */
export function iptablesHashesWithPrefix(prefix: string, suffixes: readonly string[]): string[] {
  const out = new Array<string>(suffixes.length);
  const p = oneShot ? putAsciiName(prefix, 0) : -1;
  for (let i = 0; i < suffixes.length; i++) {
    const n = putAsciiName(suffixes[i], p);
    if (n < 0) out[i] = base32Prefix16(prefix + suffixes[i]);
    else out[i] = base32OfDigest(oneShot!("sha256", (scratchViews[n] ??= scratch.subarray(0, n)), "latin1"));
  }
  return out;
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
