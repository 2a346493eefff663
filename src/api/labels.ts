// Label selectors as upstream's apimachinery `labels` package parses, matches and prints
// them: the string syntax (`a=b,c in (x,y),!d`) with its exact error messages, and the
// structured metav1.LabelSelector (matchLabels / matchExpressions).
import type { LabelSelector } from "./types.js";
import { formatFieldError, invalid, notSupported, type FieldError } from "./field-errors.js";
import { isLabelKey, isLabelValue } from "./validation/strings.js";

/** Upstream's selection.Operator values. */
export type SelectorOperator = "in" | "notin" | "=" | "==" | "!=" | "exists" | "!" | "gt" | "lt";

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  /** Sorted and de-duplicated for set operators, as upstream's sets.String does. */
  values: string[];
}

/** A parsed selector: every requirement must match (sorted by key). Empty matches everything. */
export type Selector = Requirement[];

export class SelectorParseError extends Error {
  override name = "SelectorParseError";
}

const BINARY_OPERATORS = ["in", "notin", "=", "==", "!=", "gt", "lt"];
const ALL_OPERATORS = [...BINARY_OPERATORS, "exists", "!"];

// ---------------------------------------------------------------- lexer

const enum Tok {
  Error,
  End,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

const LITERALS: Record<string, Tok> = {
  ")": Tok.ClosedPar,
  ",": Tok.Comma,
  "!": Tok.DoesNotExist,
  "==": Tok.DoubleEquals,
  "=": Tok.Equals,
  ">": Tok.GreaterThan,
  in: Tok.In,
  "<": Tok.LessThan,
  "!=": Tok.NotEquals,
  notin: Tok.NotIn,
  "(": Tok.OpenPar,
};

const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isSpecial = (c: string) => "=!(),><".includes(c);

interface Item {
  tok: Tok;
  lit: string;
}

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isSpace(s[pos])) pos++;
    if (pos >= s.length) {
      items.push({ tok: Tok.End, lit: "" });
      return items;
    }
    if (isSpecial(s[pos])) {
      // Longest run of special characters that still forms an operator.
      let buf = "";
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos])) {
        buf += s[pos];
        const t = LITERALS[buf];
        if (t !== undefined) {
          last = { tok: t, lit: buf };
          pos++;
        } else if (last) {
          break;
        } else {
          pos++;
        }
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = "";
      while (pos < s.length && !isSpecial(s[pos]) && !isSpace(s[pos])) buf += s[pos++];
      const t = LITERALS[buf];
      items.push({ tok: t ?? Tok.Identifier, lit: buf });
    }
  }
}

