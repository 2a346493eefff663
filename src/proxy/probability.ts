// 1/n printed as Go's fmt.Sprintf("%0.10f", 1.0/float64(n)) prints it: the exact binary value
// of the float64 rounded to 10 decimals, ties to even. (JavaScript's toFixed rounds ties up:
// n=2048 gives 0.0004882813 there, 0.0004882812 in Go.)

const cache: string[] = [];

export function probability(n: number): string {
  let s = cache[n];
  if (s === undefined) cache[n] = s = formatFixed10(1 / n);
  return s;
}

/** Formats a finite non-negative double with exactly 10 decimals, round-half-even. */
export function formatFixed10(x: number): string {
  if (!(x >= 0) || !Number.isFinite(x)) throw new Error(`formatFixed10: unsupported value ${x}`);
  if (x === 0) return "0.0000000000";
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (exp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = exp - 1075;
  }
  // x = mant * 2^e exactly; scale by 10^10 and divide with remainder.
  const scale = 10n ** 10n;
  let q: bigint;
  if (e >= 0) q = mant * scale * (1n << BigInt(e));
  else {
    const den = 1n << BigInt(-e);
    const num = mant * scale;
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  }
  const digits = q.toString().padStart(11, "0");
  return `${digits.slice(0, -10)}.${digits.slice(-10)}`;
}
