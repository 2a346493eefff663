// kube-proxy's iptables-restore input for one node, rule for rule as kube-proxy 1.3x writes
// it (pkg/proxy/iptables/proxier.go syncProxyRules), services in namespace/name order. Two
// chain orders, the same chains and rules: upstream's tests' canonical order (KUBE-NODEPORTS,
// KUBE-SERVICES, then by name), which compares with their expected text exactly, and
// one for applying: kube-proxy's own rule order (as written), after the chain lines in the
// order iptables-nft takes fastest. Pure.
import { clusterCIDRFor, DEFAULT_HOST_FEATURES, masqueradeMark, type HostFeatures } from "../config.js";
import { extChain, fwChain, iptablesHash, iptablesHashesWithPrefix, objectChainNames, rememberObjectChainNames, svcChain, svlChain } from "../hash.js";
import { inCIDR } from "../ip.js";
import type { PlanEndpoint, PlanServicePort, ProxyPlan } from "../plan.js";
import { probability } from "../probability.js";
import { isAscii, TextBuffer } from "../text-buffer.js";

/** Above this many endpoints kube-proxy drops per-endpoint comments to save space. */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

export interface IptablesRenderOptions {
  host?: Partial<HostFeatures>;
  /**
   * "sorted" (the default): chains in the order of upstream's tests, to compare with their
   * expected text. "restore": the order to apply: rules as kube-proxy's sync writes them
   * (services in namespace/name order where kube-proxy takes Go map order), after every
   * chain line in descending name order. The same chains and rules either way.
   */
  order?: "sorted" | "restore";
  /**
   * Partial restore (kube-proxy's partial sync): only these services ("ns/name") get their
   * per-service nat chains written; the top-level chains and the filter table are always
   * complete. Undefined = everything.
   */
  onlyServices?: ReadonlySet<string>;
  /** Stale per-service nat chains to flush and delete (`-X`). */
  deleteChains?: readonly string[];
  /** Overrides the mark computed from masqueradeBit (upstream's unit tests hard-code "0x4000"). */
  masqueradeMark?: string;
}

/** One chain of a table: its rules live as bytes in the render's buffer. */
interface Chain {
  name: string;
  /** Byte ranges [start, end, ...] of the chain's rule text in the buffer, in rule order. */
  ranges: number[];
}

/** What a service port's KUBE-SEP chains share. */
interface SepFormat {
  /** Comment match ("" in large clusters). */
  c: string;
  /** "-m tcp -p tcp". */
  m: string;
  affinity: boolean;
  /** c is ASCII. */
  ascii: boolean;
}

/** Characters of a chain-name hash. */
const HASH_LEN = 16;

/**
 * Where a table's chains and rules go as the render writes them, in kube-proxy's write order:
 * SortedTable puts them in the order of upstream's tests, RestoreTable keeps the rules' order.
 */
interface Rules {
  /** Declares a chain (":NAME - [0:0]"). */
  declare(name: string): void;
  /** Appends one rule to a chain. */
  add(chain: string, rule: string): void;
  /** Appends rule lines ("-A chain ...\n", all of that chain) the caller wrote; ascii: all ASCII. */
  addLines(chain: string, text: string, ascii: boolean): void;
  /** Declares and writes the KUBE-SEP chain `sep` (hash h) of endpoint ep. */
  addSep(sep: string, h: string, ep: PlanEndpoint, f: SepFormat): void;
  /** Declares a stale chain (which flushes it) and deletes it. */
  deleteChain(name: string): void;
}

/** A SEP chain's two rules. */
function sepRules(sep: string, ep: PlanEndpoint, f: SepFormat): string {
  const recent = f.affinity ? `-m recent --name ${sep} --set ` : "";
  return `-A ${sep} ${f.c}-s ${ep.ip} -j KUBE-MARK-MASQ\n-A ${sep} ${f.c}${recent}${f.m} -j DNAT --to-destination ${ep.endpoint}\n`;
}

/** Appends s, batched when ASCII (see TextBuffer.putAscii). */
function putText(b: TextBuffer, s: string, ascii = isAscii(s)): void {
  if (ascii) b.putAscii(s);
  else b.put(s);
}

/**
 * KUBE-SEP chain names (100,000s of them) as parallel arrays, no object or string each: the
 * hash part of each name and its sort key (see sortedOrder), made while the hash is at hand.
 */
class SepNames {
  readonly hashes: string[] = [];
  readonly keys: number[] = [];
  add(h: string): void {
    this.hashes.push(h);
    this.keys.push(hashKey(SEP_KIND, h, 0));
  }
  get length(): number {
    return this.hashes.length;
  }
}

