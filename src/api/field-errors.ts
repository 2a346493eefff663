// Field errors as upstream's apimachinery field.Error prints them, and the Invalid Status
// that gathers them: `Service "x" is invalid: spec.ports[1].name: Required value`.
import { statusError, type StatusError } from "./status.js";

export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueTypeInvalid"
  | "InternalError";

export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** The offending value, when the message shows one. */
  value?: unknown;
  detail?: string;
  /** Allowed values, for NotSupported. */
  supported?: string[];
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueRequired: "Required value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  FieldValueTypeInvalid: "Invalid value",
  InternalError: "Internal error",
};

export const required = (field: string, detail?: string): FieldError => ({ type: "FieldValueRequired", field, detail });
export const invalid = (field: string, value: unknown, detail?: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });
export const notSupported = (field: string, value: unknown, supported: string[]): FieldError => ({ type: "FieldValueNotSupported", field, value, supported });
export const duplicate = (field: string, value: unknown): FieldError => ({ type: "FieldValueDuplicate", field, value });
export const forbidden = (field: string, detail: string): FieldError => ({ type: "FieldValueForbidden", field, detail });
export const tooLong = (field: string, value: unknown, max: number): FieldError => ({ type: "FieldValueTooLong", field, value, detail: `must have at most ${max} bytes` });
/** Marks a TooMany error whose count is not shown. */
export const OMIT_VALUE: unique symbol = Symbol("omitValue");
export const tooMany = (field: string, actual: number, max: number): FieldError => ({
  type: "FieldValueTooMany",
  field,
  value: actual >= 0 ? actual : OMIT_VALUE,
  detail: max >= 0 ? `must have at most ${max} items` : "has too many items",
});

/** Go's strconv.Quote: printable characters kept, the rest escaped the way Go escapes them. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\v") out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/** A value already rendered the way Go's %#v prints it (e.g. a struct), shown verbatim. */
export class GoValue {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** `map[string]string{"a":"b", "c":"d"}` (sorted keys), or `map[string]string(nil)` for none. */
export function goStringMap(m: Record<string, string> | undefined | null): GoValue {
  if (m === undefined || m === null) return new GoValue("map[string]string(nil)");
  const body = Object.keys(m)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`)
    .join(", ");
  return new GoValue(`map[string]string{${body}}`);
}

/** Go's %#v-ish rendering that upstream messages use for values: strings quoted, numbers bare, `[]string{"a", "b"}`. */
export function formatValue(v: unknown): string {
  if (v instanceof GoValue) return v.text;
  if (typeof v === "string") return goQuote(v);
  if (v === null || v === undefined) return "null";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === "string")) return `[]string{${v.map((x) => goQuote(x as string)).join(", ")}}`;
    if (v.every((x) => typeof x === "number" && Number.isInteger(x))) return `[]int{${v.join(", ")}}`;
  }
  return JSON.stringify(v);
}

/** Error types whose message shows the offending value (upstream ErrorBody). */
const SHOWS_VALUE = new Set<FieldErrorType>(["FieldValueInvalid", "FieldValueNotSupported", "FieldValueDuplicate", "FieldValueTooMany", "FieldValueTypeInvalid"]);

/** The message without the field (upstream ErrorBody), as Status causes carry it. */
export function formatErrorBody(e: FieldError): string {
  let s = TYPE_TEXT[e.type];
  if (SHOWS_VALUE.has(e.type) && e.value !== OMIT_VALUE) s += `: ${formatValue(e.value)}`;
  let detail = e.detail;
  if (e.type === "FieldValueNotSupported" && e.supported && e.supported.length) {
    detail = `supported values: ${e.supported.map((x) => goQuote(x)).join(", ")}`;
  }
  if (detail) s += `: ${detail}`;
  return s;
}

export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${formatErrorBody(e)}`;
}

/** `Service "x" is invalid: a` (several errors are listed as `[a, b]`), the Status message upstream's
 * apiserver sends; kubectl prints it from the causes as `The Service "x" is invalid: ...`. */
export function invalidError(kind: string, name: string, errs: FieldError[], group = ""): StatusError {
  // Identical messages are reported once, as upstream's aggregate does.
  const parts = [...new Set(errs.map(formatFieldError))];
  const body = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  // Upstream qualifies the kind with its group: `Deployment.apps "x" is invalid`.
  const qualified = group ? `${kind}.${group}` : kind;
  return statusError(422, "Invalid", `${qualified} ${goQuote(name)} is invalid: ${body}`, {
    name,
    group: group || undefined,
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: formatErrorBody(e), field: e.field })),
  });
}
