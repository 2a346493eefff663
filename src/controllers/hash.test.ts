import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson, computeHash, fnv32a, safeEncodeString } from "./hash.js";

const enc = (s: string) => new TextEncoder().encode(s);

test("fnv32a matches the published FNV-1a test vectors", () => {
  const cases: [string, number][] = [
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
  ];
  for (const [s, want] of cases) assert.equal(fnv32a(enc(s)), want, s);
});

test("safeEncodeString maps digits as upstream's alphabet does", () => {
  // '0'..'9' are 48..57; 48 % 27 = 21 -> '4', 54 % 27 = 0 -> 'b'.
  assert.equal(safeEncodeString("0123456789"), "456789bcdf");
});

test("computeHash: stable, key-order independent, changed by template and collision count", () => {
  const t1 = { metadata: { labels: { a: "1", b: "2" } }, spec: { containers: [{ name: "c", image: "x" }] } };
  const t2 = { spec: { containers: [{ image: "x", name: "c" }] }, metadata: { labels: { b: "2", a: "1" } } };
  const h = computeHash(t1);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(computeHash(t2), h);
  assert.notEqual(computeHash({ ...t1, spec: { containers: [{ name: "c", image: "y" }] } }), h);
  assert.notEqual(computeHash(t1, 1), h);
  assert.notEqual(computeHash(t1, 1), computeHash(t1, 2));
  assert.equal(computeHash(t1, 1), computeHash(t2, 1));
});

test("canonicalJson sorts keys and drops undefined", () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
});

test("computeHash ignores what Go cannot tell from absent (null, {} and [])", () => {
  const plain = { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: "c", image: "x" }] } };
  const noisy = { metadata: { creationTimestamp: null, labels: { a: "1" } }, spec: { containers: [{ name: "c", image: "x", resources: {}, env: [] }] } };
  assert.equal(computeHash(noisy), computeHash(plain));
  assert.notEqual(computeHash({ ...plain, spec: { containers: [{ name: "c", image: "x", resources: { limits: { cpu: "1" } } }] } }), computeHash(plain));
});