/**
 * A table for applying: its rules as kube-proxy's syncProxyRules writes them (its natRules
 * buffer, in the order written), going out as strings of at most OUTPUT_CHUNK bytes as they
 * fill, after its chain lines. Those come in descending name order rather than kube-proxy's
 * write order: iptables-nft keeps its chain cache as a list sorted by name and inserts each
 * new chain after a walk from the head (nft_cache_add_chain), so a descending declaration
 * costs one step and any other order up to the whole list (1,000 services x 10 endpoints:
 * 4.4 s to load in kube-proxy's order here, 1.7 s so; ARCHITECTURE.md, Chain order). Chain
 * lines have no effect on the result in any order.
 */
class RestoreTable implements Rules {
  /** Chain names: SEP chains apart, the others whole. */
  private readonly seps = new SepNames();
  private readonly names: string[] = [];
  private readonly rules: TextBuffer;
  constructor(ruleBytes: number) {
    this.rules = outputBuffer(ruleBytes);
  }
  declare(name: string): void {
    this.names.push(name);
  }
  add(chain: string, rule: string): void {
    putText(this.rules, `-A ${chain} ${rule}\n`);
  }
  addLines(_chain: string, text: string, ascii: boolean): void {
    putText(this.rules, text, ascii);
  }
  addSep(sep: string, h: string, ep: PlanEndpoint, f: SepFormat): void {
    this.seps.add(h);
    // ep.endpoint holds ep.ip; f.ascii covers the comment.
    putText(this.rules, sepRules(sep, ep, f), f.ascii && isAscii(ep.endpoint));
  }
  deleteChain(name: string): void {
    this.declare(name);
    putText(this.rules, `-X ${name}\n`);
  }
  /** The table's restore text (the buffer is released). */
  text(table: string): string {
    const { seps: sepNames, names } = this;
    const seps = sepNames.length;
    const sepHashes = sepNames.hashes;
    const order = sortedOrder(sepNames, names, false);
    const chains = outputBuffer(40 * order.length);
    for (let k = order.length - 1; k >= 0; k--) {
      const i = order[k];
      if (i < seps) chains.putAscii(`:KUBE-SEP-${sepHashes[i]} - [0:0]\n`);
      else putText(chains, `:${names[i - seps]} - [0:0]\n`);
    }
    const text = `*${table}\n${chains.toString()}${this.rules.toString()}COMMIT\n`;
    chains.release();
    this.rules.release();
    return text;
  }
}

/** A buffer for about `bytes` of text read once, whole: spilled as strings when large (see OUTPUT_CHUNK). */
function outputBuffer(bytes: number): TextBuffer {
  const b = new TextBuffer(Math.max(1 << 12, Math.min(bytes, OUTPUT_CHUNK)));
  if (bytes > OUTPUT_CHUNK) b.spillFrom(OUTPUT_CHUNK);
  return b;
}

/**
 * A table in the order of upstream's tests (sortIPTablesRules): KUBE-NODEPORTS, KUBE-SERVICES,
 * then every chain in plain string order, each chain's declaration then its rules grouped.
 * The order users compare with upstream's expected text.
 */
