// The `nft -f` input for one node: kube-proxy's nftables table, written as one transaction
// that replaces the table (add + delete + rebuild), so a load is atomic and repeatable.
// Chains are declared before the map elements and rules that reference them. Pure.
import type { ProxyPlan } from "../plan.js";
import { TextBuffer } from "../text-buffer.js";
import { endpointMapProtocol } from "./endpoint-maps.js";
import { endpointMapValue, fixedNftModel, serviceFragment, HAIRPIN_ENDPOINTS, TABLE, type NftElement, type NftModel, type NftRenderOptions, type NftAffinitySet, type NftSetDecl, type NftServiceFragment, type NftMappedEndpoints } from "./model.js";

export function renderNftables(plan: ProxyPlan, opts: NftRenderOptions = {}): string {
  // serializeModel(buildNftModel(plan, opts)), but each service's fragment is written and
  // dropped at once: 100,000s of rule strings never outlive their service (kept alive
  // to the end, they were most of the garbage collector's work).
  const m = fixedNftModel(plan);
  const w = new NftWriter(m, { services: plan.services.length, endpoints: plan.totalEndpoints });
  const selection = opts.endpointSelection ?? "maps";
  for (const sp of plan.services) w.addService(serviceFragment(sp, plan, m.family, selection));
  return w.finish();
}

export function tableRef(m: Pick<NftModel, "family">): string {
  return `${m.family} ${TABLE}`;
}

export function setDeclLine(t: string, s: NftSetDecl): string {
  return `add ${s.kind} ${t} ${s.name} { type ${s.type} ; comment "${s.comment}" ; }`;
}

/** t: the table as tableRef writes it ("ip kube-proxy" or "ip6 kube-proxy"): its family sets the address type. */
export function affinitySetLine(t: string, a: NftAffinitySet): string {
  const type = t.startsWith("ip6 ") ? "ipv6_addr" : "ipv4_addr";
  return `add set ${t} ${a.name} { type ${type} ; flags dynamic,timeout ; timeout ${a.timeoutSeconds}s ; }`;
}

/** A shared endpoint map (endpoint-maps.ts): numgen keys to address . port. */
export function endpointMapLine(t: string, name: string): string {
  const ipX = t.startsWith("ip6 ") ? "ip6" : "ip";
  return `add map ${t} ${name} { typeof numgen random mod 1 : ${ipX} daddr . ${endpointMapProtocol(name)} dport ; comment "service endpoints by numgen key" ; }`;
}

/** The element's key as nft reads it (a hairpin element holds only its address). */
export function elementKey(e: NftElement): string {
  return e.set === HAIRPIN_ENDPOINTS ? `${e.key} . ${e.key}` : e.key;
}

export function elementText(e: NftElement): string {
  const key = elementKey(e);
  let s = e.value === undefined ? key : `${key} : ${e.value}`;
  if (e.comment) s = e.value === undefined ? `${key} comment "${e.comment}"` : `${key} comment "${e.comment}" : ${e.value}`;
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
      const part = els.slice(i, i + 500).map((e) => (verb === "delete" ? elementKey(e) : elementText(e)));
      out.push(`${verb} element ${t} ${set} { ${part.join(", ")} }`);
    }
  }
  return out;
}

export function serializeModel(m: NftModel): string {
  const w = new NftWriter(m);
  for (const s of m.services) w.addService(s);
  return w.finish();
}

/** Elements of one set, deduplicated and written as they come: `add element` lines of up to 500. */
interface SetElements {
  text: TextBuffer;
  count: number;
  /**
   * cluster-ips holds one entry per ClusterIP even when several ports share it (first one
   * wins); undefined for endpoint maps, whose keys are distinct by construction (a slot per chain).
   */
  seen: Set<string> | undefined;
  /** Elements on the current line (endpoint maps, written a chain at a time). */
  onLine: number;
}

/**
 * Writes a model as one `nft -f` transaction, service by service: the sections (chain
 * declarations, affinity sets, rules, elements per set) grow in their own buffers, joined
 * by finish(). Straight into bytes, no array of 100,000s of lines to join.
 */
class NftWriter {
  private readonly t: string;
  private readonly chainLines: TextBuffer;
  private readonly affinityLines = new TextBuffer();
  private readonly ruleLines: TextBuffer;
  private readonly elements = new Map<string, SetElements>();
  private readonly endpointMaps = new Set<string>();

