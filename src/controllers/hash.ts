// pod-template-hash as upstream's controller.ComputeHash shapes it: FNV-1a 32 over the
// template (plus the collision count as 4 little-endian bytes), the decimal sum then
// "safe-encoded" letter by letter. Upstream feeds FNV a go-spew dump of the Go struct, which
// only Go can reproduce; we feed it canonical JSON (sorted keys), so values differ from a real
// cluster's but have the same form, stability and collision handling.
import { ALPHANUMS } from "./random.js";

export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** JSON with object keys sorted, so equal objects hash equally whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
}

/**
 * Drops what Go's structs cannot tell apart from absent: null, {} and []. Clients such as
 * kubectl send `creationTimestamp: null` or `resources: {}`; upstream compares and hashes the
 * Go structs, where those are the zero value, so we must too.
 */
export function semanticNormalize(v: unknown): unknown {
  if (Array.isArray(v)) {
    const a = v.map(semanticNormalize);
    return a;
  }
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const n = semanticNormalize(x);
    if (n === null || n === undefined) continue;
    if (Array.isArray(n) && n.length === 0) continue;
    if (typeof n === "object" && !Array.isArray(n) && Object.keys(n as object).length === 0) continue;
    out[k] = n;
  }
  return out;
}

/** upstream rand.SafeEncodeString: each character maps to ALPHANUMS[code % 27]. */
export function safeEncodeString(s: string): string {
  let out = "";
  for (const ch of s) out += ALPHANUMS[ch.codePointAt(0)! % ALPHANUMS.length];
  return out;
}

export function computeHash(template: unknown, collisionCount?: number): string {
  const json = new TextEncoder().encode(canonicalJson(semanticNormalize(template)));
  let h = fnv32a(json);
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}
