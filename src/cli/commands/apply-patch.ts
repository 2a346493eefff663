// kubectl apply's three-way patch (pure): deletions come from comparing the last applied
// configuration with the new one, changes and additions from comparing the live object with
// the new one. Lists that upstream merges by key (containers by name, Service ports by port,
// ...) are patched item by item; other lists are replaced whole.
import { mergeKeyFor } from "../../apiserver/strategic-merge.js";
import { canonicalJson } from "../../controllers/hash.js";

export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

function keyed(list: unknown[], key: string): Map<string, Obj> {
  const m = new Map<string, Obj>();
  for (const x of list) if (isObj(x) && x[key] !== undefined) m.set(canonicalJson(x[key]), x);
  return m;
}

function deletions(kind: string, path: string[], original: unknown, modified: unknown): Obj | undefined {
  if (!isObj(original) || !isObj(modified)) return undefined;
  const out: Obj = {};
  for (const [k, ov] of Object.entries(original)) {
    if (!(k in modified)) {
      out[k] = null;
      continue;
    }
    const mv = modified[k];
    if (isObj(ov) && isObj(mv)) {
      const d = deletions(kind, [...path, k], ov, mv);
      if (d) out[k] = d;
    } else if (Array.isArray(ov) && Array.isArray(mv)) {
      const mk = mergeKeyFor(kind, [...path, k]);
      if (!mk) continue; // replaced whole by the delta when it differs
      const mods = keyed(mv, mk);
      const items: Obj[] = [];
      for (const [id, item] of keyed(ov, mk)) {
        const m = mods.get(id);
        if (!m) items.push({ $patch: "delete", [mk]: item[mk] });
        else {
          const d = deletions(kind, [...path, k], item, m);
          if (d) items.push({ [mk]: item[mk], ...d });
        }
      }
      if (items.length) out[k] = items;
    }
  }
  return Object.keys(out).length ? out : undefined;
}

function delta(kind: string, path: string[], current: unknown, modified: unknown): Obj | undefined {
  if (!isObj(modified)) return undefined;
  const cur = isObj(current) ? current : {};
  const out: Obj = {};
  for (const [k, mv] of Object.entries(modified)) {
    const cv = cur[k];
    if (!(k in cur)) {
      out[k] = mv;
      continue;
    }
    if (isObj(mv) && isObj(cv)) {
      const d = delta(kind, [...path, k], cv, mv);
      if (d) out[k] = d;
      continue;
    }
    if (Array.isArray(mv) && Array.isArray(cv)) {
      const mk = mergeKeyFor(kind, [...path, k]);
      if (mk && mv.every((x) => isObj(x) && x[mk] !== undefined)) {
        const curs = keyed(cv, mk);
        const items: Obj[] = [];
        for (const item of mv as Obj[]) {
          const c = curs.get(canonicalJson(item[mk]));
          if (!c) items.push(item);
          else {
            const d = delta(kind, [...path, k], c, item);
            if (d) items.push({ [mk]: item[mk], ...d });
          }
        }
        if (items.length) out[k] = items;
        continue;
      }
    }
    if (!same(mv, cv)) out[k] = mv;
  }
  return Object.keys(out).length ? out : undefined;
}

function mergePatches(kind: string, path: string[], a: unknown, b: unknown): unknown {
  if (isObj(a) && isObj(b)) {
    const out: Obj = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergePatches(kind, [...path, k], out[k], v) : v;
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const mk = mergeKeyFor(kind, path);
    if (!mk) return b;
    const out = [...a] as Obj[];
    for (const item of b as Obj[]) {
      const i = out.findIndex((x) => same(x[mk], item[mk]) && x.$patch === undefined && item.$patch === undefined);
      if (i >= 0) out[i] = mergePatches(kind, path, out[i], item) as Obj;
      else out.push(item);
    }
    return out;
  }
  return b;
}

/** The patch (strategic merge form) that takes `current` to what `modified` asks for. */
export function threeWayPatch(kind: string, original: unknown, modified: unknown, current: unknown): Obj {
  const del = deletions(kind, [], original, modified) ?? {};
  const add = delta(kind, [], current, modified) ?? {};
  return mergePatches(kind, [], del, add) as Obj;
}