class SortedTable implements Rules {
  /**
   * KUBE-SEP chains (100,000s of them): their names, and where each chain is in `seps`: its
   * declaration (SEP_DECLARATION bytes) and then its rules, from sepStarts[i] to sepEnds[i].
   * Written while the service's objects are at hand, in service order; copied into the
   * output in name order at the end (building the text there instead read 100,000s of
   * scattered objects in hash order, at about three times the cost).
   */
  readonly sepNames = new SepNames();
  readonly sepStarts: number[] = [];
  readonly sepEnds: number[] = [];
  readonly chains = new Map<string, Chain>();
  /** "-X NAME" lines, written after every chain's rules. */
  readonly deletes: string[] = [];
  /**
   * buf holds the other chains' text as it is written (no string per rule stays alive),
   * copied into the output in chain order at the end.
   */
  constructor(
    readonly buf: TextBuffer,
    readonly seps: TextBuffer,
  ) {}
  declare(name: string): void {
    this.chain(name);
  }
  chain(name: string): Chain {
    let c = this.chains.get(name);
    if (!c) this.chains.set(name, (c = { name, ranges: [] }));
    return c;
  }
  /** Writes a rule at once (no string per rule stays alive); consecutive rules of a chain share one range. */
  add(chain: string, rule: string): void {
    this.write(this.chain(chain), `-A ${chain} ${rule}\n`);
  }
  addLines(chain: string, text: string, ascii: boolean): void {
    this.write(this.chain(chain), text, ascii);
  }
  /**
   * Appends text to c's rules. ASCII text (nearly always) keeps being batched: its offsets
   * are known without writing the batch out (TextBuffer.putAscii).
   */
  write(c: Chain, text: string, ascii = isAscii(text)): void {
    if (ascii) {
      const at = this.buf.putAscii(text);
      this.extend(c, at, at + text.length);
    } else {
      const at = this.buf.length;
      this.buf.put(text);
      this.extend(c, at, this.buf.length);
    }
  }
  /** Records that c's text continues with bytes [start, end) of the buffer. */
  extend(c: Chain, start: number, end: number): void {
    const r = c.ranges;
    if (r.length && r[r.length - 1] === start) r[r.length - 1] = end;
    else r.push(start, end);
  }
  addSep(sep: string, h: string, ep: PlanEndpoint, f: SepFormat): void {
    const text = `:${sep} - [0:0]\n${sepRules(sep, ep, f)}`;
    // ep.endpoint holds ep.ip; f.ascii covers the comment.
    if (f.ascii && isAscii(ep.endpoint)) {
      const start = this.seps.putAscii(text);
      this.sepStarts.push(start);
      this.sepEnds.push(start + text.length);
    } else {
      this.sepStarts.push(this.seps.length);
      this.seps.put(text);
      this.sepEnds.push(this.seps.length);
    }
    this.sepNames.add(h);
  }
  deleteChain(name: string): void {
    this.declare(name);
    this.deletes.push(`-X ${name}`);
  }
}

/** ":KUBE-SEP-<hash> - [0:0]\n": the bytes of a SEP chain's declaration in `seps`. */
const SEP_DECLARATION = `:KUBE-SEP-${"A".repeat(HASH_LEN)} - [0:0]\n`.length;

/**
 * The output's room in the buffer: the render's text goes out as strings of at most this
 * size, not through a buffer of its whole size (tens of MB more at 10k x 10: external memory
 * enough to make V8 run a full garbage collection). Below Node's threshold for external
 * strings (~1 MB, EXTERN_APEX): larger chunks would be malloc'ed outside the heap and count
 * as external memory just the same (30 MB of them started a full collection in most cold
 * 10k renders).
 */
const OUTPUT_CHUNK = 960 << 10;

/** A sink that swallows the rules of services skipped in a partial restore. */
const DISCARD: Rules = { declare() {}, add() {}, addLines() {}, addSep() {}, deleteChain() {} };

// Hashed chain kinds in string order: the kind decides the order of two hashed names.
const HASHED_KINDS = ["KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-", "KUBE-SVC-", "KUBE-SVL-"];
const SEP_KIND = HASHED_KINDS.indexOf("KUBE-SEP-");
/** Sort keys use the kind and the first 6 hash characters (33 bits) above a 20-bit index. */
const KEY_CHARS = 6;
const INDEX_BITS = 20;
const INDEX_SCALE = 2 ** INDEX_BITS;

/** Base32 characters ranked in string order ("2"-"7" before "A"-"Z"), -1 for others. */
function base32Rank(c: number): number {
  return c >= 65 && c <= 90 ? c - 59 : c >= 50 && c <= 55 ? c - 50 : -1;
}

/** kind * 2^30 + ranks of the KEY_CHARS hash characters at s[from...]: a hashed name's sort key. */
function hashKey(kind: number, s: string, from: number): number {
  let key = kind;
  for (let j = from; j < from + KEY_CHARS; j++) key = key * 32 + base32Rank(s.charCodeAt(j));
  return key;
}

/** The sort key of a hashed chain name (hashKey), or -1 when name is not one. */
function hashedKey(name: string): number {
  for (let kind = 0; kind < HASHED_KINDS.length; kind++) {
    const prefix = HASHED_KINDS[kind];
    if (name.length !== prefix.length + HASH_LEN || !name.startsWith(prefix)) continue;
    for (let i = prefix.length; i < name.length; i++) if (base32Rank(name.charCodeAt(i)) < 0) return -1;
    return hashKey(kind, name, prefix.length);
  }
  return -1;
}

/**
 * Chain indices (SEP chains 0..seps-1, then names[i - seps]) in plain
 * string order of their names, KUBE-* first as upstream's tests sort them unless kubeFirst
 * is false; equal names keep index order. Hashed names (nearly all) sort as
 * numbers with a native typed-array sort (a comparator sort of 110,000 names was a tenth of
 * the render); the few other names are placed by binary search.
 */
