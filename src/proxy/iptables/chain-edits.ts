// A partial restore that edits kube-proxy's top-level chains rule by rule instead of
// rewriting them. Upstream's partial sync re-sends KUBE-SERVICES whole (one rule per service
// port: 10,000 rules at 10,000 Services), and iptables-nft then reads back and replaces the
// whole chain: about a second per change. Here only the changed services' rules are
// deleted (`-D`) or inserted (`-I ... 1`); the per-service chains are written as upstream
// writes them. The resulting rules are the same set upstream's sync leaves; only the order of
// service rules inside a top-level chain may differ (upstream's own order there is Go map
// order), and every rule a chain must end with stays last. Pure.

/** Chains holding one or more rules per service port plus, for some, a fixed tail. */
const TOP_LEVEL: Record<string, ReadonlySet<string>> = {
  filter: new Set(["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL"]),
  nat: new Set(["KUBE-SERVICES", "KUBE-NODEPORTS"]),
};
/** Chains whose rules depend only on global settings: a change there is a full sync, never an edit. */
const FIXED: Record<string, ReadonlySet<string>> = {
  filter: new Set(["KUBE-FORWARD", "KUBE-FIREWALL"]),
  nat: new Set(["KUBE-POSTROUTING", "KUBE-MARK-MASQ"]),
};

interface RestoreTable {
  /** Declared chains (":NAME - [0:0]"), in order. */
  chains: string[];
  /** "-A" rules by chain, without the "-A NAME " prefix, in order. */
  rules: Map<string, string[]>;
  /** Other commands ("-X NAME"), in order. */
  other: string[];
}

/** iptables-restore input (as our renderer writes it) -> its tables. */
export function parseRestore(text: string): Map<string, RestoreTable> {
  const tables = new Map<string, RestoreTable>();
  let t: RestoreTable | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) {
      t = { chains: [], rules: new Map(), other: [] };
      tables.set(line.slice(1), t);
    } else if (!t || line === "" || line === "COMMIT") continue;
    else if (line.startsWith(":")) t.chains.push(line.slice(1, line.indexOf(" ")));
    else if (line.startsWith("-A ")) {
      const sp = line.indexOf(" ", 3);
      const chain = line.slice(3, sp);
      let l = t.rules.get(chain);
      if (!l) t.rules.set(chain, (l = []));
      l.push(line.slice(sp + 1));
    } else t.other.push(line);
  }
  return tables;
}

/** Multiset difference a - b (each rule text counted). */
function minus(a: readonly string[], b: readonly string[]): string[] {
  const count = new Map<string, number>();
  for (const r of b) count.set(r, (count.get(r) ?? 0) + 1);
  const out: string[] = [];
  for (const r of a) {
    const n = count.get(r) ?? 0;
    if (n > 0) count.set(r, n - 1);
    else out.push(r);
  }
  return out;
}

/**
 * The restore input that moves a node from `before` to `after`, where both are full renders of
 * only the changed services (same global settings; `after` also declares and `-X`es the stale
 * chains). Top-level chains get `-D`/`-I` edits; every other chain of `after` is rewritten.
 * Returns "" when nothing changes.
 */
export function chainEditsRestore(before: string, after: string): string {
  const a = parseRestore(before);
  const b = parseRestore(after);
  const out: string[] = [];
  for (const [name, next] of b) {
    const prev = a.get(name) ?? { chains: [], rules: new Map(), other: [] };
    const top = TOP_LEVEL[name] ?? new Set<string>();
    const fixed = FIXED[name] ?? new Set<string>();
    const lines: string[] = [];
    const rewritten = next.chains.filter((c) => !top.has(c) && !fixed.has(c));
    for (const c of rewritten) lines.push(`:${c} - [0:0]`);
    // Deletes first (a rule may jump to a chain deleted below), then inserts. Inserting each
    // chain's new rules at position 1 in reverse keeps their rendered order and leaves the
    // chain's fixed tail (KUBE-SERVICES' jump to KUBE-NODEPORTS) last.
    const inserts: string[] = [];
    for (const c of top) {
      const was = prev.rules.get(c) ?? [];
      const now = next.rules.get(c) ?? [];
      for (const r of minus(was, now)) lines.push(`-D ${c} ${r}`);
      const added = minus(now, was);
      for (let i = added.length - 1; i >= 0; i--) inserts.push(`-I ${c} 1 ${added[i]}`);
    }
    lines.push(...inserts);
    for (const c of rewritten) for (const r of next.rules.get(c) ?? []) lines.push(`-A ${c} ${r}`);
    lines.push(...next.other);
    if (lines.length === 0) continue;
    out.push(`*${name}`, ...lines, "COMMIT");
  }
  return out.length ? out.join("\n") + "\n" : "";
}
