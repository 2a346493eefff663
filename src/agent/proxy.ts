// The per-node service proxy (kube-proxy) of the lab: Services + EndpointSlices from shared
// watch caches -> the proxy helper's pure plan and render -> ONE `iptables-restore --noflush`
// or ONE `nft -f -` inside the node's namespace per sync, then stale UDP conntrack entries
// flushed with `conntrack -D`. Changes are coalesced: while a sync runs, further events
// collect and the next sync covers them all (level-triggered).
import type { EndpointSlice, Service } from "../api/types.js";
import type { NodePlan } from "../lab/address-plan.js";
import { mustNsExec, nsExec, type Runner } from "../lab/exec.js";
import { planProxy, type ProxyInput, type ProxyPlan } from "../proxy/plan.js";
import { changedServices, planIptablesUpdate, planNftablesUpdate, replanServices, savedServiceChains, staleUdpEndpoints, type IptablesUpdateOptions } from "../proxy/changes.js";
import { baseJumpRules } from "../proxy/iptables/base-rules.js";
import type { KubeProxyConfiguration, ProxyMode } from "../proxy/config.js";
import { MAX_SESSION_TRANSACTION, type NftSession } from "../proxy/nft-session.js";
import type { CacheEvent, WatchCache } from "../client/watch-cache.js";

/** Time bound of one ruleset load: tens of thousands of rules (10,000 Services) take seconds with iptables-nft. */
const BIG = 120_000;

export interface SyncRecord {
  mode: ProxyMode;
  kind: "full" | "partial";
  /** performance.now() of the oldest event this sync covers (0 for a sync without events). */
  eventAt: number;
  appliedAt: number;
  durationMs: number;
  changedServices: number;
}

export interface NodeProxyOptions {
  services: WatchCache<Service>;
  endpointSlices: WatchCache<EndpointSlice>;
  node: NodePlan;
  runner: Runner;
  config: KubeProxyConfiguration;
  log?: (m: string) => void;
  onSync?: (r: SyncRecord) => void;
  /**
   * nftables mode: apply partial updates through a long-lived `nft -i` in the node's namespace
   * (src/proxy/nft-session.ts) instead of starting `nft -f -` each time; full loads still use
   * `nft -f -`. Off by default so tests with a recording runner see every command.
   */
  nftSession?: (netns: string) => NftSession;
}

/** iptables-save output -> the restore input that deletes every kube-proxy jump and chain. */
export function iptablesCleanup(save: string): string {
  const tables = new Map<string, { rules: string[]; chains: string[] }>();
  let cur: { rules: string[]; chains: string[] } | undefined;
  for (const line of save.split("\n")) {
    if (line.startsWith("*")) {
      cur = { rules: [], chains: [] };
      tables.set(line.slice(1), cur);
    } else if (!cur) continue;
    else if (line.startsWith(":KUBE-")) cur.chains.push(line.slice(1).split(" ")[0]);
    else if (line.startsWith("-A ") && / -j KUBE-\S+( |$)/.test(line) && !/^-A KUBE-/.test(line)) cur.rules.push(`-D ${line.slice(3)}`);
  }
  const out: string[] = [];
  for (const [name, t] of tables) {
    if (!t.rules.length && !t.chains.length) continue;
    out.push(`*${name}`, ...t.rules, ...t.chains.map((c) => `-F ${c}`), ...t.chains.map((c) => `-X ${c}`), "COMMIT");
  }
  return out.length ? out.join("\n") + "\n" : "";
}

/** The restore lines that insert the missing base jumps (kube-proxy's `-C` then `-I`). */
export function missingJumps(save: string): string {
  const present = new Set(save.split("\n").map((l) => l.trim()));
  const byTable = new Map<string, string[]>();
  for (const r of baseJumpRules()) {
    const args = r.args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ");
    if (present.has(`-A ${r.chain} ${args}`)) continue;
    let l = byTable.get(r.table);
    if (!l) byTable.set(r.table, (l = []));
    l.push(`-I ${r.chain} 1 ${args}`);
  }
  const out: string[] = [];
  for (const [t, lines] of byTable) out.push(`*${t}`, ...lines, "COMMIT");
  return out.length ? out.join("\n") + "\n" : "";
}

