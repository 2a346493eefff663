// Random damage to valid objects: decoding, defaulting and validation must report, not throw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadManifestPaths, decodeManifests } from "./decode.js";
import { applyDefaults } from "./defaults.js";
import { validateObject } from "./validation.js";
import type { KubeObject } from "./types.js";

const SEED = fileURLToPath(new URL("../../examples/seed", import.meta.url));

// A small deterministic PRNG so that a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ODD_VALUES: unknown[] = [null, 0, -1, 1.5, 70000, "", "x", "None", true, [], [1, "a", null], {}, { a: 1 }, "10.0.0.1", "/a//b"];

function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function damage(o: KubeObject, r: () => number): KubeObject {
  const copy = structuredClone(o) as unknown as Record<string, unknown>;
  const all = paths(copy).filter((p) => p.length > 0 && p[0] !== "apiVersion" && p[0] !== "kind");
  const p = all[Math.floor(r() * all.length)];
  let cur = copy as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[p[p.length - 1]] = structuredClone(ODD_VALUES[Math.floor(r() * ODD_VALUES.length)]);
  return copy as unknown as KubeObject;
}

test("damaged seed objects never make defaulting or validation throw", async () => {
  const { objects } = await loadManifestPaths([SEED], { validate: false });
  assert.ok(objects.length > 0);
  const r = rng(42);
  for (let i = 0; i < 3000; i++) {
    const o = damage(objects[i % objects.length], r);
    assert.doesNotThrow(() => validateObject(applyDefaults(o)), JSON.stringify(o));
    assert.doesNotThrow(() => validateObject(applyDefaults(o), applyDefaults(objects[i % objects.length])), JSON.stringify(o));
    assert.doesNotThrow(() => decodeManifests(JSON.stringify(o), "fuzz.json"), JSON.stringify(o));
  }
});

test("validateObject reports type errors instead of running the rules on them", () => {
  const errs = validateObject({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: "80" } } as KubeObject);
  assert.deepEqual(errs.map((e) => [e.type, e.field]), [["FieldValueTypeInvalid", "spec.ports"]]);
});