// ---------------------------------------------------------------- parser

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  // In a value context the words `in` and `notin` are plain identifiers.
  private look(values: boolean): Item {
    const it = this.items[this.pos];
    return values && (it.tok === Tok.In || it.tok === Tok.NotIn) ? { tok: Tok.Identifier, lit: it.lit } : it;
  }
  private take(values: boolean): Item {
    const it = this.look(values);
    this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.look(true);
      if (tok === Tok.Identifier || tok === Tok.DoesNotExist) {
        let r: Requirement;
        try {
          r = this.requirement();
        } catch (e) {
          throw new SelectorParseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const next = this.take(true);
        if (next.tok === Tok.End) return reqs;
        if (next.tok === Tok.Comma) {
          const after = this.look(true);
          if (after.tok !== Tok.Identifier && after.tok !== Tok.DoesNotExist) {
            throw new SelectorParseError(`found '${after.lit}', expected: identifier after ','`);
          }
        } else {
          throw new SelectorParseError(`found '${next.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === Tok.End) {
        return reqs;
      } else {
        throw new SelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private requirement(): Requirement {
    let op: SelectorOperator | undefined;
    let t = this.take(true);
    if (t.tok === Tok.DoesNotExist) {
      op = "!";
      t = this.take(true);
    }
    if (t.tok !== Tok.Identifier) throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isLabelKey(key);
    // Upstream validates with a nil field path, which prints as "<nil>".
    if (keyErrs.length) throw new Error(formatFieldError(invalid("<nil>", key, keyErrs.join("; "))));
    const ahead = this.look(true).tok;
    if (ahead === Tok.End || ahead === Tok.Comma) return newRequirement(key, op ?? "exists", []);
    // `!a=b`: upstream ends the requirement at `!a` and then trips over the `=`.
    if (op === "!") return newRequirement(key, op, []);
    const o = this.take(false);
    const binary: Partial<Record<Tok, SelectorOperator>> = {
      [Tok.In]: "in",
      [Tok.Equals]: "=",
      [Tok.DoubleEquals]: "==",
      [Tok.GreaterThan]: "gt",
      [Tok.LessThan]: "lt",
      [Tok.NotIn]: "notin",
      [Tok.NotEquals]: "!=",
    };
    const bop = binary[o.tok];
    if (!bop) throw new Error(`found '${o.lit}', expected: ${BINARY_OPERATORS.join(", ")}`);
    const values = bop === "in" || bop === "notin" ? this.setValues() : this.exactValue();
    return newRequirement(key, bop, [...new Set(values)].sort());
  }

  private setValues(): string[] {
    const open = this.take(true);
    if (open.tok !== Tok.OpenPar) throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.look(true);
    if (tok === Tok.ClosedPar) {
      this.take(true);
      return [""];
    }
    if (tok !== Tok.Identifier && tok !== Tok.Comma) throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
    const out = this.identifierList();
    if (this.take(true).tok !== Tok.ClosedPar) throw new Error(`found '${lit}', expected: ')'`);
    return out;
  }

  private identifierList(): string[] {
    const s: string[] = [];
    for (;;) {
      const t = this.take(true);
      if (t.tok === Tok.Identifier) {
        s.push(t.lit);
        const n = this.look(true);
        if (n.tok === Tok.Comma) continue;
        if (n.tok === Tok.ClosedPar) return s;
        throw new Error(`found '${n.lit}', expected: ',' or ')'`);
      } else if (t.tok === Tok.Comma) {
        if (s.length === 0) s.push("");
        const n = this.look(true);
        if (n.tok === Tok.ClosedPar) {
          s.push("");
          return s;
        }
        if (n.tok === Tok.Comma) s.push("");
      } else {
        throw new Error(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): string[] {
    const n = this.look(true);
    if (n.tok === Tok.End || n.tok === Tok.Comma) return [""];
    const t = this.take(true);
    if (t.tok === Tok.Identifier) return [t.lit];
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/** Builds a requirement with upstream's NewRequirement checks; throws their aggregate message. */
function newRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement {
  const errs = requirementErrors(key, operator, values, "");
  if (errs.length) throw new Error(aggregate(errs.map(formatFieldError)));
  return { key, operator, values };
}

function aggregate(msgs: string[]): string {
  const uniq = [...new Set(msgs)];
  return uniq.length === 1 ? uniq[0] : `[${uniq.join(", ")}]`;
}

function join(path: string, child: string): string {
  return path ? `${path}.${child}` : child;
}

function requirementErrors(key: string, op: string, vals: string[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const keyErrs = isLabelKey(key);
  if (keyErrs.length) errs.push(invalid(join(path, "key"), key, keyErrs.join("; ")));
  const vp = join(path, "values");
  switch (op) {
    case "in":
    case "notin":
      if (vals.length === 0) errs.push(invalid(vp, vals, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (vals.length !== 1) errs.push(invalid(vp, vals, "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (vals.length !== 0) errs.push(invalid(vp, vals, "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (vals.length !== 1) errs.push(invalid(vp, vals, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (!/^[-+]?[0-9]+$/.test(v)) errs.push(invalid(`${vp}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(notSupported(join(path, "operator"), op, ALL_OPERATORS));
  }
  vals.forEach((v, i) => {
    const ve = isLabelValue(v);
    if (ve.length) errs.push(invalid(`${vp}[${i}][${key}]`, v, ve.join("; ")));
  });
  return errs;
}

/**
 * Parses the selector string syntax of `kubectl -l` and `?labelSelector=`. Throws
 * SelectorParseError with upstream's message, e.g.
 * `unable to parse requirement: <nil>: Invalid value: "a_": name part must consist of ...`.
 */
export function parseLabelSelector(s: string): Selector {
  const reqs = new Parser(lex(s)).parse();
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The same, with the error as data. */
export function tryParseLabelSelector(s: string): { selector: Selector; error?: undefined } | { selector?: undefined; error: string } {
  try {
    return { selector: parseLabelSelector(s) };
  } catch (e) {
    if (e instanceof SelectorParseError) return { error: e.message };
    throw e;
  }
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const val = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "in":
    case "=":
    case "==":
      return has && r.values.includes(val as string);
    case "notin":
    case "!=":
      return !has || !r.values.includes(val as string);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has || r.values.length !== 1) return false;
      if (!/^[-+]?[0-9]+$/.test(val as string) || !/^[-+]?[0-9]+$/.test(r.values[0])) return false;
      const a = BigInt(val as string);
      const b = BigInt(r.values[0]);
      return r.operator === "gt" ? a > b : a < b;
    }
  }
}

/** True when every requirement matches the labels (an empty selector matches everything). */
export function matchesSelector(sel: Selector, labels: Record<string, string> | undefined): boolean {
  const ls = labels ?? {};
  return sel.every((r) => requirementMatches(r, ls));
}

/** Parses and matches in one step (throws SelectorParseError on bad syntax). */
export function matchesSelectorString(selector: string, labels: Record<string, string> | undefined): boolean {
  return matchesSelector(parseLabelSelector(selector), labels);
}

/** Upstream's Requirement.String(). */
export function requirementToString(r: Requirement): string {
  const prefix = r.operator === "!" ? "!" : "";
  if (r.operator === "exists" || r.operator === "!") return prefix + r.key;
  const opText: Record<string, string> = { "=": "=", "==": "==", "!=": "!=", in: " in ", notin: " notin ", gt: ">", lt: "<" };
  const vals = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(",");
  const set = r.operator === "in" || r.operator === "notin";
  return `${r.key}${opText[r.operator]}${set ? "(" : ""}${vals}${set ? ")" : ""}`;
}

export function selectorToString(sel: Selector): string {
  return sel.map(requirementToString).join(",");
}

/** A selector matching exactly the given set (upstream SelectorFromSet): `a=b,c=d`, sorted by key. */
export function selectorFromSet(set: Record<string, string> | undefined): Selector {
  return Object.keys(set ?? {})
    .sort()
    .map((k) => ({ key: k, operator: "=" as const, values: [set![k]] }));
}

/**
 * Converts a metav1.LabelSelector into requirements as upstream's LabelSelectorAsSelector does.
 * `null`/undefined selects nothing (returns null); `{}` selects everything.
 * Throws an Error with upstream's message for invalid operators, keys or values.
 */
export function labelSelectorAsSelector(ls: LabelSelector | null | undefined): Selector | null {
  if (ls === null || ls === undefined) return null;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) {
    reqs.push(newRequirement(k, "=", [v]));
  }
  for (const e of ls.matchExpressions ?? []) {
    const opMap: Record<string, SelectorOperator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" };
    const op = opMap[e.operator as string];
    if (!op) throw new Error(`"${String(e.operator)}" is not a valid label selector operator`);
    const vals = op === "in" || op === "notin" ? [...new Set(e.values ?? [])].sort() : e.values ?? [];
    reqs.push(newRequirement(e.key, op, vals));
  }
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * matchLabels AND matchExpressions against a label map. A missing selector matches nothing;
 * an empty one matches everything (the Deployment/NetworkPolicy semantics). An invalid
 * selector matches nothing.
 */
export function matchesLabelSelector(sel: LabelSelector | null | undefined, labels: Record<string, string> | undefined): boolean {
  let s: Selector | null;
  try {
    s = labelSelectorAsSelector(sel);
  } catch {
    return false;
  }
  return s !== null && matchesSelector(s, labels);
}

/** The string form (`app=web,tier in (a,b)`), as `kubectl get -o wide` shows selectors. */
export function labelSelectorToString(sel: LabelSelector | null | undefined): string {
  if (sel === null || sel === undefined) return "<none>";
  let s: Selector | null;
  try {
    s = labelSelectorAsSelector(sel);
  } catch {
    return "<error>";
  }
  return s && s.length ? selectorToString(s) : "";
}

/** Field errors for a metav1.LabelSelector at `path` (upstream ValidateLabelSelector). */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!sel) return errs;
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const op = e.operator as string;
    const values = e.values ?? [];
    if (op === "In" || op === "NotIn") {
      if (values.length === 0) errs.push({ type: "FieldValueRequired", field: `${p}.values`, detail: "must be specified when `operator` is 'In' or 'NotIn'" });
    } else if (op === "Exists" || op === "DoesNotExist") {
      if (values.length > 0) errs.push({ type: "FieldValueForbidden", field: `${p}.values`, detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
    } else {
      errs.push(invalid(`${p}.operator`, op, "not a valid selector operator"));
    }
    for (const m of isLabelKey(e.key ?? "")) errs.push(invalid(`${p}.key`, e.key ?? "", m));
    values.forEach((v, j) => {
      for (const m of isLabelValue(v)) errs.push(invalid(`${p}.values[${j}]`, v, m));
    });
  });
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    for (const m of isLabelKey(k)) errs.push(invalid(`${path}.matchLabels`, k, m));
    for (const m of isLabelValue(v)) errs.push(invalid(`${path}.matchLabels`, v, m));
  }
  return errs;
}

/**
 * Compiles a metav1.LabelSelector once for matching many label maps (controllers match one
 * selector against every Pod). Same semantics as matchesLabelSelector.
 */
export function labelSelectorMatcher(sel: LabelSelector | null | undefined): (labels: Record<string, string> | undefined) => boolean {
  let s: Selector | null;
  try {
    s = labelSelectorAsSelector(sel);
  } catch {
    return () => false;
  }
  if (s === null) return () => false;
  const compiled = s;
  return (labels) => matchesSelector(compiled, labels);
}
