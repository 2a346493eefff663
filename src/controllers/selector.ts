// Label selector matching as upstream's metav1.LabelSelectorAsSelector evaluates it: every
// matchLabels pair and every matchExpression must hold; an empty selector matches everything.
import type { LabelSelector } from "../api/types.js";

export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return false; // a nil selector selects nothing (upstream labels.Nothing)
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(l[e.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(l[e.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A Service's selector (a plain map): all pairs must match. Callers skip services without one. */
export function mapSelectorMatches(sel: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return Object.entries(sel).every(([k, v]) => l[k] === v);
}
