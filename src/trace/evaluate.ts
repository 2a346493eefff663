// Walks a packet through a node's rules as the kernel would: nat PREROUTING (or OUTPUT for
// locally generated packets), the service chains, DNAT, the routing decision, the filter
// hooks, and nat POSTROUTING. Probabilistic matches (statistic, numgen) branch: every
// possible path is followed with its probability. Pure.
import type { Action, Chain, EvalContext, Hook, PacketState, Program, Proto, Rule } from "./program.js";
import { iptablesProgram, parseIptablesRestore } from "./iptables/parse.js";
import { nftablesProgram, parseNft } from "./nftables/parse.js";
import { inCIDR } from "../proxy/ip.js";

export interface TracePacket {
  src: string;
  dst: string;
  dport: number;
  proto?: Proto;
  /** "pod"/"external": arrives on an interface (PREROUTING); "local": sent by the node (OUTPUT). */
  origin: "pod" | "local" | "external";
  /** The node's own addresses; 127.0.0.0/8 and ::1 are always local. */
  localAddresses?: string[];
  inInterface?: string;
}

export type TraceVerdict = "DNAT" | "ACCEPT" | "DROP" | "REJECT" | "NONE";

export interface TracePath {
  probability: number;
  verdict: TraceVerdict;
  destination?: string;
  masquerade: boolean;
  rules: string[];
}

export interface TraceResult {
  verdict: TraceVerdict;
  /** DNAT targets "ip:port", in the order the rules list them. */
  destinations: string[];
  /** Probability of each destination (same order). */
  probabilities: number[];
  masquerade: boolean;
  /** Every rule that matched on any path, in first-visit order. */
  rules: string[];
  paths: TracePath[];
}

interface Branch {
  st: PacketState;
  p: number;
  rules: string[];
  accepted: boolean;
}

type End = "continue" | "return" | "accept" | "drop" | "reject" | "nat";
interface Outcome {
  b: Branch;
  end: End;
}

const MAX_DEPTH = 64;

function clone(b: Branch, p = b.p): Branch {
  return { st: { ...b.st }, p, rules: [...b.rules], accepted: b.accepted };
}

function runChain(prog: Program, chainName: string, b: Branch, ctx: EvalContext, depth: number): Outcome[] {
  const chain: Chain | undefined = prog.chains.get(chainName);
  if (!chain) throw new Error(`rule jumps to missing chain ${chainName}`);
  if (depth > MAX_DEPTH) throw new Error(`chain nesting deeper than ${MAX_DEPTH} at ${chainName}`);
  return runRules(prog, chain.rules, 0, b, ctx, depth);
}

function runRules(prog: Program, rules: Rule[], start: number, b: Branch, ctx: EvalContext, depth: number): Outcome[] {
  for (let i = start; i < rules.length; i++) {
    const r = rules[i];
    let p = 1;
    for (const m of r.matches) {
      p *= m(b.st, ctx);
      if (p === 0) break;
    }
    if (p === 0) continue;
    if (p < 1) {
      // Branch: this rule matches with probability p, the rest of the chain runs otherwise.
      const yes = clone(b, b.p * p);
      const no = clone(b, b.p * (1 - p));
      return [...applyRule(prog, rules, i, r, yes, ctx, depth), ...runRules(prog, rules, i + 1, no, ctx, depth)];
    }
    return applyRule(prog, rules, i, r, b, ctx, depth);
  }
  return [{ b, end: "continue" }];
}

function applyRule(prog: Program, rules: Rule[], i: number, r: Rule, b: Branch, ctx: EvalContext, depth: number): Outcome[] {
  b.rules.push(r.text);
  return applyAction(prog, rules, i, r.action, b, ctx, depth);
}

function applyAction(prog: Program, rules: Rule[], i: number, a: Action, b: Branch, ctx: EvalContext, depth: number): Outcome[] {
  const rest = () => runRules(prog, rules, i + 1, b, ctx, depth);
  switch (a.kind) {
    case "none":
      return rest();
    case "mark":
      b.st.mark = a.apply(b.st.mark);
      return rest();
    case "accept":
      b.accepted = true;
      return [{ b, end: "accept" }];
    case "drop":
      return [{ b, end: "drop" }];
    case "reject":
      return [{ b, end: "reject" }];
    case "return":
      return [{ b, end: "return" }];
    case "dnat": {
      b.st.dnat = a.to;
      const [ip, port] = splitHostPort(a.to);
      b.st.dst = ip;
      if (port !== undefined) b.st.dport = port;
      b.st.ctDNAT = true;
      return [{ b, end: "nat" }];
    }
    case "masquerade":
      b.st.masquerade = true;
      return [{ b, end: "nat" }];
    case "goto":
      return runChain(prog, a.chain, b, ctx, depth + 1).map((o) => (o.end === "return" ? { ...o, end: "continue" as End } : o));
    case "jump": {
      const out: Outcome[] = [];
      for (const o of runChain(prog, a.chain, b, ctx, depth + 1)) {
        if (o.end === "continue" || o.end === "return") out.push(...runRules(prog, rules, i + 1, o.b, ctx, depth));
        else out.push(o);
      }
      return out;
    }
    case "lookup":
      return applyAction(prog, rules, i, a.resolve(b.st, ctx), b, ctx, depth);
    case "random": {
      const out: Outcome[] = [];
      for (const c of a.choices) out.push(...applyAction(prog, rules, i, c.action, clone(b, b.p * c.p), ctx, depth));
      return out;
    }
  }
}

function splitHostPort(s: string): [string, number | undefined] {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(s);
  if (!m) return [s, undefined];
  // "1.2.3.4:80" or "[fd00::1]:80"; a bare IPv6 would be ambiguous and is not written by us.
  return [m[1], m[2] === undefined ? undefined : Number(m[2])];
}

