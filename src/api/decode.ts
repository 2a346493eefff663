// Decoding manifests: multi-document YAML or JSON text, files, directories and stdin, into
// API objects. Every failure becomes a ManifestError naming the source, the 1-based document
// and the field; nothing here throws on bad input. Older Ingress versions are converted to
// v1, and every object is defaulted and validated (on a copy) so that invalid specs are
// reported with their document. Objects with errors are left out of `objects`.
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "./types.js";
import { apiVersionOf, resourceForKind } from "./resources.js";
import { convertToServedVersion, isConvertedVersion } from "./conversion.js";
import { typeErrors } from "./schema.js";
import { applyDefaults } from "./defaults.js";
import { validateObject } from "./validation.js";
import { formatErrorBody } from "./field-errors.js";

export interface ManifestError {
  source: string;
  /** 1-based document number in the source; 0 when the error is about the source itself. */
  document: number;
  field?: string;
  message: string;
}

export interface DecodeResult {
  objects: KubeObject[];
  errors: ManifestError[];
}

export interface DecodeOptions {
  /** Default and validate each object (default true). */
  validate?: boolean;
}

/** `src (document 2): spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive` */
export function formatManifestError(e: ManifestError): string {
  const where = e.document > 0 ? `${e.source} (document ${e.document})` : e.source;
  return e.field ? `${where}: ${e.field}: ${e.message}` : `${where}: ${e.message}`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return typeof v === "boolean" ? "bool" : typeof v;
}

/** Decodes one parsed document (or one item of a List) into an object or errors. */
function decodeValue(value: unknown, source: string, document: number, prefix: string, opts: DecodeOptions, out: DecodeResult): void {
  const err = (field: string | undefined, message: string): void => {
    out.errors.push({ source, document, field: field === undefined ? (prefix ? prefix.replace(/\.$/, "") : undefined) : prefix + field, message });
  };
  if (!isObj(value)) {
    err(undefined, `expected an object with apiVersion and kind, got ${jsonType(value)}`);
    return;
  }
  const { apiVersion, kind } = value;
  if (typeof kind === "string" && kind.endsWith("List") && Array.isArray(value.items)) {
    // Items of a typed list (`ServiceList` from the API) carry no apiVersion/kind of their own.
    const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
    value.items.forEach((item, i) => {
      const filled = itemKind && isObj(item) && item.kind === undefined && item.apiVersion === undefined ? { apiVersion, kind: itemKind, ...item } : item;
      decodeValue(filled, source, document, `${prefix}items[${i}].`, opts, out);
    });
    return;
  }
  const missing: string[] = [];
  if (apiVersion === undefined || apiVersion === "") missing.push("apiVersion not set");
  if (kind === undefined || kind === "") missing.push("kind not set");
  if (missing.length) {
    err(undefined, `error validating data: [${missing.join(", ")}]`);
    return;
  }
  if (typeof apiVersion !== "string") return err("apiVersion", `json: cannot unmarshal ${jsonType(apiVersion)} into Go struct field TypeMeta.apiVersion of type string`);
  if (typeof kind !== "string") return err("kind", `json: cannot unmarshal ${jsonType(kind)} into Go struct field TypeMeta.kind of type string`);
  const rt = resourceForKind(kind);
  const served = rt !== undefined && apiVersionOf(rt) === apiVersion;
  if (!served && !isConvertedVersion(apiVersion, kind)) {
    err(undefined, `no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(apiVersion)}`);
    return;
  }
  const types = typeErrors(value, apiVersion, kind);
  if (types.length) {
    for (const t of types) err(t.field, t.message);
    return;
  }
  if (value.metadata === undefined || value.metadata === null) value.metadata = {};
  const obj = convertToServedVersion(value as KubeObject);
  if (opts.validate !== false) {
    const errs = validateObject(applyDefaults(obj));
    if (errs.length) {
      for (const e of errs) err(e.field, formatErrorBody(e));
      return;
    }
  }
  out.objects.push(obj);
}

/**
 * Splits a stream of concatenated JSON values (`{...}{...}`, as kubectl accepts) into their
 * texts; undefined when the text is not such a stream of two or more values.
 */
function splitJSONStream(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith("{")) return undefined;
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) parts.push(t.slice(start, i + 1));
      if (depth < 0) return undefined;
    } else if (depth === 0 && !/\s/.test(c)) {
      return undefined;
    }
  }
  if (depth !== 0 || parts.length < 2) return undefined;
  try {
    parts.forEach((p) => JSON.parse(p));
  } catch {
    return undefined;
  }
  return parts;
}

/** Decodes multi-document YAML (or JSON) text. `source` names it in errors. Never throws. */
export function decodeManifests(text: string, source: string, opts: DecodeOptions = {}): DecodeResult {
  const out: DecodeResult = { objects: [], errors: [] };
  const jsonStream = splitJSONStream(text);
  if (jsonStream) {
    jsonStream.forEach((part, i) => decodeValue(JSON.parse(part), source, i + 1, "", opts, out));
    return out;
  }
  let docs;
  try {
    // YAML 1.2 core schema plus merge keys (`<<: *anchor`), which kubectl's YAML reader also accepts.
    docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, merge: true });
  } catch (e) {
    out.errors.push({ source, document: 1, message: `error parsing YAML: ${(e as Error).message}` });
    return out;
  }
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, i) => {
    const document = i + 1;
    if (doc.errors.length) {
      // The first error is the cause; the rest are usually its echoes.
      const e = doc.errors[0];
      const line = e.linePos?.[0]?.line;
      const msg = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      out.errors.push({ source, document, message: `error converting YAML to JSON: yaml: ${line ? `line ${line}: ` : ""}${msg}` });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      out.errors.push({ source, document, message: `error converting YAML to JSON: ${(e as Error).message}` });
      return;
    }
    if (value === null || value === undefined) return; // empty document
    try {
      decodeValue(value, source, document, "", opts, out);
    } catch (e) {
      // A bug of ours must still not crash the caller: report it against the document.
      out.errors.push({ source, document, message: `internal error while decoding: ${(e as Error).message}` });
    }
  });
  return out;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

async function collectFiles(dir: string, out: string[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await collectFiles(p, out);
    else if (MANIFEST_EXT.test(e.name)) out.push(p);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Loads files, directories (recursively: *.yaml, *.yml, *.json, sorted) and "-" (stdin),
 * in the order given. Unreadable paths become errors; nothing throws.
 */
export async function loadManifestPaths(paths: string[], opts: DecodeOptions = {}): Promise<DecodeResult> {
  const out: DecodeResult = { objects: [], errors: [] };
  const add = (r: DecodeResult) => {
    out.objects.push(...r.objects);
    out.errors.push(...r.errors);
  };
  for (const p of paths) {
    if (p === "-") {
      add(decodeManifests(await readStdin(), "STDIN", opts));
      continue;
    }
    let files: string[];
    try {
      const st = await stat(p);
      files = [];
      if (st.isDirectory()) await collectFiles(p, files);
      else files.push(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      out.errors.push({ source: p, document: 0, message: code === "ENOENT" ? `the path "${p}" does not exist` : `cannot read: ${(e as Error).message}` });
      continue;
    }
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(f, "utf8");
      } catch (e) {
        out.errors.push({ source: f, document: 0, message: `cannot read: ${(e as Error).message}` });
        continue;
      }
      add(decodeManifests(text, f, opts));
    }
  }
  return out;
}
