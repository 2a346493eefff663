// A small nft transaction for a change to a few services: only their chains, map elements
// and affinity sets, computed from the model of the previous and the next state, never by
// reading the ruleset back. Unchanged chains are left alone; removed chains are flushed
// first (dropping their references) and deleted at the end of the same transaction
// (kernels >= 6.2; before that, pass deferChainDeletes and delete them in a later one).
import type { NftElement, NftServiceFragment } from "./model.js";
import { mappedElements, TABLE } from "./model.js";
import { affinitySetLine, elementLines, endpointMapLine } from "./render.js";

export interface NftUpdateOptions {
  family?: "ip" | "ip6";
  deferChainDeletes?: boolean;
  /** Elements of shared sets still owned by an unchanged service are kept. */
  stillUsed?: (e: NftElement) => boolean;
}

export interface NftUpdate {
  /** The `nft -f` transaction; "" when nothing changed. */
  script: string;
  /** Chains to delete in a later transaction (only with deferChainDeletes). */
  staleChains: string[];
  counts: { chainsAdded: number; chainsRewritten: number; chainsDeleted: number; elementsAdded: number; elementsDeleted: number };
}

const elementId = (e: NftElement) => `${e.set}\u0000${e.key}`;
const sameElement = (a: NftElement, b: NftElement) => a.value === b.value && a.comment === b.comment;

/** prev/next: every fragment of the changed services before and after (either may be empty). */
export function renderServiceUpdate(prev: NftServiceFragment[], next: NftServiceFragment[], opts: NftUpdateOptions = {}): NftUpdate {
  const t = `${opts.family ?? "ip"} ${TABLE}`;
  const prevChains = new Map<string, string[]>();
  const nextChains = new Map<string, string[]>();
  for (const f of prev) for (const c of f.chains) prevChains.set(c.name, c.rules);
  for (const f of next) for (const c of f.chains) nextChains.set(c.name, c.rules);
  const prevEls = new Map<string, NftElement>();
  const nextEls = new Map<string, NftElement>();
  for (const f of prev) for (const e of [...mappedElements(f), ...f.elements]) prevEls.set(elementId(e), e);
  for (const f of next) for (const e of [...mappedElements(f), ...f.elements]) nextEls.set(elementId(e), e);
  const prevSets = new Map(prev.flatMap((f) => f.affinitySets).map((a) => [a.name, a]));
  const nextSets = new Map(next.flatMap((f) => f.affinitySets).map((a) => [a.name, a]));

  const addChains: string[] = [];
  const rewrite: string[] = [];
  const remove: string[] = [];
  for (const [name, rules] of nextChains) {
    const old = prevChains.get(name);
    if (!old) addChains.push(name);
    else if (old.length !== rules.length || old.some((r, i) => r !== rules[i])) rewrite.push(name);
  }
  for (const name of prevChains.keys()) if (!nextChains.has(name)) remove.push(name);
  const delEls: NftElement[] = [];
  const addEls: NftElement[] = [];
  for (const [id, e] of prevEls) {
    const n = nextEls.get(id);
    if (!n) {
      if (!opts.stillUsed?.(e)) delEls.push(e);
    } else if (!sameElement(n, e)) delEls.push(e);
  }
  for (const [id, e] of nextEls) {
    const o = prevEls.get(id);
    if (!o || !sameElement(o, e)) addEls.push(e);
  }
  const addSets = [...nextSets.values()].filter((a) => prevSets.get(a.name)?.timeoutSeconds !== a.timeoutSeconds);
  // Shared endpoint maps are never deleted; one first used by these services may be new
  // ("add map" of an existing map changes nothing).
  const prevMaps = new Set(prev.flatMap((f) => f.mapped.map((m) => m.map)));
  const addMaps = [...new Set(next.flatMap((f) => f.mapped.map((m) => m.map)))].filter((m) => !prevMaps.has(m)).sort();
  const delSets = [...prevSets.values()].filter((a) => nextSets.get(a.name)?.timeoutSeconds !== a.timeoutSeconds);

  const out: string[] = [];
  for (const c of addChains) out.push(`add chain ${t} ${c}`);
  // An affinity set whose timeout changed is replaced: flush its users first, then delete.
  for (const c of [...rewrite, ...remove]) out.push(`flush chain ${t} ${c}`);
  out.push(...elementLines("delete", t, delEls));
  for (const a of delSets) out.push(`delete set ${t} ${a.name}`);
  for (const a of addSets) out.push(affinitySetLine(t, a));
  for (const m of addMaps) out.push(endpointMapLine(t, m));
  for (const c of [...addChains, ...rewrite]) for (const r of nextChains.get(c)!) out.push(`add rule ${t} ${c} ${r}`);
  out.push(...elementLines("add", t, addEls));
  if (!opts.deferChainDeletes) for (const c of remove) out.push(`delete chain ${t} ${c}`);
  return {
    script: out.length ? out.join("\n") + "\n" : "",
    staleChains: opts.deferChainDeletes ? remove : [],
    counts: { chainsAdded: addChains.length, chainsRewritten: rewrite.length, chainsDeleted: remove.length, elementsAdded: addEls.length, elementsDeleted: delEls.length },
  };
}

/** The later transaction that deletes chains left flushed by a deferred update. */
export function renderDeleteChains(chains: string[], family: "ip" | "ip6" = "ip"): string {
  return chains.map((c) => `delete chain ${family} ${TABLE} ${c}`).join("\n") + (chains.length ? "\n" : "");
}
