// kube-proxy's iptables-restore input for one node, rule for rule as kube-proxy 1.3x writes
// it (pkg/proxy/iptables/proxier.go syncProxyRules). Services are written in namespace/name
// order and chains in the canonical order of upstream's tests (KUBE-NODEPORTS, KUBE-SERVICES,
// then alphabetical), so the output is deterministic and compares with upstream's expected
// text exactly. Pure.
import { DEFAULT_HOST_FEATURES, masqueradeMark, type HostFeatures } from "../config.js";
import { extChain, fwChain, iptablesHash, sepChain, svcChain, svlChain } from "../hash.js";
import { inCIDR, parseCIDR, cidrContains, parseIPv4 } from "../ip.js";
import type { PlanEndpoint, PlanServicePort, ProxyPlan } from "../plan.js";
import { probability } from "../probability.js";
import { TextBuffer } from "../text-buffer.js";

/** Above this many endpoints kube-proxy drops per-endpoint comments to save space. */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

export interface IptablesRenderOptions {
  host?: Partial<HostFeatures>;
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

/** One chain of a table. Rules of finished per-service chains live as bytes in the table's scratch buffer. */
interface Chain {
  name: string;
  /** Rules not yet moved to the scratch buffer (without the "-A chain " prefix). */
  rules: string[];
  /** Byte ranges [start, end, ...] of already written rule text in the scratch buffer, in rule order. */
  ranges: number[];
}

/** What a service port's KUBE-SEP chains share: written out only once the chains are in order. */
interface SepFormat {
  /** Comment match ("" in large clusters). */
  c: string;
  /** "-m tcp -p tcp". */
  m: string;
  affinity: boolean;
}

class Table {
  /** Text of finished chains: no string per rule stays alive until the end. */
  readonly scratch = new TextBuffer(1 << 16);
  readonly chains = new Map<string, Chain>();
  /**
   * KUBE-SEP chains (100,000s of them) as parallel arrays, no object or text each: their
   * two rules are written straight into the output once all chains are sorted.
   */
  readonly sepNames: string[] = [];
  readonly sepEndpoints: PlanEndpoint[] = [];
  readonly sepFormats: SepFormat[] = [];
  declare(name: string): void {
    this.chain(name);
  }
  protected chain(name: string): Chain {
    let c = this.chains.get(name);
    if (!c) this.chains.set(name, (c = { name, rules: [], ranges: [] }));
    return c;
  }
  add(chain: string, rule: string): void {
    this.chain(chain).rules.push(rule);
  }
  addSep(name: string, ep: PlanEndpoint, f: SepFormat): void {
    this.sepNames.push(name);
    this.sepEndpoints.push(ep);
    this.sepFormats.push(f);
  }
  /** Moves a chain's pending rules into the scratch buffer (a per-service chain once its service is done). */
  settle(name: string): void {
    const c = this.chains.get(name);
    if (!c || c.rules.length === 0) return;
    const start = this.scratch.length;
    putRules(this.scratch, c);
    c.ranges.push(start, this.scratch.length);
    c.rules = [];
  }
}

function putRules(out: TextBuffer, c: Chain): void {
  for (const r of c.rules) {
    out.put("-A ");
    out.put(c.name);
    out.put(" ");
    out.put(r);
    out.put("\n");
  }
}

function putSep(out: TextBuffer, sep: string, ep: PlanEndpoint, f: SepFormat): void {
  out.put("-A ");
  out.put(sep);
  out.put(" ");
  out.put(f.c);
  out.put("-s ");
  out.put(ep.ip);
  out.put(" -j KUBE-MARK-MASQ\n-A ");
  out.put(sep);
  out.put(" ");
  out.put(f.c);
  if (f.affinity) {
    out.put("-m recent --name ");
    out.put(sep);
    out.put(" --set ");
  }
  out.put(f.m);
  out.put(" -j DNAT --to-destination ");
  out.put(ep.endpoint);
  out.put("\n");
}

/** A sink that swallows the rules of services skipped in a partial restore. */
class Discard extends Table {
  override declare(): void {}
  override add(): void {}
  override addSep(): void {}
  override settle(): void {}
}

/**
 * Indices into names in plain string order (ties: lower index first, as a stable sort).
 * Bucketed by the first 11 characters (kind and two hash characters) and each small bucket
 * sorted: a comparator sort of 110,000 names was a tenth of the render. Order between
 * buckets equals string order: a name shorter than the key is its own key and sorts before
 * the longer keys it prefixes.
 */
function sortedOrder(names: string[]): number[] {
  const buckets = new Map<string, number[]>();
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    const k = n.length > 11 ? n.slice(0, 11) : n;
    const b = buckets.get(k);
    if (b) b.push(i);
    else buckets.set(k, [i]);
  }
  // Default sort compares UTF-16 code units, as < does.
  const keys = [...buckets.keys()].sort();
  const byName = (a: number, b: number) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : a - b);
  const out: number[] = [];
  for (const k of keys) {
    const b = buckets.get(k)!;
    if (b.length > 1) b.sort(byName);
    for (const i of b) out.push(i);
  }
  return out;
}

