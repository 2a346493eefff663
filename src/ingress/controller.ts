// The Ingress controller: watches Ingress, IngressClass, Service, EndpointSlice and Secret through
// the Client, and on every change recomputes the whole route table (level-triggered), hands it
// to each nginx (which reloads only when its text changed), publishes the LoadBalancer address
// in served Ingresses' status, and reports invalid annotations as Events.
import type { Event, Ingress, IngressClass, KubeObject, LoadBalancerIngress, Secret, Service } from "../api/types.js";
import type { Client } from "../client/client.js";
import { formatAnnotationError, ingressKey, parseAnnotations } from "./annotations.js";
import { classifyIngress, DEFAULT_CLASS_CONFIG, type ClassConfig } from "./class.js";
import { buildRoutes, chooseEffectiveIngresses, type RouteTable } from "./routes.js";
import type { NginxTarget, SyncResult } from "./nginx-instance.js";
import { WatchCache } from "../client/watch-cache.js";

export const COMPONENT = "netlab-ingress-controller";

export interface IngressControllerOptions {
  client: Client;
  classConfig?: ClassConfig;
  /** The LoadBalancer Service whose address served Ingresses publish (ingress-nginx's --publish-service). */
  publishService?: { namespace: string; name: string };
  /** Fixed addresses to publish instead (no publish Service). */
  publishAddresses?: string[];
  targets?: NginxTarget[];
  /** Coalesce bursts of watch events (ms). */
  debounceMs?: number;
  log?: (line: string) => void;
}

export interface SyncReport {
  table: RouteTable;
  served: string[];
  results: { target: string; result?: SyncResult; error?: string }[];
}

type LbAddress = Pick<LoadBalancerIngress, "ip" | "hostname">;

export class IngressController {
  private readonly caches: {
    ingresses: WatchCache<Ingress>;
    classes: WatchCache<IngressClass>;
    services: WatchCache<Service>;
    slices: WatchCache<KubeObject>;
    secrets: WatchCache<Secret>;
  };
  private readonly targets = new Map<string, NginxTarget>();
  private lastGood = new Map<string, Ingress>();
  private readonly reported = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  last: SyncReport | undefined;
  syncs = 0;

  constructor(private readonly o: IngressControllerOptions) {
    const on = () => this.schedule();
    this.caches = {
      ingresses: new WatchCache<Ingress>(o.client, "Ingress"),
      classes: new WatchCache<IngressClass>(o.client, "IngressClass"),
      services: new WatchCache<Service>(o.client, "Service"),
      slices: new WatchCache(o.client, "EndpointSlice"),
      secrets: new WatchCache<Secret>(o.client, "Secret"),
    };
    for (const c of Object.values(this.caches)) c.subscribe(on);
    for (const t of o.targets ?? []) this.targets.set(t.name, t);
  }

