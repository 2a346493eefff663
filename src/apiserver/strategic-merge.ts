// Strategic merge patch, the subset kubectl apply and kubectl patch produce (pure): JSON
// merge patch semantics for maps, plus merging of the lists upstream marks with a
// patchMergeKey (containers by name, container ports by containerPort, Service ports by
// port, env by name, ...) and the directives `$patch` (replace/delete),
// `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>` and `$retainKeys`.
// Lists without a merge key are replaced, as upstream does for atomic lists.

type Json = unknown;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

const CONTAINER_LISTS = new Set(["containers", "initContainers", "ephemeralContainers"]);

/** The patchMergeKey of the list at `path` (field names only), or undefined for atomic lists. */
export function mergeKeyFor(kind: string, path: string[]): string | undefined {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (CONTAINER_LISTS.has(last)) return "name";
  if (last === "ports") {
    if (parent && CONTAINER_LISTS.has(parent)) return "containerPort";
    if (kind === "Service" && path.length === 2 && path[0] === "spec") return "port";
    return undefined;
  }
  if (parent && CONTAINER_LISTS.has(parent)) {
    if (last === "env") return "name";
    if (last === "volumeMounts") return "mountPath";
    if (last === "volumeDevices") return "devicePath";
    if (last === "resizePolicy") return "resourceName";
  }
  switch (last) {
    case "volumes":
    case "imagePullSecrets":
    case "resourceClaims":
      return "name";
    case "hostAliases":
      return "ip";
    case "conditions":
      return "type";
    case "ownerReferences":
      return "uid";
    case "topologySpreadConstraints":
      return "topologyKey";
    default:
      return undefined;
  }
}

/** Primitive lists upstream merges instead of replacing. */
const MERGED_PRIMITIVE_LISTS = new Set(["finalizers"]);

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((x) => !(isObj(x) && x.$patch !== undefined && Object.keys(x).length === 1)).map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith("$")) out[k] = stripDirectives(x);
  return out;
}

function mergeList(kind: string, path: string[], orig: Json[], patch: Json[], key: string): Json[] {
  if (patch.some((p) => isObj(p) && p.$patch === "replace")) return patch.filter((p) => !(isObj(p) && p.$patch === "replace")).map(stripDirectives);
  const out = orig.map((x) => structuredClone(x));
  for (const p of patch) {
    if (!isObj(p)) {
      if (!out.includes(p)) out.push(p);
      continue;
    }
    const i = out.findIndex((o) => isObj(o) && o[key] === p[key]);
    if (p.$patch === "delete") {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = mergeMap(kind, path, out[i], p) ?? out[i];
    else out.push(stripDirectives(p));
  }
  return out;
}

function order(list: Json[], wanted: Json[], key: string | undefined): Json[] {
  const id = (x: Json) => (key && isObj(x) ? x[key] : x);
  const pos = new Map(wanted.map((w, i) => [id(w), i]));
  return list
    .map((x, i) => ({ x, i, p: pos.has(id(x)) ? pos.get(id(x))! : Infinity }))
    .sort((a, b) => (a.p === b.p ? a.i - b.i : a.p - b.p))
    .map((e) => e.x);
}

function mergeMap(kind: string, path: string[], original: Json, patch: Obj): Json | undefined {
  if (patch.$patch === "delete") return undefined;
  if (patch.$patch === "replace") return stripDirectives(patch);
  let out: Obj = isObj(original) ? { ...original } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$")) continue;
    const p = [...path, k];
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const key = mergeKeyFor(kind, p);
      if (key && (Array.isArray(out[k]) || out[k] === undefined)) out[k] = mergeList(kind, p, (out[k] as Json[]) ?? [], v, key);
      else if (MERGED_PRIMITIVE_LISTS.has(k) && Array.isArray(out[k])) out[k] = [...new Set([...(out[k] as Json[]), ...v])];
      else out[k] = stripDirectives(v);
    } else if (isObj(v)) {
      const m = mergeMap(kind, p, out[k], v);
      if (m === undefined) delete out[k];
      else out[k] = m;
    } else {
      out[k] = v;
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$deleteFromPrimitiveList/") && Array.isArray(v)) {
      const f = k.slice("$deleteFromPrimitiveList/".length);
      if (Array.isArray(out[f])) out[f] = (out[f] as Json[]).filter((x) => !v.includes(x));
    } else if (k.startsWith("$setElementOrder/") && Array.isArray(v)) {
      const f = k.slice("$setElementOrder/".length);
      if (Array.isArray(out[f])) out[f] = order(out[f] as Json[], v, mergeKeyFor(kind, [...path, f]));
    }
  }
  return out;
}

/** Applies a strategic merge patch to an object of `kind`. */
export function strategicMergePatch(kind: string, original: Json, patch: Json): Json {
  if (!isObj(patch)) return stripDirectives(patch);
  return mergeMap(kind, [], original, patch) ?? {};
}
