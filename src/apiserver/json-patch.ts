// JSON patch (RFC 6902): add, remove, replace, move, copy, test over JSON pointers (pure).
import { statusError } from "../api/status.js";

type Json = unknown;

function unescape(s: string): string {
  return s.replace(/~1/g, "/").replace(/~0/g, "~");
}

function parsePointer(p: unknown): string[] {
  if (typeof p !== "string" || (p !== "" && !p.startsWith("/"))) throw bad(`invalid JSON pointer ${JSON.stringify(p)}`);
  return p === "" ? [] : p.slice(1).split("/").map(unescape);
}

function bad(msg: string) {
  return statusError(422, "Invalid", msg);
}

function container(doc: Json, path: string[]): { parent: Json; key: string } {
  let cur = doc;
  for (const seg of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (cur && typeof cur === "object") cur = (cur as Record<string, Json>)[seg];
    else cur = undefined;
    if (cur === undefined) throw bad(`doc is missing path: "/${path.join("/")}"`);
  }
  return { parent: cur, key: path[path.length - 1] };
}

function get(doc: Json, path: string[]): Json {
  if (path.length === 0) return doc;
  const { parent, key } = container(doc, path);
  const v = Array.isArray(parent) ? parent[Number(key)] : (parent as Record<string, Json>)?.[key];
  if (v === undefined) throw bad(`doc is missing path: "/${path.join("/")}"`);
  return v;
}

function index(arr: Json[], key: string, forAdd: boolean): number {
  if (forAdd && key === "-") return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw bad(`invalid array index ${JSON.stringify(key)}`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) throw bad(`array index ${i} out of bounds`);
  return i;
}

function add(doc: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const { parent, key } = container(doc, path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, true), 0, value);
  else if (parent && typeof parent === "object") (parent as Record<string, Json>)[key] = value;
  else throw bad(`doc is missing path: "/${path.join("/")}"`);
  return doc;
}

function remove(doc: Json, path: string[]): Json {
  const { parent, key } = container(doc, path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, false), 1);
  else if (parent && typeof parent === "object" && key in parent) delete (parent as Record<string, Json>)[key];
  else throw bad(`doc is missing path: "/${path.join("/")}"`);
  return doc;
}

export function jsonPatch(original: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw statusError(400, "BadRequest", "a JSON patch must be an array of operations");
  let doc = structuredClone(original);
  for (const raw of ops) {
    const op = raw as { op?: string; path?: string; from?: string; value?: Json };
    const path = parsePointer(op.path);
    switch (op.op) {
      case "add":
        doc = add(doc, path, structuredClone(op.value));
        break;
      case "remove":
        doc = remove(doc, path);
        break;
      case "replace":
        get(doc, path);
        doc = path.length === 0 ? structuredClone(op.value) : add(remove(doc, path), path, structuredClone(op.value));
        break;
      case "move": {
        const from = parsePointer(op.from);
        const v = get(doc, from);
        doc = add(remove(doc, from), path, v);
        break;
      }
      case "copy":
        doc = add(doc, path, structuredClone(get(doc, parsePointer(op.from))));
        break;
      case "test":
        if (JSON.stringify(get(doc, path)) !== JSON.stringify(op.value)) throw bad(`testing value /${path.join("/")} failed`);
        break;
      default:
        throw statusError(400, "BadRequest", `unexpected JSON patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}