  /** Sized for about this many service ports and endpoints: regrowing buffers of many MB costs copies. */
  constructor(private readonly m: NftModel, size = { services: 0, endpoints: 0 }) {
    this.chainLines = new TextBuffer(Math.max(1 << 16, 80 * size.services));
    this.ruleLines = new TextBuffer(Math.max(1 << 16, 130 * size.endpoints + 200 * size.services));
    this.t = tableRef(m);
    for (const e of m.elements) this.addElement(e);
  }

  addService(s: NftServiceFragment): void {
    const t = this.t;
    for (const c of s.chains) this.chainLines.put(`add chain ${t} ${c.name}\n`);
    for (const a of s.affinitySets) this.affinityLines.put(`${affinitySetLine(t, a)}\n`);
    for (const c of s.chains) for (const r of c.rules) this.ruleLines.put(`add rule ${t} ${c.name} ${r}\n`);
    for (const e of s.elements) this.addElement(e);
    for (const m of s.mapped) this.addMapped(m);
  }

  /** A chain's endpoint-map elements, from its record: no NftElement, no dedup (keys are distinct slots). */
  private addMapped(m: NftMappedEndpoints): void {
    let s = this.elements.get(m.map);
    if (!s) {
      this.elements.set(m.map, (s = { text: new TextBuffer(), count: 0, seen: undefined, onLine: 0 }));
      this.endpointMaps.add(m.map);
    }
    // A chain's elements in one piece: a line may pass ELEMENTS_PER_LINE by one chain's worth.
    const fresh = s.count === 0 || s.onLine >= ELEMENTS_PER_LINE;
    let text = fresh ? `${s.count ? " }\n" : ""}add element ${this.t} ${m.map} { ` : "";
    if (fresh) s.onLine = 0;
    for (let i = 0; i < m.endpoints.length; i++) {
      const ep = m.endpoints[i];
      text += `${i > 0 || !fresh ? ", " : ""}${m.offset + i} : ${endpointMapValue(ep)}`;
    }
    s.text.put(text);
    s.count += m.endpoints.length;
    s.onLine += m.endpoints.length;
  }

  private addElement(e: NftElement): void {
    let s = this.elements.get(e.set);
    if (!s) this.elements.set(e.set, (s = { text: new TextBuffer(), count: 0, seen: new Set(), onLine: 0 }));
    if (s.seen) {
      // One hash lookup: add, then see whether the set grew.
      const before = s.seen.size;
      s.seen.add(e.key);
      if (s.seen.size === before) return;
    }
    if (s.count % ELEMENTS_PER_LINE !== 0) s.text.put(`, ${elementText(e)}`);
    else s.text.put(`${s.count ? " }\n" : ""}add element ${this.t} ${e.set} { ${elementText(e)}`);
    s.count++;
  }

  finish(): string {
    const { m, t } = this;
    let size = this.chainLines.length + this.affinityLines.length + this.ruleLines.length + (1 << 14);
    for (const s of this.elements.values()) size += s.text.length + 3;
    const out = new TextBuffer(size);
    const line = (l: string) => out.put(`${l}\n`);
    line(`add table ${t}`);
    line(`delete table ${t}`);
    line(`add table ${t} { comment "rules for kube-proxy" ; }`);
    for (const b of m.baseChains) line(`add chain ${t} ${b.name} { type ${b.type} hook ${b.hook} priority ${b.priority} ; }`);
    for (const c of m.chains) line(`add chain ${t} ${c.name}${c.comment ? ` { comment ${JSON.stringify(c.comment)} ; }` : ""}`);
    out.copyFrom(this.chainLines, 0, this.chainLines.length);
    for (const s of m.sets) line(setDeclLine(t, s));
    for (const name of [...this.endpointMaps].sort()) line(endpointMapLine(t, name));
    out.copyFrom(this.affinityLines, 0, this.affinityLines.length);
    for (const b of m.baseChains) for (const r of b.rules) line(`add rule ${t} ${b.name} ${r}`);
    for (const c of m.chains) for (const r of c.rules) line(`add rule ${t} ${c.name} ${r}`);
    out.copyFrom(this.ruleLines, 0, this.ruleLines.length);
    for (const s of this.elements.values()) {
      if (s.count === 0) continue;
      out.copyFrom(s.text, 0, s.text.length);
      out.put(" }\n");
    }
    const text = out.toString();
    for (const b of [out, this.chainLines, this.affinityLines, this.ruleLines]) b.release();
    for (const s of this.elements.values()) s.text.release();
    return text;
  }
}

const ELEMENTS_PER_LINE = 500;