/** Runs every chain of a hook in priority order; a drop/reject ends the packet. */
function runHook(prog: Program, hook: Hook, branches: Branch[], ctx: EvalContext): { live: Branch[]; dead: Outcome[] } {
  let live = branches;
  const dead: Outcome[] = [];
  for (const hc of prog.hooks[hook]) {
    const next: Branch[] = [];
    for (const b of live) {
      for (const o of runChain(prog, hc.chain, b, ctx, 0)) {
        if (o.end === "drop" || o.end === "reject") dead.push(o);
        else next.push(o.b);
      }
    }
    live = next;
  }
  return { live, dead };
}

export function traceProgram(prog: Program, pkt: TracePacket): TraceResult {
  const locals = pkt.localAddresses ?? [];
  const ctx: EvalContext = { isLocal: (ip) => inCIDR("127.0.0.0/8", ip) || ip === "::1" || locals.includes(ip) };
  const start: Branch = {
    st: { src: pkt.src, dst: pkt.dst, dport: pkt.dport, proto: pkt.proto ?? "tcp", mark: 0, ctDNAT: false, masquerade: false, inInterface: pkt.inInterface },
    p: 1,
    rules: [],
    accepted: false,
  };
  const dead: Outcome[] = [];
  let live: Branch[];
  if (pkt.origin === "local") {
    const r = runHook(prog, "output", [start], ctx);
    dead.push(...r.dead);
    live = r.live;
  } else {
    const pre = runHook(prog, "prerouting", [start], ctx);
    dead.push(...pre.dead);
    const toInput = pre.live.filter((b) => ctx.isLocal(b.st.dst));
    const toForward = pre.live.filter((b) => !ctx.isLocal(b.st.dst));
    const inp = runHook(prog, "input", toInput, ctx);
    const fwd = runHook(prog, "forward", toForward, ctx);
    dead.push(...inp.dead, ...fwd.dead);
    // Packets for the node itself stop at INPUT; forwarded ones continue to POSTROUTING.
    live = [...inp.live.map((b) => ({ ...b, done: true })), ...fwd.live] as Branch[];
  }
  const post = runHook(prog, "postrouting", live.filter((b) => !(b as Branch & { done?: boolean }).done), ctx);
  dead.push(...post.dead);
  let looped = post.live;
  if (pkt.origin === "local") {
    // A node's packet for one of its own addresses comes back in over loopback and meets the
    // INPUT filter chains (health check ports, KUBE-FIREWALL); NAT was settled on the way out.
    const back = post.live.filter((b) => ctx.isLocal(b.st.dst));
    const inp = runHook({ ...prog, hooks: { ...prog.hooks, input: prog.hooks.input.filter((h) => h.type === "filter") } }, "input", back, ctx);
    dead.push(...inp.dead);
    looped = [...post.live.filter((b) => !ctx.isLocal(b.st.dst)), ...inp.live];
  }
  const finished = [...live.filter((b) => (b as Branch & { done?: boolean }).done), ...looped];

  const paths: TracePath[] = [
    ...dead.map((o) => ({ probability: o.b.p, verdict: (o.end === "drop" ? "DROP" : "REJECT") as TraceVerdict, masquerade: o.b.st.masquerade, rules: o.b.rules })),
    ...finished.map((b) => ({
      probability: b.p,
      verdict: (b.st.dnat ? "DNAT" : b.accepted ? "ACCEPT" : "NONE") as TraceVerdict,
      destination: b.st.dnat,
      masquerade: b.st.masquerade,
      rules: b.rules,
    })),
  ];
  return summarize(paths);
}

function summarize(paths: TracePath[]): TraceResult {
  const byVerdict = new Map<TraceVerdict, number>();
  for (const p of paths) byVerdict.set(p.verdict, (byVerdict.get(p.verdict) ?? 0) + p.probability);
  let verdict: TraceVerdict = "NONE";
  let best = -1;
  for (const v of ["DNAT", "DROP", "REJECT", "ACCEPT", "NONE"] as TraceVerdict[]) {
    const p = byVerdict.get(v) ?? 0;
    if (p > best + 1e-12) {
      best = p;
      verdict = v;
    }
  }
  const dests = new Map<string, number>();
  for (const p of paths) if (p.destination) dests.set(p.destination, (dests.get(p.destination) ?? 0) + p.probability);
  const rules: string[] = [];
  const seen = new Set<string>();
  for (const p of paths) for (const r of p.rules) if (!seen.has(r)) seen.add(r), rules.push(r);
  return {
    verdict,
    destinations: [...dests.keys()],
    probabilities: [...dests.values()].map((v) => Math.round(v * 1e9) / 1e9),
    masquerade: paths.some((p) => p.verdict === verdict && p.masquerade),
    rules,
    paths,
  };
}

/** iptables-restore text (or its parsed form) and a packet -> the verdict and its path. */
export function traceIptables(rules: string | ReturnType<typeof iptablesProgram>, packet: TracePacket): TraceResult {
  if (typeof rules !== "string") return traceProgram(rules, packet);
  const r = parseIptablesRestore(rules);
  if (!r.parsed) throw new Error(r.errors.map((e) => `line ${e.line}: ${e.message}`).join("; "));
  return traceProgram(iptablesProgram(r.parsed), packet);
}

/** `nft -f` text (one or more transactions, applied in order) and a packet. */
export function traceNftables(rules: string | string[] | ReturnType<typeof nftablesProgram>, packet: TracePacket): TraceResult {
  if (typeof rules !== "string" && !Array.isArray(rules)) return traceProgram(rules, packet);
  const texts = Array.isArray(rules) ? rules : [rules];
  return traceProgram(nftablesProgram(parseNft(texts)), packet);
}
