// The registry: what the API server does between a request and the store. Namespace
// defaulting and existence, defaulting and validation (api/), Service address allocation,
// generateName, dryRun, the status subresource rules, merge patch, cascading delete by
// ownerReferences, and the objects every cluster starts with. It is also the in-process
// Client that the controllers inside the daemon use.
import type { KubeList, KubeObject, Service, WatchEvent } from "../api/types.js";
import { RESOURCES, apiVersionOf, resourceForKind, type ResourceType } from "../api/resources.js";
import { isStatusError, notFound, statusError, StatusError } from "../api/status.js";
import { invalidError, required, type FieldError } from "../api/field-errors.js";
import type { Client, DeleteOptions, ListOptions, ObjectKey, Watch, WatchHandler, WatchOptions, WriteOptions } from "../client/client.js";
import type { ClusterSettings } from "../cluster/settings.js";
import type { Store } from "../store/store.js";
import { ServiceAllocations } from "../controllers/allocators/service-allocations.js";
import type { PickOptions } from "../controllers/allocators/allocation-error.js";
import { seededRandom } from "../controllers/random.js";
import { applyDefaults } from "../api/defaults.js";
import { validateObject } from "../api/validation.js";
import { mergePatch } from "./merge-patch.js";
import { selectorFilter } from "./selectors.js";

export interface RegistryOptions {
  /** How ClusterIPs, NodePorts and generateName suffixes are picked (sequential/seeded for deterministic output). */
  allocation?: PickOptions;
  /** Where the `kubernetes` Service's Endpoints point (the API server's address). Default 127.0.0.1:6443. */
  apiServerAddress?: { ip: string; port: number };
  /** Create the default namespaces and the `kubernetes` Service (default true). */
  bootstrap?: boolean;
  /**
   * How long a deleted Namespace stays Terminating before its contents and itself are
   * removed (the namespace controller's delay; default 1000 ms), so that `kubectl delete -f`
   * of a file holding the namespace and its objects finds them still there.
   */
  namespaceFinalizeDelayMs?: number;
  /**
   * Graceful deletion of Pods bound to a node (upstream's Pod strategy): a delete only sets
   * deletionTimestamp (now + grace) and deletionGracePeriodSeconds; the node's kubelet stops the
   * containers and finishes the delete with gracePeriodSeconds 0. Only where kubelets run (the
   * lab); without one (offline) a Pod would stay Terminating for ever, so the default is off.
   */
  gracefulPodDeletion?: boolean;
}

export const DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

// upstream utilrand: no vowels, no ambiguous characters.
const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

const deepCopy = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

