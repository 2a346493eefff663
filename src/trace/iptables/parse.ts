// Parses iptables-restore text (the subset kube-proxy writes, plus the built-in chains'
// jumps) into rule structures. Pure; errors name the line.
import { compileCIDR } from "../../proxy/ip.js";
import type { Action, Chain, Match, Program, Rule, PacketState } from "../program.js";
import { baseJumpRules } from "../../proxy/iptables/base-rules.js";

export interface ParsedIptables {
  /** table -> chain -> rules (each rule as its argument vector, without "-A CHAIN"). */
  tables: Map<string, Map<string, string[][]>>;
}

export interface ParseError {
  line: number;
  message: string;
}

/** Splits a rule line into words, honouring double quotes like iptables-restore does. */
export function splitWords(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQ = false;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      inQ = !inQ;
      has = true;
    } else if (!inQ && (c === " " || c === "\t")) {
      if (has) out.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

export function parseIptablesRestore(text: string): { parsed?: ParsedIptables; errors: ParseError[] } {
  const tables = new Map<string, Map<string, string[][]>>();
  const errors: ParseError[] = [];
  let table: Map<string, string[][]> | undefined;
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const n = i + 1;
    if (!line || line.startsWith("#")) return;
    if (line.startsWith("*")) {
      const name = line.slice(1);
      table = tables.get(name) ?? new Map();
      tables.set(name, table);
      return;
    }
    if (line === "COMMIT") {
      table = undefined;
      return;
    }
    if (!table) {
      errors.push({ line: n, message: `rule outside a table: ${JSON.stringify(line)}` });
      return;
    }
    if (line.startsWith(":")) {
      const name = line.slice(1).split(/\s+/)[0];
      if (!table.has(name)) table.set(name, []);
      return;
    }
    const w = splitWords(line);
    if (w[0] === "-X") {
      table.delete(w[1]);
      return;
    }
    if ((w[0] === "-A" || w[0] === "-I") && w[1]) {
      let rules = table.get(w[1]);
      if (!rules) table.set(w[1], (rules = []));
      if (w[0] === "-A") rules.push(w.slice(2));
      else rules.unshift(w.slice(2));
      return;
    }
    errors.push({ line: n, message: `unsupported line: ${JSON.stringify(line)}` });
  });
  return errors.length ? { errors } : { parsed: { tables }, errors };
}

function ipMatch(spec: string, neg: boolean, get: (st: PacketState) => string): Match {
  const inSpec = compileCIDR(spec);
  if (!inSpec) throw new Error(`bad address ${JSON.stringify(spec)}`);
  return (st) => (inSpec(get(st)) !== neg ? 1 : 0);
}

function parseMark(s: string): { value: number; mask: number } {
  const [v, m] = s.split("/");
  return { value: Number(v) >>> 0, mask: m === undefined ? 0xffffffff : Number(m) >>> 0 };
}