function sortedOrder(sepNames: SepNames, names: readonly string[], kubeFirst = true): number[] {
  const { hashes: sepHashes, keys: sepKeys } = sepNames;
  const seps = sepHashes.length;
  const total = seps + names.length;
  const nameOf = (i: number) => (i < seps ? `KUBE-SEP-${sepHashes[i]}` : names[i - seps]);
  const byName = (a: number, b: number) => {
    const x = nameOf(a);
    const y = nameOf(b);
    return x < y ? -1 : x > y ? 1 : a - b;
  };
  if (total >= INDEX_SCALE) {
    const rank = (i: number) => (kubeFirst && !nameOf(i).startsWith("KUBE-") ? 1 : 0);
    return Array.from({ length: total }, (_, i) => i).sort((a, b) => rank(a) - rank(b) || byName(a, b));
  }
  const keys = new Float64Array(total);
  let hashed = 0;
  const inserted: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < seps; i++) keys[hashed++] = sepKeys[i] * INDEX_SCALE + i;
  for (let i = seps; i < total; i++) {
    const name = names[i - seps];
    const key = hashedKey(name);
    if (key >= 0) keys[hashed++] = key * INDEX_SCALE + i;
    else (!kubeFirst || name.startsWith("KUBE-") ? inserted : others).push(i);
  }
  const sorted = keys.subarray(0, hashed).sort();
  const out: number[] = new Array(hashed);
  // key * 2^20 + index, split without floating-point remainders (slow).
  const high = new Float64Array(hashed);
  for (let i = 0; i < hashed; i++) {
    const v = sorted[i];
    const k = Math.floor(v / INDEX_SCALE);
    high[i] = k;
    out[i] = v - k * INDEX_SCALE;
  }
  // Names that share their first 6 hash characters (a few per 100,000): order by full name.
  for (let i = 0; i < hashed; ) {
    const k = high[i];
    let j = i + 1;
    while (j < hashed && high[j] === k) j++;
    if (j - i > 1) {
      const run = out.slice(i, j).sort(byName);
      for (let r = 0; r < run.length; r++) out[i + r] = run[r];
    }
    i = j;
  }
  // Other KUBE-* names (KUBE-MARK-MASQ, ...; any name unless kubeFirst): inserted where
  // string order puts them.
  inserted.sort(byName);
  for (let k = inserted.length - 1; k >= 0; k--) {
    const x = inserted[k];
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byName(out[mid], x) < 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, x);
  }
  others.sort(byName);
  for (const i of others) out.push(i);
  return out;
}

function writeTable(out: TextBuffer, name: string, t: SortedTable): void {
  // KUBE-NODEPORTS, KUBE-SERVICES, then the rest in plain string order (KUBE-* first);
  // equal names (only with hash collisions or duplicate input) keep SEP chains first.
  const seps = t.sepNames.length;
  const chains: Chain[] = [];
  for (const c of t.chains.values()) {
    if (c.name === "KUBE-NODEPORTS" || c.name === "KUBE-SERVICES") continue;
    chains.push(c);
  }
  const ordered = sortedOrder(t.sepNames, chains.map((c) => c.name));
  const top = ["KUBE-NODEPORTS", "KUBE-SERVICES"].filter((c) => t.chains.has(c)).map((c) => t.chains.get(c)!);
  out.put(`*${name}\n`);
  for (const c of top) putDeclaration(out, c.name);
  const { sepStarts, sepEnds } = t;
  for (const i of ordered) {
    if (i < seps) out.copyFrom(t.seps, sepStarts[i], sepStarts[i] + SEP_DECLARATION);
    else putDeclaration(out, chains[i - seps].name);
  }
  const writeChain = (c: Chain) => {
    for (let r = 0; r < c.ranges.length; r += 2) out.copyFrom(t.buf, c.ranges[r], c.ranges[r + 1]);
  };
  for (const c of top) writeChain(c);
  for (const i of ordered) {
    if (i < seps) out.copyFrom(t.seps, sepStarts[i] + SEP_DECLARATION, sepEnds[i]);
    else writeChain(chains[i - seps]);
  }
  for (const l of t.deletes) {
    out.put(l);
    out.put("\n");
  }
  out.put("COMMIT\n");
}

function putDeclaration(out: TextBuffer, chain: string): void {
  out.put(`:${chain} - [0:0]\n`);
}

/**
 * nodePortAddresses as kube-proxy reads them for one family (NewNodePortAddresses): only the
 * CIDRs of the plan's family count, and none of them (or a /0) means every address.
 */
