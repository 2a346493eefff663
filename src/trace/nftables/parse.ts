// Parses the nft -f commands we render (table `ip kube-proxy`: add/flush/delete of chains,
// sets, maps, elements and rules) into table state, applying transactions in order, and
// compiles that state for the evaluator. Pure; unsupported syntax is an error naming it.
import { compileCIDR } from "../../proxy/ip.js";
import type { Action, Chain, Hook, HookChain, Match, PacketState, Program, Rule, EvalContext } from "../program.js";

export interface NftChainState {
  base?: { type: "filter" | "nat"; hook: Hook; priority: number };
  rules: string[];
}

export interface NftState {
  family: string;
  table: string;
  chains: Map<string, NftChainState>;
  /** set/map name -> key -> value ("" for plain sets). */
  sets: Map<string, Map<string, string>>;
}

/** Words, with quoted strings kept whole and braces/commas as their own tokens. */
export function tokenize(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  const flush = () => {
    if (cur) out.push(cur);
    cur = "";
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      flush();
      const j = s.indexOf('"', i + 1);
      if (j < 0) throw new Error(`unterminated string in ${JSON.stringify(s)}`);
      out.push(s.slice(i, j + 1));
      i = j;
    } else if (c === " " || c === "\t") flush();
    else if (c === "{" || c === "}" || c === "," || c === ";") {
      flush();
      out.push(c);
    } else cur += c;
  }
  flush();
  return out;
}

/** Splits "{ a, b }" element text into elements (top-level commas). */
function braceItems(tokens: string[], start: number): { items: string[][]; end: number } {
  if (tokens[start] !== "{") throw new Error(`expected "{" at ${JSON.stringify(tokens.slice(start).join(" "))}`);
  const items: string[][] = [];
  let cur: string[] = [];
  let depth = 0;
  for (let i = start + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === "{") depth++;
    if (t === "}") {
      if (depth === 0) {
        if (cur.length) items.push(cur);
        return { items, end: i };
      }
      depth--;
    }
    if (t === "," && depth === 0) {
      items.push(cur);
      cur = [];
    } else cur.push(t);
  }
  throw new Error("missing }");
}

/** An element's key tokens (up to ":" or "comment"), normalized to "a . b . c", and its value. */
function parseElement(tokens: string[]): { key: string; value: string } {
  const colon = tokens.indexOf(":");
  const keyTokens = (colon < 0 ? tokens : tokens.slice(0, colon)).filter((t) => !t.startsWith('"'));
  const ci = keyTokens.indexOf("comment");
  const key = (ci < 0 ? keyTokens : keyTokens.slice(0, ci)).join(" ");
  return { key, value: colon < 0 ? "" : tokens.slice(colon + 1).join(" ") };
}

const HOOKS: Record<string, Hook> = { prerouting: "prerouting", input: "input", forward: "forward", output: "output", postrouting: "postrouting" };