function writeTable(out: TextBuffer, name: string, t: Table, extra: string[] = []): void {
  // KUBE-NODEPORTS, KUBE-SERVICES, then the rest in plain string order (KUBE-* first);
  // equal names (only with hash collisions or duplicate input) keep SEP chains first.
  const seps = t.sepNames.length;
  const names = [...t.sepNames];
  const chains: Chain[] = [];
  for (const c of t.chains.values()) {
    if (c.name === "KUBE-NODEPORTS" || c.name === "KUBE-SERVICES") continue;
    names.push(c.name);
    chains.push(c);
  }
  const sorted = sortedOrder(names);
  const kube: number[] = [];
  const other: number[] = [];
  for (const i of sorted) (names[i].startsWith("KUBE-") ? kube : other).push(i);
  const top = ["KUBE-NODEPORTS", "KUBE-SERVICES"].filter((c) => t.chains.has(c)).map((c) => t.chains.get(c)!);
  const ordered = [...kube, ...other];
  out.put(`*${name}\n`);
  for (const c of top) putDeclaration(out, c.name);
  for (const i of ordered) putDeclaration(out, names[i]);
  const writeChain = (c: Chain) => {
    for (let r = 0; r < c.ranges.length; r += 2) out.copyFrom(t.scratch, c.ranges[r], c.ranges[r + 1]);
    if (c.rules.length) putRules(out, c);
  };
  for (const c of top) writeChain(c);
  for (const i of ordered) {
    if (i < seps) putSep(out, names[i], t.sepEndpoints[i], t.sepFormats[i]);
    else writeChain(chains[i - seps]);
  }
  for (const l of extra) {
    out.put(l);
    out.put("\n");
  }
  out.put("COMMIT\n");
}

function putDeclaration(out: TextBuffer, chain: string): void {
  out.put(":");
  out.put(chain);
  out.put(" - [0:0]\n");
}

/** Whether localhost NodePorts apply (kube-proxy turns them off when nodePortAddresses exclude 127.0.0.1). */
export function effectiveLocalhostNodePorts(plan: ProxyPlan): boolean {
  const cfg = plan.config;
  if (plan.ipFamily !== "IPv4" || !cfg.iptables.localhostNodePorts) return false;
  const cidrs = cfg.nodePortAddresses.filter((c) => c !== "primary");
  if (cfg.nodePortAddresses.length === 0) return true;
  return cidrs.some((c) => inCIDR(c, "127.0.0.1"));
}

/** The node addresses NodePorts listen on when nodePortAddresses is set (null = every local address). */
export function nodePortIPs(plan: ProxyPlan): string[] | null {
  const cfg = plan.config;
  if (cfg.nodePortAddresses.length === 0) return null;
  const cidrs = cfg.nodePortAddresses.filter((c) => c !== "primary").map((c) => parseCIDR(c)).filter((c) => c !== undefined);
  if (cidrs.some((c) => c!.bits === 0)) return null;
  const candidates = ["127.0.0.1", ...plan.nodeIPs];
  const out: string[] = [];
  for (const ip of candidates) {
    const a = parseIPv4(ip);
    if (a === undefined) continue;
    const primary = cfg.nodePortAddresses.includes("primary") && ip === plan.nodeIPs[0];
    if ((primary || cidrs.some((c) => cidrContains(c!, a))) && !out.includes(ip)) out.push(ip);
  }
  return out;
}