function familyNodePortCIDRs(plan: ProxyPlan): { all: boolean; cidrs: string[]; primary: boolean } {
  const v6 = plan.ipFamily === "IPv6";
  const primary = plan.config.nodePortAddresses.includes("primary");
  const cidrs = plan.config.nodePortAddresses.filter((c) => c !== "primary" && c.includes(":") === v6);
  const all = (cidrs.length === 0 && !primary) || cidrs.some((c) => /\/0+$/.test(c.trim()));
  return { all, cidrs, primary };
}

/** Whether localhost NodePorts apply (kube-proxy turns them off when nodePortAddresses exclude 127.0.0.1). */
export function effectiveLocalhostNodePorts(plan: ProxyPlan): boolean {
  const cfg = plan.config;
  if (plan.ipFamily !== "IPv4" || !cfg.iptables.localhostNodePorts) return false;
  const { all, cidrs } = familyNodePortCIDRs(plan);
  return all || cidrs.some((c) => inCIDR(c, "127.0.0.1"));
}

/** The node addresses NodePorts listen on when nodePortAddresses is set (null = every local address). */
export function nodePortIPs(plan: ProxyPlan): string[] | null {
  const { all, cidrs, primary } = familyNodePortCIDRs(plan);
  if (all) return null;
  const v6 = plan.ipFamily === "IPv6";
  const candidates = [v6 ? "::1" : "127.0.0.1", ...plan.nodeIPs.filter((ip) => ip.includes(":") === v6)];
  const out: string[] = [];
  for (const ip of candidates) {
    const isPrimary = primary && ip === plan.nodeIPs[0];
    if ((isPrimary || cidrs.some((c) => inCIDR(c, ip))) && !out.includes(ip)) out.push(ip);
  }
  return out;
}