export function applyNft(state: NftState | undefined, text: string): NftState {
  let st = state ?? { family: "ip", table: "kube-proxy", chains: new Map(), sets: new Map() };
  text.split("\n").forEach((raw, idx) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    try {
      const t = tokenize(line);
      const [verb, obj] = t;
      if (obj === "table") {
        if (verb === "delete") st = { family: t[2], table: t[3], chains: new Map(), sets: new Map() };
        else if (verb === "add" || verb === "create") {
          st.family = t[2];
          st.table = t[3];
        } else throw new Error(`unsupported table command`);
        return;
      }
      const name = t[4];
      if (t[3] !== st.table) throw new Error(`table ${t[2]} ${t[3]} is not ${st.family} ${st.table}`);
      if (obj === "chain") {
        if (verb === "add" || verb === "create") {
          const c = st.chains.get(name) ?? { rules: [] };
          if (t[5] === "{" && t.includes("hook")) {
            const type = t[t.indexOf("type") + 1] as "filter" | "nat";
            const hook = HOOKS[t[t.indexOf("hook") + 1]];
            const pr = t.indexOf("priority");
            const priority = Number(t[pr + 1]);
            if (!hook || Number.isNaN(priority)) throw new Error("bad base chain");
            c.base = { type, hook, priority };
          }
          st.chains.set(name, c);
        } else if (verb === "flush") {
          const c = st.chains.get(name);
          if (!c) throw new Error(`no chain ${name}`);
          c.rules = [];
        } else if (verb === "delete") {
          if (!st.chains.delete(name)) throw new Error(`no chain ${name}`);
        } else throw new Error(`unsupported chain command ${verb}`);
        return;
      }
      if (obj === "set" || obj === "map") {
        if (verb === "add" || verb === "create") {
          if (!st.sets.has(name)) st.sets.set(name, new Map());
        } else if (verb === "flush") st.sets.get(name)?.clear();
        else if (verb === "delete") st.sets.delete(name);
        else throw new Error(`unsupported ${obj} command ${verb}`);
        return;
      }
      if (obj === "element") {
        const set = st.sets.get(name);
        if (!set) throw new Error(`no set ${name}`);
        const { items } = braceItems(t, 5);
        for (const it of items) {
          const e = parseElement(it);
          if (verb === "add") set.set(e.key, e.value);
          else if (verb === "delete") {
            if (!set.delete(e.key)) throw new Error(`no element ${e.key} in ${name}`);
          } else throw new Error(`unsupported element command ${verb}`);
        }
        return;
      }
      if (obj === "rule") {
        const c = st.chains.get(name);
        if (!c) throw new Error(`no chain ${name}`);
        const rule = line.slice(line.indexOf(name) + name.length).trim();
        if (verb === "add") c.rules.push(rule);
        else if (verb === "insert") c.rules.unshift(rule);
        else throw new Error(`unsupported rule command ${verb}`);
        return;
      }
      throw new Error(`unsupported command`);
    } catch (e) {
      throw new Error(`nft line ${idx + 1}: ${(e as Error).message}: ${line.length > 160 ? line.slice(0, 160) + "..." : line}`);
    }
  });
  return st;
}

export function parseNft(texts: string[]): NftState {
  let st: NftState | undefined;
  for (const t of texts) st = applyNft(st, t);
  return st ?? { family: "ip", table: "kube-proxy", chains: new Map(), sets: new Map() };
}

// ---------------------------------------------------------------- rule compilation

type Sel = (st: PacketState, ctx: EvalContext) => string;

function selector(t: string[], i: number): { sel: Sel; next: number; kind: "ip" | "other"; proto?: string } | undefined {
  const a = t[i];
  const b = t[i + 1];
  if ((a === "ip" || a === "ip6") && (b === "saddr" || b === "daddr")) return { sel: (st) => (b === "saddr" ? st.src : st.dst), next: i + 2, kind: "ip" };
  if (a === "meta" && b === "l4proto") return { sel: (st) => st.proto, next: i + 2, kind: "other" };
  if (a === "meta" && b === "mark") return { sel: (st) => String(st.mark), next: i + 2, kind: "other" };
  if (a === "th" && b === "dport") return { sel: (st) => String(st.dport), next: i + 2, kind: "other" };
  if ((a === "tcp" || a === "udp" || a === "sctp") && b === "dport") return { sel: (st) => (st.proto === a ? String(st.dport) : "-"), next: i + 2, kind: "other", proto: a };
  if (a === "fib" && (b === "saddr" || b === "daddr") && t[i + 2] === "type")
    return { sel: (st, ctx) => (ctx.isLocal(b === "saddr" ? st.src : st.dst) ? "local" : "unicast"), next: i + 3, kind: "other" };
  return undefined;
}

