// The subset of kubectl's -o jsonpath=TEMPLATE that tutorials use (pure): text with {EXPR}
// parts, EXPR a path of .field, ['field'], [N] (negative from the end) and [*]; several
// results print separated by spaces, objects and arrays as JSON, as kubectl prints them.

type Step = { field: string } | { index: number } | { all: true };

export class JsonPathError extends Error {
  override name = "JsonPathError";
}

function parsePath(expr: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const e = expr.trim();
  if (e === "" || e === "@" || e === "$") return steps;
  const s = e.startsWith("$") ? e.slice(1) : e;
  while (i < s.length) {
    const c = s[i];
    if (c === ".") {
      let j = i + 1;
      while (j < s.length && s[j] !== "." && s[j] !== "[") {
        if (s[j] === "\\") j++;
        j++;
      }
      const name = s.slice(i + 1, j).replace(/\\(.)/g, "$1");
      if (name) steps.push({ field: name });
      i = j;
    } else if (c === "[") {
      const j = s.indexOf("]", i);
      if (j < 0) throw new JsonPathError(`unclosed [ in ${JSON.stringify(expr)}`);
      const inner = s.slice(i + 1, j).trim();
      if (inner === "*") steps.push({ all: true });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ field: inner.slice(1, -1) });
      else throw new JsonPathError(`unsupported jsonpath subscript [${inner}] in ${JSON.stringify(expr)}`);
      i = j + 1;
    } else {
      throw new JsonPathError(`unrecognized character in action: U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} '${c}'`);
    }
  }
  return steps;
}

function walk(values: unknown[], steps: Step[]): unknown[] {
  let cur = values;
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if ("field" in st) {
        if (v && typeof v === "object" && !Array.isArray(v) && st.field in (v as object)) next.push((v as Record<string, unknown>)[st.field]);
      } else if ("index" in st) {
        if (Array.isArray(v)) {
          const k = st.index < 0 ? v.length + st.index : st.index;
          if (k >= 0 && k < v.length) next.push(v[k]);
          else throw new JsonPathError(`array index out of bounds: index ${st.index}, length ${v.length}`);
        }
      } else if (Array.isArray(v)) next.push(...v);
      else if (v && typeof v === "object") next.push(...Object.values(v));
    }
    cur = next;
  }
  return cur;
}

function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Renders `template` (with or without the surrounding braces kubectl also accepts) against `data`. */
export function renderJsonPath(template: string, data: unknown): string {
  let out = "";
  let i = 0;
  const t = template.includes("{") ? template : `{${template}}`;
  while (i < t.length) {
    const open = t.indexOf("{", i);
    if (open < 0) {
      out += t.slice(i);
      break;
    }
    out += t.slice(i, open);
    const close = t.indexOf("}", open);
    if (close < 0) throw new JsonPathError(`unclosed action in ${JSON.stringify(template)}`);
    const expr = t.slice(open + 1, close);
    if (/^\s*(range|end)\b/.test(expr)) throw new JsonPathError("range is not supported; use [*] (for example {.items[*].metadata.name})");
    out += walk([data], parsePath(expr)).map(text).join(" ");
    i = close + 1;
  }
  return out.replace(/\\n/g, "\n").replace(/\\t/g, "\t");
}
