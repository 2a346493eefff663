// Random name suffixes as upstream's utilrand.String makes them, from an injectable source so
// that offline runs can use a seeded generator and produce identical output for identical input.

/** upstream k8s.io/apimachinery/pkg/util/rand: consonants and digits, no vowels (no words). */
export const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

/** Returns a float in [0, 1). */
export type RandomSource = () => number;

/** mulberry32: tiny, fast, good enough to spread names; seeded so output is reproducible. */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomSuffix(rand: RandomSource, n = 5): string {
  let s = "";
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(rand() * ALPHANUMS.length)];
  return s;
}

/** upstream names.SimpleNameGenerator: the base is cut so the name stays within 63 characters. */
export function generateName(base: string, rand: RandomSource): string {
  const maxBase = 63 - 5;
  return (base.length > maxBase ? base.slice(0, maxBase) : base) + randomSuffix(rand);
}