  private get cfg(): ClassConfig {
    return this.o.classConfig ?? DEFAULT_CLASS_CONFIG;
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  /** Starts the watches and resolves after the first complete sync. */
  async start(): Promise<void> {
    const all = Object.values(this.caches);
    for (const c of all) c.start();
    await Promise.all(all.map((c) => c.synced));
    this.schedule(0);
    await this.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const c of Object.values(this.caches)) c.stop();
    await this.running;
    await Promise.all([...this.targets.values()].map((t) => t.stop()));
    this.targets.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  addTarget(t: NginxTarget): void {
    this.targets.set(t.name, t);
    this.schedule(0);
  }

  async removeTarget(name: string): Promise<void> {
    const t = this.targets.get(name);
    this.targets.delete(name);
    await t?.stop();
  }

  targetNames(): string[] {
    return [...this.targets.keys()];
  }

  targetList(): NginxTarget[] {
    return [...this.targets.values()];
  }

  /** Resolves when no sync is pending or running. */
  idle(): Promise<void> {
    if (!this.timer && !this.running && !this.dirty) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(delay = this.o.debounceMs ?? 10): void {
    if (this.stopped) return;
    if (!Object.values(this.caches).every((c) => c.hasSynced)) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.syncOnce().finally(() => {
        this.running = undefined;
        if (this.dirty && !this.stopped) {
          this.dirty = false;
          this.schedule(0);
        } else if (!this.timer) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }, delay);
  }

  private publishAddresses(): LbAddress[] {
    if (this.o.publishAddresses) return this.o.publishAddresses.map((ip) => ({ ip }));
    const ps = this.o.publishService;
    if (!ps) return [];
    const svc = this.caches.services.items.get(`${ps.namespace}/${ps.name}`);
    return (svc?.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip || i.hostname).map((i) => (i.ip ? { ip: i.ip } : { hostname: i.hostname }));
  }

  private async syncOnce(): Promise<void> {
    this.syncs++;
    const ingresses = this.caches.ingresses.list();
    const classes = this.caches.classes.list();
    const served = ingresses.filter((i) => classifyIngress(i, classes, this.cfg).served);
    const eff = chooseEffectiveIngresses(served, this.lastGood);
    this.lastGood = eff.lastGood;
    const secrets = new Map(this.caches.secrets.list().map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
    const table = buildRoutes({
      ingresses: eff.ingresses,
      services: this.caches.services.list(),
      endpointSlices: this.caches.slices.list() as never,
      secrets: [...secrets.values()],
    });

    const results: SyncReport["results"] = [];
    await Promise.all(
      [...this.targets.values()].map(async (t) => {
        try {
          const result = await t.sync(table, secrets);
          if (result.action !== "unchanged") this.log(`ingress: ${t.name} ${result.action} routes ${result.version} in ${result.ms.toFixed(0)} ms`);
          results.push({ target: t.name, result });
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          this.log(`ingress: ${t.name}: ${error}`);
          results.push({ target: t.name, error });
        }
      }),
    );
    this.last = { table, served: served.map(ingressKey), results };

    const byKey = new Map(ingresses.map((i) => [ingressKey(i), i]));
    for (const e of eff.invalid) {
      const ing = byKey.get(e.ingress);
      if (ing) await this.warn(ing, "InvalidAnnotation", `${formatAnnotationError(e)}; the Ingress's previous configuration stays in force`);
    }
    for (const ing of served) {
      for (const a of parseAnnotations(ing).unsupported) await this.warn(ing, "UnsupportedAnnotation", `${a} is not supported by this controller and is ignored`);
    }
    await this.writeStatuses(ingresses, new Set(served.map(ingressKey)));
  }

  /** One Warning Event per Ingress version and message. */
  private async warn(ing: Ingress, reason: string, message: string): Promise<void> {
    const id = `${ingressKey(ing)}@${ing.metadata.resourceVersion ?? ""}:${reason}:${message}`;
    if (this.reported.has(id)) return;
    this.reported.add(id);
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const ev: Event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${ing.metadata.name}.${Date.now().toString(16)}${this.reported.size.toString(16)}`, namespace: ing.metadata.namespace ?? "default" },
      involvedObject: {
        kind: "Ingress",
        apiVersion: "networking.k8s.io/v1",
        namespace: ing.metadata.namespace ?? "default",
        name: ing.metadata.name,
        uid: ing.metadata.uid,
        resourceVersion: ing.metadata.resourceVersion,
      },
      reason,
      message,
      type: "Warning",
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: COMPONENT },
    };
    this.log(`ingress: ${ingressKey(ing)}: ${reason}: ${message}`);
    try {
      await this.o.client.create(ev);
    } catch (e) {
      this.log(`ingress: cannot record event: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async writeStatuses(ingresses: Ingress[], served: Set<string>): Promise<void> {
    const ours = this.publishAddresses();
    const same = (a: LbAddress[], b: LbAddress[]) => JSON.stringify(a) === JSON.stringify(b);
    for (const ing of ingresses) {
      const current: LbAddress[] = (ing.status?.loadBalancer?.ingress ?? []).map((i) => (i.ip ? { ip: i.ip } : { hostname: i.hostname }));
      let want: LbAddress[];
      if (served.has(ingressKey(ing))) want = ours;
      else if (current.length > 0 && same(current, ours)) want = []; // no longer ours: take our address back
      else continue;
      if (same(current, want)) continue;
      try {
        await this.o.client.updateStatus({ ...ing, status: { ...(ing.status ?? {}), loadBalancer: { ingress: want } } });
      } catch (e) {
        this.log(`ingress: status of ${ingressKey(ing)}: ${e instanceof Error ? e.message : String(e)}`);
        this.schedule(200);
      }
    }
  }
}
