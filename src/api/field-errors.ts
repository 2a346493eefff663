// Field errors as upstream's apimachinery field.Error prints them, and the Invalid Status
// that gathers them: `The Service "x" is invalid: spec.ports[1].name: Required value`.
import { statusError, type StatusError } from "./status.js";

export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
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
  InternalError: "Internal error",
};

export const required = (field: string, detail?: string): FieldError => ({ type: "FieldValueRequired", field, detail });
export const invalid = (field: string, value: unknown, detail?: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });
export const notSupported = (field: string, value: unknown, supported: string[]): FieldError => ({ type: "FieldValueNotSupported", field, value, supported });
export const duplicate = (field: string, value: unknown): FieldError => ({ type: "FieldValueDuplicate", field, value });
export const forbidden = (field: string, detail: string): FieldError => ({ type: "FieldValueForbidden", field, detail });
export const tooLong = (field: string, value: unknown, max: number): FieldError => ({ type: "FieldValueTooLong", field, value, detail: `may not be more than ${max} bytes` });

/** Go's %#v-ish rendering that upstream messages use for values. */
export function formatValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined) return "null";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

export function formatFieldError(e: FieldError): string {
  let s = `${e.field}: ${TYPE_TEXT[e.type]}`;
  if (e.type === "FieldValueInvalid" || e.type === "FieldValueNotSupported" || e.type === "FieldValueDuplicate" || (e.type === "FieldValueTooLong" && e.value !== undefined)) {
    s += `: ${formatValue(e.value)}`;
  }
  if (e.type === "FieldValueNotSupported" && e.supported) {
    s += `: supported values: ${e.supported.map((x) => JSON.stringify(x)).join(", ")}`;
  } else if (e.detail) {
    s += `: ${e.detail}`;
  }
  return s;
}

/** `The Service "x" is invalid: a, b` (several errors are listed as `[a, b]`, as upstream does). */
export function invalidError(kind: string, name: string, errs: FieldError[], group = ""): StatusError {
  const parts = errs.map(formatFieldError);
  const body = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  return statusError(422, "Invalid", `${kind} "${name}" is invalid: ${body}`.replace(/^/, "The "), {
    name,
    group: group || undefined,
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: formatFieldError(e).slice(e.field.length + 2), field: e.field })),
  });
}