export class NodeProxy {
  private prev?: ProxyPlan;
  private mode: ProxyMode;
  private config: KubeProxyConfiguration;
  private changed = new Set<string>();
  private full = true;
  private oldestEvent = 0;
  private running?: Promise<void>;
  private dirty = false;
  private unsubscribe: (() => void)[] = [];
  private jumpsEnsured = false;
  private retryTimer?: NodeJS.Timeout;
  private session?: NftSession;
  private stopped = false;
  private readonly log: (m: string) => void;
  private syncedResolve!: () => void;
  /** Resolves after the first successful sync. */
  readonly synced = new Promise<void>((r) => (this.syncedResolve = r));
  lastError?: string;
  syncs = 0;

  constructor(private readonly o: NodeProxyOptions) {
    this.config = o.config;
    this.mode = o.config.mode;
    this.log = o.log ?? ((m) => process.stderr.write(`proxy ${o.node.name}: ${m}\n`));
  }

  /** A sync is running or changes wait for one. */
  get busy(): boolean {
    return !!this.running || this.changed.size > 0 || !this.prev;
  }

  get proxyMode(): ProxyMode {
    return this.mode;
  }

  start(): void {
    this.unsubscribe.push(
      this.o.services.subscribe((evs) => this.onEvents(evs, (o) => `${o.metadata.namespace ?? "default"}/${o.metadata.name}`)),
      this.o.endpointSlices.subscribe((evs) => this.onEvents(evs, (o) => `${o.metadata.namespace ?? "default"}/${o.metadata.labels?.["kubernetes.io/service-name"] ?? ""}`)),
    );
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.closeSession();
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Stops following changes (bulk loads); resume() rewrites everything in one sync. */
  async pause(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.running;
  }

  resume(): void {
    this.full = true;
    this.changed.clear();
    this.start();
  }

  private onEvents(evs: CacheEvent[], key: (o: CacheEvent["object"]) => string): void {
    for (const e of evs) this.changed.add(key(e.object));
    if (!this.oldestEvent) this.oldestEvent = performance.now();
    this.kick();
  }

  /** Switches between iptables and nftables: removes one mode's rules and loads the other's. */
  async setMode(mode: ProxyMode): Promise<void> {
    if (mode === this.mode) return;
    await this.running;
    const old = this.mode;
    this.mode = mode;
    this.config = { ...this.config, mode };
    this.full = true;
    this.prev = undefined;
    // New rules first, then the old ones go: established connections keep their conntrack NAT either way.
    this.kick();
    await this.running;
    await this.removeMode(old);
  }

  private closeSession(): void {
    void this.session?.close();
    this.session = undefined;
  }

  async removeMode(mode: ProxyMode): Promise<void> {
    const ns = this.o.node.netns;
    if (mode === "nftables") {
      this.closeSession();
      await nsExec(this.o.runner, ns, "nft", ["delete", "table", "ip", "kube-proxy"], { timeoutMs: BIG });
    } else {
      const save = await mustNsExec(this.o.runner, ns, "iptables-save", [], { timeoutMs: BIG });
      const cleanup = iptablesCleanup(save);
      if (cleanup) await mustNsExec(this.o.runner, ns, "iptables-restore", ["-w", "5", "--noflush"], { input: cleanup, timeoutMs: BIG });
      this.jumpsEnsured = false;
    }
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = (async () => {
      do {
        this.dirty = false;
        await this.syncOnce().catch((e: Error) => {
          this.lastError = e.message;
          this.log(`sync failed: ${e.message} (retrying with a full sync in 1 s)`);
          this.full = true; // the next sync rewrites everything
          this.prev = undefined;
          // Retry by itself: the events that led here will not come again.
          if (!this.retryTimer) {
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              this.kick();
            }, 1000);
            this.retryTimer.unref();
          }
        });
      } while (this.dirty && !this.stopped);
    })().finally(() => (this.running = undefined));
  }

  private input(): ProxyInput {
    return { services: this.o.services.list(), endpointSlices: this.o.endpointSlices.list(), nodeName: this.o.node.name, nodeIPs: [this.o.node.ip], config: this.config };
  }

  private async syncOnce(): Promise<void> {
    const t0 = performance.now();
    const eventAt = this.oldestEvent;
    this.oldestEvent = 0;
    const changed = [...this.changed];
    this.changed.clear();
    const input = this.input();
    const full = this.full || !this.prev;
    const next = full ? planProxy(input) : replanServices(this.prev!, input, changed);
    const ns = this.o.node.netns;
    let kind: "full" | "partial";
    // Events that changed nothing this node programs (e.g. the caches' first delivery) cost no kernel work.
    if (!full) {
      const real = changedServices(this.prev!, next, changed);
      if (real.length === 0) {
        this.prev = next;
        return;
      }
      changed.splice(0, changed.length, ...real);
    }
    if (this.mode === "iptables") {
      // Partial restores edit the top-level chains in place: the same rules as kube-proxy's
      // rewrite, without iptables-nft replacing a 10,000-rule KUBE-SERVICES on every change.
      // A full restore deletes the chains of services that went away: those of the plan it
      // replaces (resume), or, with none to trust (first sync, after a failed one, after a
      // mode switch), those the kernel has that no service uses, as kube-proxy's full sync
      // reads them from iptables-save.
      let save: string | undefined;
      if (!this.jumpsEnsured || (full && !this.prev)) save = await mustNsExec(this.o.runner, ns, "iptables-save", this.jumpsEnsured ? ["-t", "nat"] : [], { timeoutMs: BIG });
      // In the order for applying (render.ts RestoreTable): kube-proxy's rule order, chain
      // lines as iptables-nft inserts them in constant time; the sort into upstream's test
      // order was a third of a 10,000-service render.
      const opts: IptablesUpdateOptions = { order: "restore", ...(!full ? { changed, topLevel: "edit" } : this.prev ? { full: true } : { existingChains: savedServiceChains(save ?? "") }) };
      const u = planIptablesUpdate(this.prev, next, opts);
      kind = u.kind;
      if (u.restore) await mustNsExec(this.o.runner, ns, "iptables-restore", ["-w", "5", "--noflush"], { input: u.restore, timeoutMs: BIG });
      if (!this.jumpsEnsured) {
        // The base chains' jumps (not touched by the restore above), once they have their targets.
        const jumps = missingJumps(save ?? "");
        if (jumps) await mustNsExec(this.o.runner, ns, "iptables-restore", ["-w", "5", "--noflush"], { input: jumps });
        this.jumpsEnsured = true;
      }
    } else {
      const u = planNftablesUpdate(full ? undefined : this.prev, next, full ? {} : { changed });
      kind = u.kind;
      if (u.script && u.kind === "partial" && this.o.nftSession && u.script.length <= MAX_SESSION_TRANSACTION && !u.script.includes("#")) {
        if (!this.session || this.session.closed) this.session = this.o.nftSession(ns);
        await this.session.apply(u.script);
      } else if (u.script) {
        await mustNsExec(this.o.runner, ns, "nft", ["-f", "-"], { input: u.script, timeoutMs: BIG });
      }
    }
    const flushes = staleUdpEndpoints(this.prev, next);
    for (const f of flushes) await nsExec(this.o.runner, ns, "conntrack", f.args); // exit 1 = nothing to delete
    this.prev = next;
    this.full = false;
    this.syncs++;
    this.lastError = undefined;
    const appliedAt = performance.now();
    this.syncedResolve();
    this.o.onSync?.({ mode: this.mode, kind, eventAt, appliedAt, durationMs: appliedAt - t0, changedServices: changed.length });
  }
}