export function renderIptables(plan: ProxyPlan, opts: IptablesRenderOptions = {}): string {
  const host: HostFeatures = { ...DEFAULT_HOST_FEATURES, ...opts.host };
  const cfg = plan.config;
  const mark = opts.masqueradeMark ?? masqueradeMark(cfg);
  // Rough size of the per-service chains (an SVC/SVL jump is ~105 bytes without comments):
  // a small overshoot, not a doubling (tens of MB more of external memory, see OUTPUT_CHUNK).
  // A partial restore writes a few services' chains: it grows from small.
  const perEndpoint = plan.totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD ? 120 : 200;
  const estimate = opts.onlyServices ? 0 : perEndpoint * plan.totalEndpoints + 600 * plan.services.length;
  let sorted: { filter: SortedTable; nat: SortedTable; buf: TextBuffer; seps: TextBuffer } | undefined;
  let restore: { filter: RestoreTable; nat: RestoreTable } | undefined;
  let filter: Rules;
  let nat: Rules;
  if (opts.order === "restore") {
    // The filter table holds a few rules per service at most.
    restore = { filter: new RestoreTable(opts.onlyServices ? 0 : 100 * plan.services.length), nat: new RestoreTable(estimate + 70 * plan.totalEndpoints) };
    ({ filter, nat } = restore);
  } else {
    const buf = new TextBuffer(Math.max(1 << 16, estimate));
    // The SEP chains' text (~185 bytes each without comments), then the output (see below).
    const seps = new TextBuffer(Math.max(1 << 16, opts.onlyServices ? 0 : (perEndpoint + 70) * plan.totalEndpoints + OUTPUT_CHUNK));
    sorted = { filter: new SortedTable(buf, seps), nat: new SortedTable(buf, seps), buf, seps };
    ({ filter, nat } = sorted);
  }
  const localhostNodePorts = effectiveLocalhostNodePorts(plan);
  const largeCluster = plan.totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
  const cc = (c: string) => (largeCluster ? "" : `-m comment --comment ${c} `);
  const localCIDR = clusterCIDRFor(cfg, plan.ipFamily);

  for (const c of ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL"]) filter.declare(c);
  for (const c of ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"]) nat.declare(c);

  nat.add("KUBE-POSTROUTING", `-m mark ! --mark ${mark}/${mark} -j RETURN`);
  nat.add("KUBE-POSTROUTING", `-j MARK --xor-mark ${mark}`);
  nat.add("KUBE-POSTROUTING", `-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${host.randomFully ? " --random-fully" : ""}`);
  nat.add("KUBE-MARK-MASQ", `-j MARK --or-mark ${mark}`);

  if (plan.ipFamily === "IPv4" && localhostNodePorts) {
    filter.declare("KUBE-FIREWALL");
    filter.add(
      "KUBE-FIREWALL",
      `-m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
  }

  for (const sp of plan.services) {
    const svcNat = opts.onlyServices && !opts.onlyServices.has(`${sp.namespace}/${sp.name}`) ? DISCARD : nat;
    renderServicePort(sp, plan, { filter, nat, svcNat, cc, mark, localCIDR, localhostNodePorts, host, comments: !largeCluster });
  }

  for (const c of opts.deleteChains ?? []) nat.deleteChain(c);

  const npComment = `-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"`;
  const npIPs = nodePortIPs(plan);
  if (npIPs === null) {
    let dst = "-m addrtype --dst-type LOCAL";
    if (plan.ipFamily === "IPv6") dst += " ! -d ::1/128";
    else if (!localhostNodePorts) dst += " ! -d 127.0.0.0/8";
    nat.add("KUBE-SERVICES", `${npComment} ${dst} -j KUBE-NODEPORTS`);
  } else {
    for (const ip of npIPs) {
      // kube-proxy skips loopback here unless localhost NodePorts apply (never on IPv6).
      if ((ip.startsWith("127.") && !localhostNodePorts) || ip === "::1") continue;
      nat.add("KUBE-SERVICES", `${npComment} -d ${ip} -j KUBE-NODEPORTS`);
    }
  }

  if (!host.conntrackTCPLiberal) {
    filter.add("KUBE-FORWARD", `-m conntrack --ctstate INVALID${host.nfacct ? " -m nfacct --nfacct-name ct_state_invalid_dropped_pkts" : ""} -j DROP`);
  }
  filter.add("KUBE-FORWARD", `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.add("KUBE-FORWARD", `-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);

  if (restore) return restore.filter.text("filter") + restore.nat.text("nat");
  // The output, read once and whole, goes after the SEP chains' text in the same buffer
  // (their copies are then the cheapest) and out as strings every OUTPUT_CHUNK bytes.
  const { buf, seps } = sorted!;
  const start = seps.spillFrom(OUTPUT_CHUNK);
  writeTable(seps, "filter", sorted!.filter);
  writeTable(seps, "nat", sorted!.nat);
  const text = seps.toString(start);
  seps.release();
  buf.release();
  return text;
}

interface Ctx {
  filter: Rules;
  nat: Rules;
  /** nat, or DISCARD for a service a partial restore leaves out. */
  svcNat: Rules;
  cc: (comment: string) => string;
  mark: string;
  localCIDR: string;
  localhostNodePorts: boolean;
  host: HostFeatures;
  /** Per-endpoint comments (left out in large clusters). */
  comments: boolean;
}

function renderServicePort(sp: PlanServicePort, plan: ProxyPlan, x: Ctx): void {
  const { filter, nat, svcNat } = x;
  const p = sp.proto;
  const spn = sp.spn;
  // One hash for the four per-service chains (svcChain & co. hash the same string).
  const h = iptablesHash(spn + p);
  const svc = "KUBE-SVC-" + h;
  const svl = "KUBE-SVL-" + h;
  const ext = "KUBE-EXT-" + h;
  const fw = "KUBE-FW-" + h;
  const hasEndpoints = sp.hasEndpoints;
  const usesClusterPolicyChain = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints;
  const usesLocalPolicyChain = sp.localEndpoints.length > 0 && sp.usesLocalEndpoints;
  const internalChain = sp.internalPolicyLocal ? svl : svc;
  const hasInternal = hasEndpoints && !(sp.internalPolicyLocal && sp.localEndpoints.length === 0);
  const externalPolicyChain = sp.externalPolicyLocal ? svl : svc;
  const hasExternal = hasEndpoints && !(sp.externalPolicyLocal && sp.localEndpoints.length === 0);
  const usesExt = hasEndpoints && sp.externallyAccessible;
  const usesFW = hasEndpoints && sp.loadBalancerIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const lbChain = usesFW ? fw : ext;
  const m = `-m ${p} -p ${p}`;

  let intTarget = "";
  let intComment = "";
  let extTarget = "";
  let extComment = "";
  if (!hasEndpoints) {
    intTarget = extTarget = "REJECT";
    intComment = extComment = `"${spn} has no endpoints"`;
  } else {
    if (!hasInternal) {
      intTarget = "DROP";
      intComment = `"${spn} has no local endpoints"`;
    }
    if (!hasExternal) {
      extTarget = "DROP";
      extComment = `"${spn} has no local endpoints"`;
    }
  }

  const clusterIPMatch = `-m comment --comment "${spn} cluster IP" ${m} -d ${sp.clusterIP} --dport ${sp.port}`;
  if (hasInternal) nat.add("KUBE-SERVICES", `${clusterIPMatch} -j ${internalChain}`);
  else filter.add("KUBE-SERVICES", `-m comment --comment ${intComment} ${m} -d ${sp.clusterIP} --dport ${sp.port} -j ${intTarget}`);

  for (const eip of sp.externalIPs) {
    if (hasEndpoints) nat.add("KUBE-SERVICES", `-m comment --comment "${spn} external IP" ${m} -d ${eip} --dport ${sp.port} -j ${ext}`);
    if (!hasExternal) filter.add("KUBE-EXTERNAL-SERVICES", `-m comment --comment ${extComment} ${m} -d ${eip} --dport ${sp.port} -j ${extTarget}`);
  }
  for (const lb of sp.loadBalancerIPs) {
    if (hasEndpoints) nat.add("KUBE-SERVICES", `-m comment --comment "${spn} loadbalancer IP" ${m} -d ${lb} --dport ${sp.port} -j ${lbChain}`);
    if (usesFW) filter.add("KUBE-PROXY-FIREWALL", `-m comment --comment "${spn} traffic not accepted by ${fw}" ${m} -d ${lb} --dport ${sp.port} -j DROP`);
  }
  if (!hasExternal) {
    for (const lb of sp.loadBalancerIPs) filter.add("KUBE-EXTERNAL-SERVICES", `-m comment --comment ${extComment} ${m} -d ${lb} --dport ${sp.port} -j ${extTarget}`);
  }
  if (sp.nodePort !== 0) {
    if (hasEndpoints) {
      if (x.localhostNodePorts && plan.ipFamily === "IPv4" && x.host.nfacct) {
        nat.add("KUBE-NODEPORTS", `-m comment --comment ${spn} ${m} -d 127.0.0.0/8 --dport ${sp.nodePort} -m nfacct --nfacct-name localhost_nps_accepted_pkts -j ${ext}`);
      }
      nat.add("KUBE-NODEPORTS", `-m comment --comment ${spn} ${m} --dport ${sp.nodePort} -j ${ext}`);
    }
    if (!hasExternal) {
      filter.add("KUBE-EXTERNAL-SERVICES", `-m comment --comment ${extComment} -m addrtype --dst-type LOCAL ${m} --dport ${sp.nodePort} -j ${extTarget}`);
    }
  }
  if (sp.healthCheckNodePort !== 0) {
    filter.add("KUBE-NODEPORTS", `-m comment --comment "${spn} health check node port" -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`);
  }

  // Per-service chains (left out of a partial restore when the service did not change).
  if (hasInternal) {
    if (plan.config.iptables.masqueradeAll) svcNat.add(internalChain, `${clusterIPMatch} -j KUBE-MARK-MASQ`);
    else if (x.localCIDR) svcNat.add(internalChain, `${clusterIPMatch} ! -s ${x.localCIDR} -j KUBE-MARK-MASQ`);
  }
  if (usesExt) {
    svcNat.declare(ext);
    if (!sp.externalPolicyLocal) {
      svcNat.add(ext, `-m comment --comment "masquerade traffic for ${spn} external destinations" -j KUBE-MARK-MASQ`);
    } else {
      if (x.localCIDR) svcNat.add(ext, `-m comment --comment "pod traffic for ${spn} external destinations" -s ${x.localCIDR} -j ${svc}`);
      svcNat.add(ext, `-m comment --comment "masquerade LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
      svcNat.add(ext, `-m comment --comment "route LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j ${svc}`);
    }
    if (hasExternal) svcNat.add(ext, `-j ${externalPolicyChain}`);
  }
  if (usesFW) {
    svcNat.declare(fw);
    const head = `-m comment --comment "${spn} loadbalancer IP"`;
    const nodeIP = plan.nodeIPs[0];
    let allowFromNode = false;
    for (const cidr of sp.loadBalancerSourceRanges) {
      svcNat.add(fw, `${head} -s ${cidr} -j ${ext}`);
      if (nodeIP && inCIDR(cidr, nodeIP)) allowFromNode = true;
    }
    if (allowFromNode) for (const lb of sp.loadBalancerIPs) svcNat.add(fw, `${head} -s ${lb} -j ${ext}`);
    svcNat.add(fw, `-m comment --comment "other traffic to ${spn} will be dropped by KUBE-PROXY-FIREWALL"`);
  }
  if (svcNat === DISCARD) return;
  // In kube-proxy's order: the SVC and SVL chains, then the SEP chains they jump to.
  const hashes = sepHashes(sp, spn, p);
  const sepNames = hashes.map((h) => "KUBE-SEP-" + h);
  if (usesClusterPolicyChain) {
    svcNat.declare(svc);
    writeServiceToEndpointRules(svcNat, sp, svc, sp.clusterEndpoints, sepNames, x.comments);
  }
  if (usesLocalPolicyChain) {
    svcNat.declare(svl);
    writeServiceToEndpointRules(svcNat, sp, svl, sp.localEndpoints, sepNames, x.comments);
  }
  const c = x.cc(spn);
  const f: SepFormat = { c, m, affinity: sp.sessionAffinity === "ClientIP", ascii: isAscii(c) };
  const reachable = sp.reachableEndpoints;
  for (let i = 0; i < reachable.length; i++) svcNat.addSep(sepNames[i], hashes[i], reachable[i], f);
}

interface SepHashes {
  spn: string;
  protocol: string;
  endpoints: string[];
  hashes: string[];
}

/**
 * The SEP chain hashes of sp.reachableEndpoints, remembered per service port object while
 * the strings they hash are unchanged: a full re-render of a plan, or of a re-planned one
 * (whose unchanged ports are the same objects), skips 100,000s of sha256s. Held weakly:
 * the entries go with the plan.
 */
function sepHashes(sp: PlanServicePort, spn: string, protocol: string): string[] {
  const eps = sp.reachableEndpoints;
  const c = objectChainNames<SepHashes>(sp);
  if (c && c.spn === spn && c.protocol === protocol && c.endpoints.length === eps.length && eps.every((ep, i) => ep.endpoint === c.endpoints[i])) return c.hashes;
  const endpoints = eps.map((ep) => ep.endpoint);
  const hashes = iptablesHashesWithPrefix(spn + protocol, endpoints);
  rememberObjectChainNames<SepHashes>(sp, { spn, protocol, endpoints, hashes });
  return hashes;
}

/**
 * The SVC/SVL chain's jumps to its endpoints, written straight into the buffer (no string
 * per rule stays alive). eps is a sorted subset of sp.reachableEndpoints, whose SEP chains
 * are sepNames.
 */
function writeServiceToEndpointRules(t: Rules, sp: PlanServicePort, chain: string, eps: PlanEndpoint[], sepNames: string[], comments: boolean): void {
  // The chain's rules as one text (one range in the buffer).
  let text = "";
  const reachable = sp.reachableEndpoints;
  let j = 0;
  // Both lists are sorted, so one forward walk finds each endpoint's SEP chain.
  const sepOf = (ep: PlanEndpoint) => {
    while (j < reachable.length && reachable[j] !== ep) j++;
    if (j === reachable.length) j = reachable.indexOf(ep);
    return sepNames[j];
  };
  const comment = (ep: PlanEndpoint) => (comments ? `-m comment --comment "${sp.spn} -> ${ep.endpoint}" ` : "");
  if (sp.sessionAffinity === "ClientIP") {
    for (const ep of eps) {
      const sep = sepOf(ep);
      text += `-A ${chain} ${comment(ep)}-m recent --name ${sep} --rcheck --seconds ${sp.stickyMaxAgeSeconds} --reap -j ${sep}\n`;
    }
    j = 0;
  }
  const n = eps.length;
  for (let i = 0; i < n; i++) {
    const ep = eps[i];
    const stat = i < n - 1 ? `-m statistic --mode random --probability ${probability(n - i)} ` : "";
    text += `-A ${chain} ${comment(ep)}${stat}-j ${sepOf(ep)}\n`;
  }
  // Sequence numbers, hashes and chain names are ASCII; comments hold names and addresses.
  if (text) t.addLines(chain, text, !comments || (isAscii(sp.spn) && eps.every((ep) => isAscii(ep.endpoint))));
}

/** The per-service nat chains a plan renders, by "ns/name" (for partial restores and deletes). */
export function iptablesServiceChains(plan: ProxyPlan): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const sp of plan.services) {
    const key = `${sp.namespace}/${sp.name}`;
    let s = out.get(key);
    if (!s) out.set(key, (s = new Set()));
    const p = sp.proto;
    if (!sp.hasEndpoints) continue;
    if (sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints) s.add(svcChain(sp.spn, p));
    if (sp.localEndpoints.length > 0 && sp.usesLocalEndpoints) s.add(svlChain(sp.spn, p));
    if (sp.externallyAccessible) s.add(extChain(sp.spn, p));
    if (sp.loadBalancerIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0) s.add(fwChain(sp.spn, p));
    // The render's own hashes (remembered per port): a full sync names them once, not twice.
    for (const h of sepHashes(sp, sp.spn, p)) s.add(`KUBE-SEP-${h}`);
  }
  return out;
}