/** Compiles one rule's words into matches and an action. */
export function compileIptablesRule(words: string[], text: string): Rule {
  const matches: Match[] = [];
  let action: Action = { kind: "none" };
  let neg = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const next = () => {
      const v = words[++i];
      if (v === undefined) throw new Error(`${w} needs a value`);
      return v;
    };
    const negated = neg;
    neg = false;
    switch (w) {
      case "!":
        neg = true;
        break;
      case "-s":
      case "--source":
        matches.push(ipMatch(next(), negated, (st) => st.src));
        break;
      case "-d":
      case "--destination":
        matches.push(ipMatch(next(), negated, (st) => st.dst));
        break;
      case "-p":
      case "--protocol": {
        const p = next();
        matches.push((st) => ((st.proto === p) !== negated ? 1 : 0));
        break;
      }
      case "--dport":
      case "--destination-port": {
        const port = Number(next());
        matches.push((st) => ((st.dport === port) !== negated ? 1 : 0));
        break;
      }
      case "-i":
      case "-o": {
        const want = next();
        const prefix = want.endsWith("+") ? want.slice(0, -1) : undefined;
        matches.push((st) => {
          const have = w === "-i" ? st.inInterface : st.outInterface;
          const hit = have !== undefined && (prefix !== undefined ? have.startsWith(prefix) : have === want);
          return hit !== negated ? 1 : 0;
        });
        break;
      }
      case "-m":
        next(); // module names carry no meaning of their own here
        break;
      case "--comment":
      case "--nfacct-name":
      case "--name":
      case "--mode":
        next();
        break;
      case "--dst-type":
      case "--src-type": {
        const type = next();
        if (type !== "LOCAL") throw new Error(`addrtype ${type} is not supported`);
        const src = w === "--src-type";
        matches.push((st, ctx) => (ctx.isLocal(src ? st.src : st.dst) !== negated ? 1 : 0));
        break;
      }
      case "--probability": {
        const p = Number(next());
        matches.push(() => (negated ? 1 - p : p));
        break;
      }
      case "--rcheck":
        // `-m recent --rcheck`: no client has affinity yet in an offline trace.
        matches.push(() => (negated ? 1 : 0));
        break;
      case "--set":
      case "--reap":
        break;
      case "--seconds":
        next();
        break;
      case "--mark": {
        const { value, mask } = parseMark(next());
        matches.push((st) => ((((st.mark & mask) >>> 0) === ((value & mask) >>> 0)) !== negated ? 1 : 0));
        break;
      }
      case "--ctstate": {
        const states = next().split(",");
        matches.push((st) => {
          const hit = states.includes("NEW") || (st.ctDNAT && states.includes("DNAT"));
          return hit !== negated ? 1 : 0;
        });
        break;
      }
      case "-j":
      case "-g": {
        const target = next();
        if (target === "ACCEPT") action = { kind: "accept" };
        else if (target === "DROP") action = { kind: "drop" };
        else if (target === "REJECT") action = { kind: "reject" };
        else if (target === "RETURN") action = { kind: "return" };
        else if (target === "MASQUERADE") action = { kind: "masquerade" };
        else if (target === "DNAT") action = { kind: "dnat", to: "" };
        else if (target === "MARK") action = { kind: "mark", apply: (m) => m };
        else action = w === "-g" ? { kind: "goto", chain: target } : { kind: "jump", chain: target };
        break;
      }
      case "--to-destination":
        if (action.kind !== "dnat") throw new Error("--to-destination without -j DNAT");
        action = { kind: "dnat", to: next() };
        break;
      case "--or-mark": {
        const v = Number(next()) >>> 0;
        action = { kind: "mark", apply: (m) => (m | v) >>> 0 };
        break;
      }
      case "--xor-mark": {
        const v = Number(next()) >>> 0;
        action = { kind: "mark", apply: (m) => (m ^ v) >>> 0 };
        break;
      }
      case "--set-xmark": {
        const { value, mask } = parseMark(next());
        action = { kind: "mark", apply: (m) => ((m & ~mask) ^ value) >>> 0 };
        break;
      }
      case "--random-fully":
      case "--random":
        break;
      default:
        throw new Error(`unsupported option ${JSON.stringify(w)}`);
    }
  }
  return { text, matches, action };
}

const quote = (w: string) => (/[\s"]/.test(w) || w === "" ? `"${w}"` : w);

/** Builds the evaluator's program: kube-proxy's chains plus the built-in chains' jumps. */
export function iptablesProgram(parsed: ParsedIptables): Program {
  const chains = new Map<string, Chain>();
  const key = (table: string, chain: string) => `${table}/${chain}`;
  for (const [tname, t] of parsed.tables) {
    for (const [cname, rules] of t) {
      chains.set(key(tname, cname), {
        name: key(tname, cname),
        rules: rules.map((words) => {
          const text = `${tname}: -A ${cname} ${words.map(quote).join(" ")}`.trimEnd();
          const r = compileIptablesRule(words, text);
          // Jumps stay inside the table.
          if (r.action.kind === "jump" || r.action.kind === "goto") r.action = { ...r.action, chain: key(tname, r.action.chain) };
          return r;
        }),
      });
    }
  }
  // The built-in chains hold only kube-proxy's jumps, prepended (-I) in list order.
  for (const j of baseJumpRules()) {
    const k = key(j.table, j.chain);
    let c = chains.get(k);
    if (!c) chains.set(k, (c = { name: k, rules: [] }));
    if (!chains.has(key(j.table, j.target))) continue; // a chain this restore input lacks
    const r = compileIptablesRule(j.args, `${j.table}: -A ${j.chain} ${j.args.map(quote).join(" ")}`);
    if (r.action.kind === "jump") r.action = { kind: "jump", chain: key(j.table, j.target) };
    c.rules.unshift(r);
  }
  for (const [t, c] of [["nat", "PREROUTING"], ["nat", "OUTPUT"], ["nat", "POSTROUTING"], ["filter", "INPUT"], ["filter", "FORWARD"], ["filter", "OUTPUT"]]) {
    if (!chains.has(key(t, c))) chains.set(key(t, c), { name: key(t, c), rules: [] });
  }
  return {
    mode: "iptables",
    chains,
    hooks: {
      prerouting: [{ chain: "nat/PREROUTING", type: "nat", priority: -100 }],
      input: [{ chain: "filter/INPUT", type: "filter", priority: 0 }],
      forward: [{ chain: "filter/FORWARD", type: "filter", priority: 0 }],
      output: [
        { chain: "nat/OUTPUT", type: "nat", priority: -100 },
        { chain: "filter/OUTPUT", type: "filter", priority: 0 },
      ],
      postrouting: [{ chain: "nat/POSTROUTING", type: "nat", priority: 100 }],
    },
  };
}