/**
 * A selector's test against one written value, compiled with the rule: a CIDR (on an address
 * selector) parsed once and refused when it is none, as the iptables parser does (a bad one
 * matched nothing, so "!=" with it matched every packet); any other value by equality.
 */
function valueTest(kind: "ip" | "other", want: string): (have: string) => boolean {
  if (kind === "ip" && want.includes("/")) {
    const inSpec = compileCIDR(want);
    if (!inSpec) throw new Error(`bad address ${JSON.stringify(want)}`);
    return inSpec;
  }
  return (have) => have === want;
}

function parseVerdict(words: string[]): Action {
  const [v, target] = words;
  if (v === "goto" || v === "jump") return { kind: v, chain: target };
  if (v === "drop") return { kind: "drop" };
  if (v === "accept") return { kind: "accept" };
  if (v === "reject") return { kind: "reject" };
  if (v === "return") return { kind: "return" };
  throw new Error(`unsupported verdict ${JSON.stringify(words.join(" "))}`);
}

/** Largest numgen modulus branched over (kube-proxy's endpoint counts are far below). */
const MAX_NUMGEN_MOD = 65536;

/** nft's operator words after a mark expression ("mark set mark or V", "mark and V == 0"). */
const MARK_OPERATORS = new Map([["or", "|"], ["xor", "^"], ["and", "&"]]);

/** kube-proxy's keyword forms of the mark expressions ("mark", "or", "and", "xor") in the "meta mark", "|", "&", "^" forms. */
function normalizeMark(t: string[]): string[] {
  const out: string[] = [];
  for (const w of t) {
    const prev = out[out.length - 1];
    if (w === "mark" && prev !== "meta") out.push("meta", "mark");
    else if (prev === "mark" && MARK_OPERATORS.has(w)) out.push(MARK_OPERATORS.get(w)!);
    else out.push(w);
  }
  return out;
}