export function renderIptables(plan: ProxyPlan, opts: IptablesRenderOptions = {}): string {
  const host: HostFeatures = { ...DEFAULT_HOST_FEATURES, ...opts.host };
  const cfg = plan.config;
  const mark = opts.masqueradeMark ?? masqueradeMark(cfg);
  const filter = new Table();
  const nat = new Table();
  const skipped = new Discard();
  const localhostNodePorts = effectiveLocalhostNodePorts(plan);
  const largeCluster = plan.totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
  const cc = (c: string) => (largeCluster ? "" : `-m comment --comment ${c} `);
  const localCIDR = cfg.clusterCIDR;

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
    const svcNat = opts.onlyServices && !opts.onlyServices.has(`${sp.namespace}/${sp.name}`) ? skipped : nat;
    renderServicePort(sp, plan, { skipped, filter, nat, svcNat, cc, mark, localCIDR, localhostNodePorts, host });
  }

  for (const c of opts.deleteChains ?? []) nat.declare(c);

  const npComment = `-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"`;
  const npIPs = nodePortIPs(plan);
  if (npIPs === null) {
    let dst = "-m addrtype --dst-type LOCAL";
    if (plan.ipFamily === "IPv6") dst += " ! -d ::1/128";
    else if (!localhostNodePorts) dst += " ! -d 127.0.0.0/8";
    nat.add("KUBE-SERVICES", `${npComment} ${dst} -j KUBE-NODEPORTS`);
  } else {
    for (const ip of npIPs) {
      if (ip.startsWith("127.") && !localhostNodePorts) continue;
      nat.add("KUBE-SERVICES", `${npComment} -d ${ip} -j KUBE-NODEPORTS`);
    }
  }

  if (!host.conntrackTCPLiberal) {
    filter.add("KUBE-FORWARD", `-m conntrack --ctstate INVALID${host.nfacct ? " -m nfacct --nfacct-name ct_state_invalid_dropped_pkts" : ""} -j DROP`);
  }
  filter.add("KUBE-FORWARD", `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.add("KUBE-FORWARD", `-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);

  const deletes = (opts.deleteChains ?? []).map((c) => `-X ${c}`);
  const out = new TextBuffer(1 << 20);
  writeTable(out, "filter", filter);
  writeTable(out, "nat", nat, deletes);
  return out.toString();
}

interface Ctx {
  skipped: Table;
  filter: Table;
  nat: Table;
  svcNat: Table;
  cc: (comment: string) => string;
  mark: string;
  localCIDR: string;
  localhostNodePorts: boolean;
  host: HostFeatures;
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
  // One hash per endpoint: SEP names are used by the SVC/SVL rules and the SEP chains.
  const sepNames = new Map<PlanEndpoint, string>();
  if (svcNat !== x.skipped) for (const ep of sp.reachableEndpoints) sepNames.set(ep, sepChain(spn, p, ep.endpoint));
  if (usesClusterPolicyChain) {
    svcNat.declare(svc);
    writeServiceToEndpointRules(svcNat, sp, svc, sp.clusterEndpoints, x.cc, sepNames);
  }
  if (usesLocalPolicyChain) {
    svcNat.declare(svl);
    writeServiceToEndpointRules(svcNat, sp, svl, sp.localEndpoints, x.cc, sepNames);
  }
  if (svcNat === x.skipped) return;
  for (const name of [svc, svl, ext, fw]) svcNat.settle(name);
  const f: SepFormat = { c: x.cc(spn), m, affinity: sp.sessionAffinity === "ClientIP" };
  for (const ep of sp.reachableEndpoints) svcNat.addSep(sepNames.get(ep)!, ep, f);
}

function writeServiceToEndpointRules(t: Table, sp: PlanServicePort, chain: string, eps: PlanEndpoint[], cc: (c: string) => string, names: Map<PlanEndpoint, string>): void {
  if (t instanceof Discard) return;
  if (sp.sessionAffinity === "ClientIP") {
    for (const ep of eps) {
      const sep = names.get(ep)!;
      t.add(chain, `${cc(`"${sp.spn} -> ${ep.endpoint}"`)}-m recent --name ${sep} --rcheck --seconds ${sp.stickyMaxAgeSeconds} --reap -j ${sep}`);
    }
  }
  const n = eps.length;
  eps.forEach((ep, i) => {
    const sep = names.get(ep)!;
    const stat = i < n - 1 ? `-m statistic --mode random --probability ${probability(n - i)} ` : "";
    t.add(chain, `${cc(`"${sp.spn} -> ${ep.endpoint}"`)}${stat}-j ${sep}`);
  });
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
    for (const ep of sp.reachableEndpoints) s.add(sepChain(sp.spn, p, ep.endpoint));
  }
  return out;
}