function typeFor(kind: string): ResourceType {
  const t = resourceForKind(kind);
  if (!t) throw statusError(404, "NotFound", `the server could not find the requested resource (kind ${JSON.stringify(kind)})`);
  return t;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** What upstream's PrepareForCreate leaves of .status for kinds with a status subresource. */
function initialStatus(kind: string, given: unknown): unknown {
  switch (kind) {
    case "Node":
      return given; // nodes register with their status
    case "Pod":
      return { phase: "Pending" };
    case "Namespace":
      return { phase: "Active" };
    case "Service":
      return { loadBalancer: {} };
    case "Ingress":
      return { loadBalancer: {} };
    default:
      return {};
  }
}

const externallyAccessible = (s: Service["spec"]) =>
  s?.type === "NodePort" || s?.type === "LoadBalancer" || ((s?.type ?? "ClusterIP") === "ClusterIP" && (s?.externalIPs ?? []).length > 0);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Upstream's dropTypeDependentFields: when an update changes a Service's type, fields that
 * only the old type needed are cleared, unless the user changed them in the same update.
 */
function dropTypeDependentFields(svc: Service, old: Service): void {
  const s = svc.spec;
  const o = old.spec;
  if (!s || typeof s !== "object" || !o || s.type === o.type) return;
  if (s.type === "ExternalName" && o.type !== "ExternalName") {
    if (same(s.clusterIP, o.clusterIP)) delete s.clusterIP;
    if (same(s.clusterIPs, o.clusterIPs)) delete s.clusterIPs;
    if (same(s.ipFamilies, o.ipFamilies)) delete s.ipFamilies;
    if (same(s.ipFamilyPolicy, o.ipFamilyPolicy)) delete s.ipFamilyPolicy;
  }
  if (externallyAccessible(o) && !externallyAccessible(s) && same(s.externalTrafficPolicy, o.externalTrafficPolicy)) delete s.externalTrafficPolicy;
  if (o.type === "LoadBalancer" && s.type !== "LoadBalancer") {
    if (same(s.allocateLoadBalancerNodePorts, o.allocateLoadBalancerNodePorts)) delete s.allocateLoadBalancerNodePorts;
    if (same(s.loadBalancerClass, o.loadBalancerClass)) delete s.loadBalancerClass;
    if (same(s.healthCheckNodePort, o.healthCheckNodePort)) delete s.healthCheckNodePort;
  }
  if ((o.type === "NodePort" || o.type === "LoadBalancer") && s.type !== "NodePort" && s.type !== "LoadBalancer" && Array.isArray(s.ports) && Array.isArray(o.ports)) {
    for (const p of s.ports) {
      if (p && typeof p === "object" && p.nodePort && o.ports.some((q) => q?.nodePort === p.nodePort)) delete p.nodePort;
    }
  }
  if (s.type === "ExternalName" || o.type === "ExternalName") {
    if (same(s.internalTrafficPolicy, o.internalTrafficPolicy) && s.type === "ExternalName") delete s.internalTrafficPolicy;
  }
}

export class Registry implements Client {
  readonly allocations: ServiceAllocations;
  private readonly random: () => number;
  private apiServer: { ip: string; port: number };
  /** The address was given by the caller (e.g. the lab's relay), so the server does not replace it. */
  private readonly apiServerExplicit: boolean;
  private readonly nsDelay: number;
  private readonly gracefulPods: boolean;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly store: Store,
    readonly settings: ClusterSettings,
    opts: RegistryOptions = {},
  ) {
    this.allocations = new ServiceAllocations(settings, opts.allocation);
    this.random = opts.allocation?.seed !== undefined ? seededRandom(opts.allocation.seed ^ 0x5eed) : opts.allocation?.mode === "sequential" ? seededRandom(1) : Math.random;
    this.apiServer = opts.apiServerAddress ?? { ip: "127.0.0.1", port: 6443 };
    this.apiServerExplicit = opts.apiServerAddress !== undefined;
    this.nsDelay = opts.namespaceFinalizeDelayMs ?? 1000;
    this.gracefulPods = opts.gracefulPodDeletion ?? false;
    this.allocations.rebuild(store.list("Service").items as Service[]);
    if (opts.bootstrap !== false) this.bootstrap();
    // Namespaces left Terminating by a previous run finish now.
    for (const ns of store.list("Namespace").items) if (ns.metadata.deletionTimestamp) this.scheduleNamespaceFinalize(ns.metadata.name!);
  }

  /** Cancels pending namespace finalizations (they resume when a Registry opens the store again). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private scheduleNamespaceFinalize(name: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        this.deleteNamespaceContents(name);
        const ns = this.store.get("Namespace", "", name);
        if (ns?.metadata.deletionTimestamp) {
          this.store.delete("Namespace", "", name, { uid: ns.metadata.uid });
          this.deleteDependents(ns);
        }
      } catch {
        // the store was closed meanwhile; the next start finishes the job
      }
    }, this.nsDelay);
    timer.unref();
    this.timers.add(timer);
  }

  // ---------------------------------------------------------------- bootstrap

  private bootstrap(): void {
    for (const ns of DEFAULT_NAMESPACES) {
      if (!this.store.get("Namespace", "", ns)) {
        this.store.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "kubernetes.io/metadata.name": ns } }, spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } });
      }
    }
    if (!this.store.get("Service", "default", "kubernetes")) {
      const ip = this.allocations.ips.firstAddress();
      const svc: Service = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
        spec: {
          type: "ClusterIP",
          clusterIP: ip,
          clusterIPs: [ip],
          ipFamilies: ["IPv4"],
          ipFamilyPolicy: "SingleStack",
          internalTrafficPolicy: "Cluster",
          sessionAffinity: "None",
          ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }],
        },
        status: { loadBalancer: {} },
      };
      if (!this.allocations.ips.isAllocated(ip)) this.allocations.ips.allocate(ip);
      this.store.create(svc);
    }
    this.writeApiServerEndpoints();
  }

  /** Points the `kubernetes` Service's Endpoints and EndpointSlice at the API server. */
  setApiServerAddress(ip: string, port: number): void {
    this.apiServer = { ip, port };
    this.writeApiServerEndpoints();
  }

  /** What the API server calls once it listens: used unless an address was given in the options. */
  setDefaultApiServerAddress(ip: string, port: number): void {
    if (!this.apiServerExplicit) this.setApiServerAddress(ip, port);
  }

  private writeApiServerEndpoints(): void {
    const { ip, port } = this.apiServer;
    const ep: KubeObject = {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "kubernetes", namespace: "default", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
      subsets: [{ addresses: [{ ip }], ports: [{ name: "https", port, protocol: "TCP" }] }],
    };
    const slice: KubeObject = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "kubernetes", namespace: "default", labels: { "kubernetes.io/service-name": "kubernetes" } },
      addressType: "IPv4",
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: "https", port, protocol: "TCP" }],
    };
    for (const want of [ep, slice]) {
      const have = this.store.get(want.kind, "default", "kubernetes");
      if (!have) this.store.create(want);
      else {
        const { metadata: _a, ...a } = have;
        const { metadata: _b, ...b } = want;
        if (JSON.stringify(a) !== JSON.stringify(b)) this.store.update({ ...want, metadata: { ...have.metadata, labels: want.metadata.labels } });
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private nsFor(t: ResourceType, ns: string | undefined): string {
    return t.namespaced ? ns || "default" : "";
  }

  private requireNamespace(t: ResourceType, ns: string, name: string): void {
    if (!t.namespaced) return;
    const n = this.store.get("Namespace", "", ns);
    if (!n) throw notFound("namespaces", ns);
    if (n.metadata.deletionTimestamp) {
      const q = t.group ? `${t.plural}.${t.group}` : t.plural;
      throw statusError(403, "Forbidden", `${q} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, { name, group: t.group || undefined, kind: t.plural });
    }
  }

  private mustGet(t: ResourceType, ns: string, name: string): KubeObject {
    const o = this.store.get(t.kind, ns, name);
    if (!o) throw notFound(t.plural, name, t.group);
    return o;
  }

  private generateName(prefix: string): string {
    let s = "";
    for (let i = 0; i < 5; i++) s += NAME_ALPHABET[Math.floor(this.random() * NAME_ALPHABET.length)];
    return prefix + s;
  }

  /** Type and shape checks every kind gets before the kind's own validation. */
  private checkShape(t: ResourceType, obj: unknown): asserts obj is KubeObject {
    if (!isObject(obj)) throw statusError(400, "BadRequest", "the object to write must be a JSON object");
    if (!isObject(obj.metadata)) throw invalidError(t.kind, "", [required("metadata")], t.group);
  }

  private validate(t: ResourceType, obj: KubeObject, old?: KubeObject): void {
    const errs: FieldError[] = validateObject(obj, old);
    if (errs.length) throw invalidError(t.kind, obj.metadata.name ?? "", errs, t.group);
  }

  /** Runs `write` with the Service allocation for `obj` and commits or reverts it. */
  private withAllocation<T>(t: ResourceType, obj: KubeObject, old: KubeObject | undefined, dryRun: boolean, write: () => T): T {
    if (t.kind !== "Service") return write();
    const txn = this.allocations.allocate(obj as Service, old as Service | undefined);
    if (txn.errors.length) throw invalidError("Service", obj.metadata.name ?? "", txn.errors);
    let ok = false;
    try {
      const r = write();
      ok = true;
      return r;
    } finally {
      if (ok && !dryRun) txn.commit();
      else txn.revert();
    }
  }

  // ---------------------------------------------------------------- Client
  // The async methods resolve once the write is durable (store.sync); the *Sync variants
  // return at once and are for callers that sync themselves (the REST server).

  async create<T extends KubeObject>(input: T, opts: WriteOptions = {}): Promise<T> {
    const out = this.createSync(input, opts);
    await this.store.sync();
    return out as T;
  }

  createSync(input: KubeObject, opts: WriteOptions = {}): KubeObject {
    const t = typeFor(input?.kind);
    this.checkShape(t, input);
    let obj = deepCopy(input);
    obj.apiVersion = apiVersionOf(t);
    const m = obj.metadata;
    if (t.namespaced) m.namespace = m.namespace || "default";
    else delete m.namespace;
    if (!m.name && m.generateName) m.name = this.generateName(m.generateName);
    if (!m.name) throw invalidError(t.kind, "", [required("metadata.name", "name or generateName is required")], t.group);
    for (const k of ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] as const) delete m[k];
    if (t.hasStatus) {
      const st = initialStatus(t.kind, obj.status);
      if (st === undefined) delete obj.status;
      else obj.status = st;
    }
    this.requireNamespace(t, m.namespace ?? "", m.name);
    obj = applyDefaults(obj);
    return this.withAllocation(t, obj, undefined, !!opts.dryRun, () => {
      this.validate(t, obj);
      const existing = this.store.get(t.kind, m.namespace ?? "", m.name!);
      if (opts.dryRun) {
        if (existing) this.store.create(obj); // throws the AlreadyExists the real write would
        obj.metadata.uid = obj.metadata.uid ?? "";
        obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
        obj.metadata.generation = 1;
        return obj;
      }
      return this.store.create(obj);
    });
  }

  async get<T extends KubeObject>(key: ObjectKey): Promise<T> {
    const t = typeFor(key.kind);
    const o = this.mustGet(t, this.nsFor(t, key.namespace), key.name);
    await this.store.sync(); // never show a write before it is durable
    return o as T;
  }

  async list<T extends KubeObject>(kind: string, opts: ListOptions = {}): Promise<KubeList<T>> {
    const t = typeFor(kind);
    const filter = selectorFilter(kind, opts.labelSelector, opts.fieldSelector);
    const r = this.store.list(kind, { namespace: t.namespaced ? opts.namespace || undefined : undefined, filter });
    await this.store.sync();
    return { apiVersion: apiVersionOf(t), kind: `${t.kind}List`, metadata: { resourceVersion: r.resourceVersion }, items: r.items as T[] };
  }

  async update<T extends KubeObject>(input: T, opts: WriteOptions = {}): Promise<T> {
    const out = this.updateSync(input, opts);
    await this.store.sync();
    return out as T;
  }

  updateSync(input: KubeObject, opts: WriteOptions = {}): KubeObject {
    const t = typeFor(input?.kind);
    this.checkShape(t, input);
    const ns = this.nsFor(t, input.metadata.namespace);
    const name = input.metadata.name ?? "";
    if (!name) throw invalidError(t.kind, "", [required("metadata.name", "name or generateName is required")], t.group);
    const old = this.mustGet(t, ns, name);
    let obj = deepCopy(input);
    obj.apiVersion = apiVersionOf(t);
    if (t.namespaced) obj.metadata.namespace = ns;
    else delete obj.metadata.namespace;
    // Fields the client may not change through an update.
    obj.metadata.uid = old.metadata.uid;
    obj.metadata.creationTimestamp = old.metadata.creationTimestamp;
    obj.metadata.generation = old.metadata.generation;
    if (old.metadata.deletionTimestamp) obj.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete obj.metadata.deletionTimestamp;
    if (old.metadata.deletionGracePeriodSeconds !== undefined) obj.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    else delete obj.metadata.deletionGracePeriodSeconds;
    if (t.hasStatus) {
      if (old.status === undefined) delete obj.status;
      else obj.status = deepCopy(old.status);
    }
    if (t.kind === "Service") dropTypeDependentFields(obj as Service, old as Service);
    obj = applyDefaults(obj);
    return this.withAllocation(t, obj, old, !!opts.dryRun, () => {
      this.validate(t, obj, old);
      if (opts.dryRun) {
        const rv = obj.metadata.resourceVersion;
        if (rv && rv !== old.metadata.resourceVersion) this.store.update(obj); // throws the Conflict
        return obj;
      }
      return this.store.update(obj);
    });
  }

  async updateStatus<T extends KubeObject>(input: T, opts: WriteOptions = {}): Promise<T> {
    const out = this.updateStatusSync(input, opts);
    await this.store.sync();
    return out as T;
  }

  updateStatusSync(input: KubeObject, opts: WriteOptions = {}): KubeObject {
    const t = typeFor(input?.kind);
    this.checkShape(t, input);
    const ns = this.nsFor(t, input.metadata.namespace);
    const old = this.mustGet(t, ns, input.metadata.name ?? "");
    // Everything but status comes from the stored object (upstream's status strategy).
    const obj = deepCopy(old);
    if (input.status === undefined) delete obj.status;
    else obj.status = deepCopy(input.status);
    obj.metadata.resourceVersion = input.metadata.resourceVersion || old.metadata.resourceVersion;
    if (opts.dryRun) {
      if (obj.metadata.resourceVersion !== old.metadata.resourceVersion) this.store.update(obj);
      return obj;
    }
    return this.store.update(obj, { keepGeneration: true });
  }

  async patch<T extends KubeObject>(key: ObjectKey, patch: unknown, opts: WriteOptions & { subresource?: "status" } = {}): Promise<T> {
    const out = this.patchSync(key, patch, opts);
    await this.store.sync();
    return out as T;
  }

  patchSync(key: ObjectKey, patch: unknown, opts: WriteOptions & { subresource?: "status" } = {}, apply: (old: unknown, patch: unknown) => unknown = mergePatch): KubeObject {
    const t = typeFor(key.kind);
    const ns = this.nsFor(t, key.namespace);
    const old = this.mustGet(t, ns, key.name);
    if (patch === undefined || patch === null) throw statusError(400, "BadRequest", "the body of the request was empty");
    const merged = apply(old, patch);
    if (!isObject(merged) || !isObject(merged.metadata)) throw statusError(400, "BadRequest", "the patch removed the object's metadata");
    const m = merged.metadata as KubeObject["metadata"];
    // Identity comes from the URL; a resourceVersion in the patch is a precondition.
    m.name = key.name;
    if (t.namespaced) m.namespace = ns;
    const pm = isObject(patch) ? (patch as { metadata?: { resourceVersion?: unknown } }).metadata : undefined;
    m.resourceVersion = typeof pm?.resourceVersion === "string" ? pm.resourceVersion : old.metadata.resourceVersion;
    (merged as KubeObject).kind = t.kind;
    return opts.subresource === "status" ? this.updateStatusSync(merged as KubeObject, opts) : this.updateSync(merged as KubeObject, opts);
  }

  async delete<T extends KubeObject>(key: ObjectKey, opts: DeleteOptions = {}): Promise<T> {
    const out = this.deleteSync(key, opts);
    await this.store.sync();
    return out as T;
  }

  deleteSync(key: ObjectKey, opts: DeleteOptions = {}): KubeObject {
    const t = typeFor(key.kind);
    const ns = this.nsFor(t, key.namespace);
    const old = this.mustGet(t, ns, key.name);
    const pre = opts.preconditions ?? {};
    if (opts.dryRun) {
      if ((pre.uid && pre.uid !== old.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)) {
        this.store.delete(t.kind, ns, key.name, pre); // throws the precondition Conflict
      }
      return old;
    }
    if (t.kind === "Namespace") {
      // Upstream: the namespace turns Terminating; the namespace controller empties it, then it goes.
      if (old.metadata.deletionTimestamp) return old;
      const marked = deepCopy(old);
      marked.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      marked.status = { phase: "Terminating" };
      if (pre.uid || pre.resourceVersion) {
        const cur = this.store.get("Namespace", "", key.name)!;
        if ((pre.uid && pre.uid !== cur.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion)) this.store.delete("Namespace", "", key.name, pre);
      }
      const out = this.store.update(marked, { keepGeneration: true });
      this.scheduleNamespaceFinalize(key.name);
      return out;
    }
    const g = opts.gracePeriodSeconds;
    if (g !== undefined && !Number.isInteger(g)) throw statusError(400, "BadRequest", `DeleteOptions.meta.k8s.io "" is invalid: gracePeriodSeconds: Invalid value: ${g}: must be an integer`);
    if (t.kind === "Pod" && this.gracefulPods) {
      const marked = this.gracefulPodDelete(old, opts);
      if (marked) return marked;
    }
    const gone = this.store.delete(t.kind, ns, key.name, pre);
    if (t.kind === "Service") this.allocations.release(gone as Service);
    const policy = opts.propagationPolicy ?? "Background";
    if (policy === "Orphan") this.orphanDependents(gone);
    else this.deleteDependents(gone);
    return gone;
  }

  /**
   * upstream BeforeDelete with the Pod strategy's CheckGracefulDelete: a Pod on a node that has
   * not finished gets deletionTimestamp = now + grace; a shorter grace than what is left
   * shortens it; grace 0 (force, unbound or finished Pods) deletes. undefined: delete now.
   */
  private gracefulPodDelete(old: KubeObject, opts: DeleteOptions): KubeObject | undefined {
    const pod = old as KubeObject & { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }; status?: { phase?: string } };
    let grace = opts.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (!pod.spec?.nodeName || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") grace = 0;
    if (grace < 0) grace = 1; // as upstream: a negative grace period means the shortest graceful one
    if (grace === 0) return undefined;
    const now = Date.now();
    if (old.metadata.deletionTimestamp) {
      const left = Date.parse(old.metadata.deletionTimestamp) - now;
      if (!(grace * 1000 < left)) return old; // already terminating, sooner
    }
    const pre = opts.preconditions ?? {};
    if ((pre.uid && pre.uid !== old.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)) {
      this.store.delete(old.kind, old.metadata.namespace ?? "", old.metadata.name ?? "", pre); // throws the precondition Conflict
    }
    const marked = deepCopy(old);
    marked.metadata.deletionTimestamp = new Date(now + grace * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    marked.metadata.deletionGracePeriodSeconds = grace;
    const out = this.store.update(marked, { keepGeneration: true });
    // Orphan: the dependents lose their owner reference now (the final delete cascades as Background).
    if (opts.propagationPolicy === "Orphan") this.orphanDependents(old);
    return out;
  }

  /** The namespace controller's work, done at once: everything in the namespace goes. */
  private deleteNamespaceContents(ns: string): void {
    for (const t of RESOURCES) {
      if (!t.namespaced) continue;
      // The namespace goes now, so its Pods are not left Terminating behind it (the kubelet stops them on the DELETED event).
      for (const o of this.store.list(t.kind, { namespace: ns }).items) this.tryDelete(t, o, { gracePeriodSeconds: 0 });
    }
  }

  private tryDelete(t: ResourceType, o: KubeObject, opts: DeleteOptions = {}): void {
    try {
      this.deleteSync({ kind: t.kind, namespace: o.metadata.namespace, name: o.metadata.name ?? "" }, opts);
    } catch (e) {
      if (!isStatusError(e, "NotFound")) throw e;
    }
  }

  /** Objects whose ownerReferences name `owner`'s uid (same namespace, or any for cluster-scoped owners). */
  private dependentsOf(owner: KubeObject): { t: ResourceType; o: KubeObject }[] {
    const uid = owner.metadata.uid;
    if (!uid) return [];
    const out: { t: ResourceType; o: KubeObject }[] = [];
    const ownerNs = owner.metadata.namespace;
    for (const t of RESOURCES) {
      const raw = this.store.listRaw(t.kind, t.namespaced && ownerNs ? { namespace: ownerNs } : {});
      for (const s of raw.items) {
        if (!s.includes(uid)) continue; // cheap pre-filter before parsing
        const o = JSON.parse(s) as KubeObject;
        if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) out.push({ t, o });
      }
    }
    return out;
  }

  /** Background propagation (the garbage collector's job), done before the delete returns. */
  private deleteDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    for (const { t, o } of this.dependentsOf(owner)) {
      // A dependent with another owner that still exists stays (upstream GC semantics).
      const others = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const alive = others.some((r) => {
        const rt = resourceForKind(r.kind);
        if (!rt) return false;
        const x = this.store.get(r.kind, rt.namespaced ? o.metadata.namespace ?? "" : "", r.name);
        return x?.metadata.uid === r.uid;
      });
      if (alive) this.orphanOne(o, uid!);
      else this.tryDelete(t, o);
    }
  }

  private orphanDependents(owner: KubeObject): void {
    for (const { o } of this.dependentsOf(owner)) this.orphanOne(o, owner.metadata.uid!);
  }

  private orphanOne(o: KubeObject, uid: string): void {
    const refs = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    const next = deepCopy(o);
    if (refs.length) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    try {
      this.store.update(next, { keepGeneration: true });
    } catch (e) {
      if (!(e instanceof StatusError)) throw e;
    }
  }

  watch(kind: string, opts: WatchOptions, handler: WatchHandler): Watch {
    const t = typeFor(kind);
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let stopped = false;
    // Events reach the handler asynchronously and in order, never inside the writer's call.
    const queue: WatchEvent[] = [];
    let scheduled = false;
    const drain = () => {
      scheduled = false;
      while (queue.length && !stopped) {
        const ev = queue.shift()!;
        try {
          handler(ev);
        } catch {
          // a failing handler does not end the watch
        }
        if (ev.type === "ERROR") stop();
      }
    };
    const push = (ev: WatchEvent) => {
      if (stopped) return;
      queue.push(ev);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(drain);
      }
    };
    let sw: { stop(): void } | undefined;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      sw?.stop();
      resolveDone();
    };
    let filter;
    try {
      filter = selectorFilter(kind, opts.labelSelector, opts.fieldSelector);
    } catch (e) {
      push({ type: "ERROR", object: (e as StatusError).status as unknown as KubeObject });
      return { stop, done };
    }
    sw = this.store.watch(kind, { namespace: t.namespaced ? opts.namespace || undefined : undefined, filter, resourceVersion: opts.resourceVersion }, push);
    if (stopped) sw.stop();
    return { stop, done };
  }
}