export function compileNftRule(rule: string, chain: string, sets: NftState["sets"]): Rule {
  const t = normalizeMark(tokenize(rule));
  const matches: Match[] = [];
  let action: Action = { kind: "none" };
  const pre: ((st: PacketState) => void)[] = [];
  let i = 0;
  while (i < t.length) {
    const w = t[i];
    if (w === "comment") {
      i += 2;
      continue;
    }
    if (w === "counter") {
      i++;
      continue;
    }
    if (w === "ct" && t[i + 1] === "state") {
      const vals: string[] = [];
      if (t[i + 2] === "{") {
        const r = braceItems(t, i + 2);
        r.items.forEach((x) => vals.push(x.join(" ")));
        i = r.end + 1;
      } else {
        vals.push(...t[i + 2].split(","));
        i += 3;
      }
      matches.push(() => (vals.includes("new") ? 1 : 0));
      continue;
    }
    if (w === "ct" && t[i + 1] === "status") {
      const want = t[i + 2];
      matches.push((st) => (want === "dnat" ? (st.ctDNAT ? 1 : 0) : 0));
      i += 3;
      continue;
    }
    if (w === "numgen") {
      // numgen random mod N (== K | vmap { ... })
      if (t[i + 1] !== "random" || t[i + 2] !== "mod") throw new Error(`unsupported numgen ${t.slice(i, i + 3).join(" ")}`);
      const n = Number(t[i + 3]);
      i += 4;
      if (t[i] === "vmap") {
        const r = braceItems(t, i + 1);
        const choices = r.items.map((it) => {
          const colon = it.indexOf(":");
          return { k: Number(it[0]), action: parseVerdict(it.slice(colon + 1)) };
        });
        action = { kind: "random", choices: [...choices.filter((c) => c.k < n).map((c) => ({ p: 1 / n, action: c.action })), { p: 1 - choices.filter((c) => c.k < n).length / n, action: { kind: "none" } as Action }].filter((c) => c.p > 1e-15) };
        i = r.end + 1;
        continue;
      }
      let neg = false;
      if (t[i] === "==") i++;
      else if (t[i] === "!=") (neg = true), i++;
      const k = Number(t[i++]);
      const p = k >= 0 && k < n ? 1 / n : 0;
      matches.push(() => (neg ? 1 - p : p));
      continue;
    }
    if (w === "meta" && t[i + 1] === "mark" && t[i + 2] === "set") {
      // meta mark set meta mark (| or ^) V
      if (t[i + 3] !== "meta" || t[i + 4] !== "mark") throw new Error("unsupported mark statement");
      const op = t[i + 5];
      const v = Number(t[i + 6]) >>> 0;
      pre.push((st) => {
        st.mark = (op === "|" ? st.mark | v : op === "^" ? st.mark ^ v : v) >>> 0;
      });
      i += 7;
      continue;
    }
    if (w === "meta" && t[i + 1] === "mark" && t[i + 2] === "&") {
      const m = Number(t[i + 3]) >>> 0;
      let j = i + 4;
      let neg = false;
      if (t[j] === "==") j++;
      else if (t[j] === "!=") (neg = true), j++;
      const v = Number(t[j]) >>> 0;
      matches.push((st) => ((((st.mark & m) >>> 0) === v) !== neg ? 1 : 0));
      i = j + 1;
      continue;
    }
    if (w === "update") {
      // update @set { ip saddr }: affinity bookkeeping, no effect on this packet
      const r = braceItems(t, i + 2);
      i = r.end + 1;
      continue;
    }
    if (w === "dnat" && (t[i + 1] === "ip" || t[i + 1] === "ip6")) {
      // dnat ip addr . port to numgen random mod N offset O map @M (nft lists it as "dnat ip to ...")
      const v6 = t[i + 1] === "ip6";
      let j = i + 2;
      if (t[j] === "addr" && t[j + 1] === "." && t[j + 2] === "port") j += 3;
      if (t[j] !== "to" || t[j + 1] !== "numgen" || t[j + 2] !== "random" || t[j + 3] !== "mod") throw new Error(`unsupported dnat at ${JSON.stringify(t.slice(i, i + 8).join(" "))}`);
      const n = Number(t[j + 4]);
      if (!Number.isInteger(n) || n < 1 || n > MAX_NUMGEN_MOD) throw new Error(`bad numgen modulus ${JSON.stringify(t[j + 4])} (1..${MAX_NUMGEN_MOD})`);
      j += 5;
      let offset = 0;
      if (t[j] === "offset") {
        offset = Number(t[j + 1]);
        if (!Number.isInteger(offset) || offset < 0 || offset + n - 1 > 0xffffffff) throw new Error(`bad numgen offset ${JSON.stringify(t[j + 1])}`);
        j += 2;
      }
      if (t[j] !== "map" || !t[j + 1]?.startsWith("@")) throw new Error(`expected "map @NAME" after numgen in dnat`);
      const setName = t[j + 1].slice(1);
      const map = sets.get(setName);
      if (!map) throw new Error(`no map ${setName}`);
      // A key missing from the map ends the rule unmatched in the kernel: no NAT here either.
      const target = (k: number): Action => {
        const v = map.get(String(offset + k))?.split(" ");
        if (!v || v.length !== 3 || v[1] !== ".") return { kind: "none" };
        return { kind: "dnat", to: v6 ? `[${v[0]}]:${v[2]}` : `${v[0]}:${v[2]}` };
      };
      action = { kind: "random", choices: Array.from({ length: n }, (_, k) => ({ p: 1 / n, action: { kind: "lookup", resolve: () => target(k) } as Action })) };
      i = j + 2;
      continue;
    }
    if (w === "dnat" && t[i + 1] === "to") {
      action = { kind: "dnat", to: t[i + 2] };
      i += 3;
      continue;
    }
    if (w === "masquerade") {
      action = { kind: "masquerade" };
      i++;
      if (t[i] === "fully-random" || t[i] === "random" || t[i] === "persistent") i++;
      continue;
    }
    if (["jump", "goto", "drop", "accept", "reject", "return"].includes(w)) {
      action = w === "jump" || w === "goto" ? parseVerdict([w, t[i + 1]]) : parseVerdict([w]);
      i += w === "jump" || w === "goto" ? 2 : 1;
      continue;
    }
    // A (possibly concatenated) selector expression.
    const parts: { sel: Sel; kind: "ip" | "other" }[] = [];
    let s = selector(t, i);
    if (!s) throw new Error(`unsupported expression at ${JSON.stringify(t.slice(i).join(" "))}`);
    let protoReq = s.proto;
    parts.push(s);
    i = s.next;
    while (t[i] === ".") {
      s = selector(t, i + 1);
      if (!s) throw new Error(`unsupported concatenation at ${JSON.stringify(t.slice(i).join(" "))}`);
      protoReq = protoReq ?? s.proto;
      parts.push(s);
      i = s.next;
    }
    const keyOf = (st: PacketState, ctx: EvalContext) => parts.map((p) => p.sel(st, ctx)).join(" . ");
    if (t[i] === "vmap") {
      if (!t[i + 1].startsWith("@")) throw new Error("anonymous vmaps on selectors are not supported");
      const setName = t[i + 1].slice(1);
      const map = sets.get(setName);
      if (!map) throw new Error(`no map ${setName}`);
      action = {
        kind: "lookup",
        resolve: (st, ctx) => {
          const v = map.get(keyOf(st, ctx));
          return v ? parseVerdict(v.split(" ")) : { kind: "none" };
        },
      };
      i += 2;
      continue;
    }
    let neg = false;
    if (t[i] === "==") i++;
    else if (t[i] === "!=") (neg = true), i++;
    const kind = parts[0].kind;
    if (t[i]?.startsWith("@")) {
      const setName = t[i].slice(1);
      const set = sets.get(setName);
      if (!set) throw new Error(`no set ${setName}`);
      matches.push((st, ctx) => (set.has(keyOf(st, ctx)) !== neg ? 1 : 0));
      i++;
    } else if (t[i] === "{") {
      const r = braceItems(t, i);
      const tests = r.items.map((x) => valueTest(kind, x.join(" ")));
      matches.push((st, ctx) => {
        const have = keyOf(st, ctx);
        return tests.some((hit) => hit(have)) !== neg ? 1 : 0;
      });
      i = r.end + 1;
    } else {
      const v = t[i++];
      if (v === undefined) throw new Error("missing value");
      if (protoReq) matches.push((st) => (st.proto === protoReq ? 1 : 0));
      const hit = valueTest(kind, v);
      matches.push((st, ctx) => (hit(keyOf(st, ctx)) !== neg ? 1 : 0));
    }
  }
  if (pre.length) {
    // A state-changing statement followed by an optional verdict: apply, then continue with it.
    const inner = action;
    const fns = pre;
    const text = `${chain}: ${rule}`;
    return {
      text,
      matches,
      action: {
        kind: "lookup",
        resolve: (st) => {
          for (const f of fns) f(st);
          return inner;
        },
      },
    };
  }
  return { text: `${chain}: ${rule}`, matches, action };
}

export function nftablesProgram(state: NftState): Program {
  const chains = new Map<string, Chain>();
  const hooks: Record<Hook, HookChain[]> = { prerouting: [], input: [], forward: [], output: [], postrouting: [] };
  for (const [name, c] of state.chains) {
    chains.set(name, { name, rules: c.rules.map((r) => compileNftRule(r, name, state.sets)) });
    if (c.base) hooks[c.base.hook].push({ chain: name, type: c.base.type, priority: c.base.priority });
  }
  for (const h of Object.values(hooks)) h.sort((a, b) => a.priority - b.priority);
  return { mode: "nftables", chains, hooks };
}
