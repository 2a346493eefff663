// The `nft -f` input for one node: kube-proxy's nftables table, written as one transaction
// that replaces the table (add + delete + rebuild), so a load is atomic and repeatable.
// Chains are declared before the map elements and rules that reference them. Pure.
import type { ProxyPlan } from "../plan.js";
import { TextBuffer } from "../text-buffer.js";
import { buildNftModel, TABLE, type NftElement, type NftModel, type NftRenderOptions, type NftAffinitySet, type NftSetDecl } from "./model.js";

export function renderNftables(plan: ProxyPlan, opts: NftRenderOptions = {}): string {
  return serializeModel(buildNftModel(plan, opts));
}

export function tableRef(m: Pick<NftModel, "family">): string {
  return `${m.family} ${TABLE}`;
}

export function setDeclLine(t: string, s: NftSetDecl): string {
  return `add ${s.kind} ${t} ${s.name} { type ${s.type} ; comment "${s.comment}" ; }`;
}

export function affinitySetLine(t: string, a: NftAffinitySet): string {
  return `add set ${t} ${a.name} { type ipv4_addr ; flags dynamic,timeout ; timeout ${a.timeoutSeconds}s ; }`;
}

export function elementText(e: NftElement): string {
  let s = e.value === undefined ? e.key : `${e.key} : ${e.value}`;
  if (e.comment) s = e.value === undefined ? `${e.key} comment "${e.comment}"` : `${e.key} comment "${e.comment}" : ${e.value}`;
  return s;
}

/** `add element` / `delete element` lines, grouped by set, a few hundred elements per line. */
export function elementLines(verb: "add" | "delete", t: string, elements: NftElement[]): string[] {
  const bySet = new Map<string, NftElement[]>();
  for (const e of elements) {
    let l = bySet.get(e.set);
    if (!l) bySet.set(e.set, (l = []));
    l.push(e);
  }
  const out: string[] = [];
  for (const [set, els] of bySet) {
    for (let i = 0; i < els.length; i += 500) {
      // delete takes keys only
      const part = els.slice(i, i + 500).map((e) => (verb === "delete" ? e.key : elementText(e)));
      out.push(`${verb} element ${t} ${set} { ${part.join(", ")} }`);
    }
  }
  return out;
}

export function serializeModel(m: NftModel): string {
  const t = tableRef(m);
  // Straight into bytes, a line per native write: no array of 100,000s of lines to join.
  let rules = 0;
  for (const s of m.services) for (const c of s.chains) rules += c.rules.length;
  const out = new TextBuffer(Math.max(1 << 16, 200 * rules));
  const line = (l: string) => out.put(`${l}\n`);
  line(`add table ${t}`);
  line(`delete table ${t}`);
  line(`add table ${t} { comment "rules for kube-proxy" ; }`);
  for (const b of m.baseChains) line(`add chain ${t} ${b.name} { type ${b.type} hook ${b.hook} priority ${b.priority} ; }`);
  for (const c of m.chains) line(`add chain ${t} ${c.name}`);
  for (const s of m.services) for (const c of s.chains) line(`add chain ${t} ${c.name}`);
  for (const s of m.sets) line(setDeclLine(t, s));
  for (const s of m.services) for (const a of s.affinitySets) line(affinitySetLine(t, a));
  for (const b of m.baseChains) for (const r of b.rules) line(`add rule ${t} ${b.name} ${r}`);
  for (const c of m.chains) for (const r of c.rules) line(`add rule ${t} ${c.name} ${r}`);
  for (const s of m.services) for (const c of s.chains) for (const r of c.rules) line(`add rule ${t} ${c.name} ${r}`);
  const elements: NftElement[] = [...m.elements];
  for (const s of m.services) for (const e of s.elements) elements.push(e);
  putElementLines(out, t, dedupeElements(elements));
  return out.toString();
}

/** elementLines("add", ...) written straight into out. */
function putElementLines(out: TextBuffer, t: string, elements: NftElement[]): void {
  const bySet = new Map<string, NftElement[]>();
  for (const e of elements) {
    let l = bySet.get(e.set);
    if (!l) bySet.set(e.set, (l = []));
    l.push(e);
  }
  for (const [set, els] of bySet) {
    for (let i = 0; i < els.length; i += 500) {
      out.put(`add element ${t} ${set} { `);
      const end = Math.min(els.length, i + 500);
      for (let j = i; j < end; j++) out.put(j > i ? `, ${elementText(els[j])}` : elementText(els[j]));
      out.put(" }\n");
    }
  }
}

/** cluster-ips holds one entry per ClusterIP even when several ports share it (first one wins). */
export function dedupeElements(els: NftElement[]): NftElement[] {
  // Keys per set: no "set\0key" string built per element.
  const seen = new Map<string, Set<string>>();
  const out: NftElement[] = [];
  for (const e of els) {
    let keys = seen.get(e.set);
    if (!keys) seen.set(e.set, (keys = new Set()));
    if (keys.has(e.key)) continue;
    keys.add(e.key);
    out.push(e);
  }
  return out;
}
