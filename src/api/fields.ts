// Field selectors as upstream's apimachinery `fields` package parses them
// (`metadata.name=x,status.phase!=Running`), matched against any object by dotted path.
// Which field labels a kind supports follows the API server's per-kind field label
// conversion functions; others are refused with upstream's message.
import type { KubeObject } from "./types.js";

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}
export type FieldSelector = FieldRequirement[];

export class FieldSelectorError extends Error {
  override name = "FieldSelectorError";
}

// Split on commas that are not escaped with a backslash.
function splitTerms(s: string): string[] {
  if (s === "") return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    if (escaped) escaped = false;
    else if (s[i] === "\\") escaped = true;
    else if (s[i] === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

// The first operator in a term (`!=` and `==` tried before `=`); the left side has no escaping.
function splitTerm(term: string): [string, "=" | "==" | "!=", string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ["!=", "==", "="] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

// Upstream's UnescapeValue; its errors print the bad sequence, and an unescaped rune as its
// code point (Go's %v of a rune).
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === "\\" || c === "," || c === "=") out += c;
      else throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
    } else if (c === "\\") {
      inSlash = true;
    } else if (c === "," || c === "=") {
      throw new FieldSelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new FieldSelectorError("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Parses `a=b,c!=d` (throws FieldSelectorError with upstream's messages). Sorted as upstream sorts terms. */
export function parseFieldSelector(selector: string): FieldSelector {
  const out: FieldSelector = [];
  for (const part of splitTerms(selector).sort()) {
    if (part === "") continue;
    const t = splitTerm(part);
    if (!t) throw new FieldSelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [lhs, op, rhs] = t;
    out.push({ field: lhs, operator: op === "!=" ? "!=" : "=", value: unescapeValue(rhs) });
  }
  return out;
}

const COMMON = ["metadata.name", "metadata.namespace"];

/** The field labels each kind accepts in a field selector, as the API server registers them. */
export const FIELD_LABELS: Record<string, string[]> = {
  Pod: [
    ...COMMON,
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
  ],
  Secret: [...COMMON, "type"],
  Event: [
    ...COMMON,
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
  Namespace: [...COMMON, "status.phase"],
  Node: [...COMMON, "spec.unschedulable"],
  Service: [...COMMON, "spec.clusterIP", "spec.type"],
  ReplicaSet: [...COMMON, "status.replicas"],
};

export function fieldLabelsFor(kind: string): string[] {
  return FIELD_LABELS[kind] ?? COMMON;
}

/** `field label not supported: x` for the first unsupported field, else undefined. */
export function checkFieldSelector(kind: string, sel: FieldSelector): string | undefined {
  const ok = fieldLabelsFor(kind);
  for (const r of sel) if (!ok.includes(r.field)) return `field label not supported: ${r.field}`;
  return undefined;
}

/** The value of a dotted path as the field selector compares it: a string, "" when absent. */
export function fieldValue(obj: KubeObject, path: string): string {
  // Event `source` is the component name upstream.
  if (obj.kind === "Event" && path === "source") return fieldValue(obj, "source.component");
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) {
    // Unset booleans compare as "false", as upstream's converters print them.
    if (path === "spec.hostNetwork" || path === "spec.unschedulable") return "false";
    if (path === "status.replicas") return "0";
    return "";
  }
  if (typeof cur === "string") return cur;
  if (typeof cur === "number" || typeof cur === "boolean") return String(cur);
  return JSON.stringify(cur);
}

export function matchesFieldSelector(sel: FieldSelector, obj: KubeObject): boolean {
  return sel.every((r) => (fieldValue(obj, r.field) === r.value) === (r.operator === "="));
}

export function fieldSelectorToString(sel: FieldSelector): string {
  const esc = (v: string) => v.replace(/[\\,=]/g, (c) => `\\${c}`);
  return sel.map((r) => `${r.field}${r.operator}${esc(r.value)}`).join(",");
}
