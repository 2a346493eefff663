// Label and field selector strings -> one store filter, with the API server's 400 errors.
import type { KubeObject } from "../api/types.js";
import { parseLabelSelector, matchesSelector, SelectorParseError } from "../api/labels.js";
import { parseFieldSelector, matchesFieldSelector, checkFieldSelector, FieldSelectorError } from "../api/fields.js";
import { statusError } from "../api/status.js";
import type { ObjectFilter } from "../store/store.js";

/** Undefined when nothing is selected on; throws a 400 BadRequest StatusError for bad syntax. */
export function selectorFilter(kind: string, labelSelector?: string, fieldSelector?: string): ObjectFilter | undefined {
  const filters: ObjectFilter[] = [];
  if (labelSelector) {
    try {
      const sel = parseLabelSelector(labelSelector);
      if (sel.length) filters.push((o) => matchesSelector(sel, o.metadata.labels));
    } catch (e) {
      if (e instanceof SelectorParseError) throw statusError(400, "BadRequest", e.message);
      throw e;
    }
  }
  if (fieldSelector) {
    try {
      const sel = parseFieldSelector(fieldSelector);
      const bad = checkFieldSelector(kind, sel);
      if (bad) throw statusError(400, "BadRequest", bad);
      if (sel.length) filters.push((o) => matchesFieldSelector(sel, o));
    } catch (e) {
      if (e instanceof FieldSelectorError) throw statusError(400, "BadRequest", e.message);
      throw e;
    }
  }
  if (filters.length === 0) return undefined;
  if (filters.length === 1) return filters[0];
  return (o: KubeObject) => filters.every((f) => f(o));
}
