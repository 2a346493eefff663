// The mode-independent form the evaluator walks: chains of rules whose matches and actions
// are small closures over a packet state. The iptables and nft parsers both compile to this.

export type Proto = "tcp" | "udp" | "sctp";

export interface PacketState {
  src: string;
  dst: string;
  dport: number;
  proto: Proto;
  mark: number;
  /** Set once a DNAT rule rewrote the destination. */
  dnat?: string;
  /** conntrack's view: NEW, plus DNAT after a destination NAT. */
  ctDNAT: boolean;
  masquerade: boolean;
  inInterface?: string;
  outInterface?: string;
}

export interface EvalContext {
  /** Addresses local to the node (addrtype LOCAL / fib type local). */
  isLocal(ip: string): boolean;
}

/** A match: the probability (0..1) that it matches this packet. Most are 0 or 1. */
export type Match = (st: PacketState, ctx: EvalContext) => number;

export type Action =
  | { kind: "none" }
  | { kind: "jump"; chain: string }
  | { kind: "goto"; chain: string }
  | { kind: "return" }
  | { kind: "accept" }
  | { kind: "drop" }
  | { kind: "reject" }
  | { kind: "dnat"; to: string }
  | { kind: "masquerade" }
  | { kind: "mark"; apply: (mark: number) => number }
  /** A verdict map lookup: the key picks the action (or none when absent). */
  | { kind: "lookup"; resolve: (st: PacketState, ctx: EvalContext) => Action }
  /** Random choice among actions with probabilities summing to 1. */
  | { kind: "random"; choices: { p: number; action: Action }[] };

export interface Rule {
  /** Human text for the hop list, e.g. "nat KUBE-SERVICES: -A KUBE-SERVICES ...". */
  text: string;
  matches: Match[];
  /** Statements before the verdict that change state (nft "meta mark set ..."), or none. */
  action: Action;
}

export interface Chain {
  name: string;
  rules: Rule[];
}

export type Hook = "prerouting" | "input" | "forward" | "output" | "postrouting";

export interface HookChain {
  chain: string;
  /** "nat" hooks stop at the first NAT verdict; for trace output only. */
  type: "filter" | "nat";
  priority: number;
}

export interface Program {
  mode: "iptables" | "nftables";
  chains: Map<string, Chain>;
  hooks: Record<Hook, HookChain[]>;
}
