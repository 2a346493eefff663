// Offline convergence: an in-memory cluster (the real Registry over an in-memory SQLite
// store), N nodes, the given objects applied, and the controllers run until nothing is left
// to do. Deterministic: sequential address allocation, seeded name suffixes, a fixed clock,
// and uids/creation timestamps derived from each object's identity.
import { createHash } from "node:crypto";
import type { KubeObject, Node } from "../api/types.js";
import { RESOURCES, resourceForKind } from "../api/resources.js";
import { isStatusError } from "../api/status.js";
import type { ClusterSettings } from "../cluster/settings.js";
import { Registry } from "../apiserver/registry.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { startControllers } from "../controllers/manager.js";
import { seededRandom } from "../controllers/random.js";
import { formatIPv4, parseCidr4 } from "../cluster/ipv4.js";

export const DEFAULT_NODES = 2;
/** The clock offline clusters live at (no wall time in the output). */
export const OFFLINE_EPOCH = "2026-01-01T00:00:00Z";
const SEED = 20260101;

export interface ConvergedCluster {
  objects: KubeObject[];
  byKind(kind: string): KubeObject[];
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Objects the API refused, as `Kind "name": message` (empty when all applied). */
  errors: string[];
}

export interface ConvergeOptions {
  settings: ClusterSettings;
  nodes: number;
  /** Give up when the controllers have not settled after this long (default 60 s). */
  timeoutMs?: number;
}

/** Node N (1-based): node-N with InternalIP = the (N+1)th address of the node network. */
export function offlineNode(n: number, settings: ClusterSettings): Node {
  const net = parseCidr4(settings.nodeNetwork) ?? parseCidr4("172.18.0.0/16")!;
  const name = `node-${n}`;
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } },
    spec: {},
    status: {
      addresses: [
        { type: "InternalIP", address: formatIPv4((net.base + n + 1) >>> 0) },
        { type: "Hostname", address: name },
      ],
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: OFFLINE_EPOCH, lastTransitionTime: OFFLINE_EPOCH }],
    },
  };
}

const KIND_ORDER = new Map(RESOURCES.map((t, i) => [t.kind, i]));

function compareObjects(a: KubeObject, b: KubeObject): number {
  const ka = KIND_ORDER.get(a.kind) ?? 999;
  const kb = KIND_ORDER.get(b.kind) ?? 999;
  if (ka !== kb) return ka - kb;
  const na = a.metadata.namespace ?? "";
  const nb = b.metadata.namespace ?? "";
  if (na !== nb) return na < nb ? -1 : 1;
  const xa = a.metadata.name ?? "";
  const xb = b.metadata.name ?? "";
  return xa < xb ? -1 : xa > xb ? 1 : 0;
}

function stableUid(o: KubeObject): string {
  const h = createHash("sha256").update(`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Replaces random uids (wherever they are referenced) and wall-clock creation times. */
export function normalizeIdentities(objects: KubeObject[]): KubeObject[] {
  const uids = new Map<string, string>();
  for (const o of objects) if (o.metadata.uid) uids.set(o.metadata.uid, stableUid(o));
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return uids.get(v) ?? v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return objects.map((o) => {
    const c = walk(o) as KubeObject;
    if (c.metadata.creationTimestamp) c.metadata.creationTimestamp = OFFLINE_EPOCH;
    return c;
  });
}

function describe(o: KubeObject, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const ns = resourceForKind(o.kind)?.namespaced ? `${o.metadata.namespace || "default"}/` : "";
  return `error when creating ${o.kind} "${ns}${o.metadata.name ?? o.metadata.generateName ?? ""}": ${msg}`;
}

async function applyOne(registry: Registry, o: KubeObject): Promise<void> {
  try {
    await registry.create(o);
  } catch (e) {
    if (!isStatusError(e, "AlreadyExists")) throw e;
    // The same object twice in the input (or a namespace the cluster starts with): last one wins.
    const t = resourceForKind(o.kind);
    const have = await registry.get({ kind: o.kind, namespace: t?.namespaced ? o.metadata.namespace : undefined, name: o.metadata.name ?? "" });
    if (o.kind === "Namespace") return;
    await registry.update({ ...o, metadata: { ...o.metadata, resourceVersion: have.metadata.resourceVersion } });
  }
}

export async function convergeCluster(input: KubeObject[], opts: ConvergeOptions): Promise<ConvergedCluster> {
  // The API server's address as the lab has it (the relay at the node network's gateway), so
  // the `kubernetes` Service's endpoint offline is the one a Pod in the lab would reach.
  const nodeNet = parseCidr4(opts.settings.nodeNetwork) ?? parseCidr4("172.18.0.0/16")!;
  const apiServerAddress = { ip: formatIPv4((nodeNet.base + 1) >>> 0), port: 6443 };
  const registry = new Registry(openSqliteStore(":memory:"), opts.settings, { allocation: { mode: "sequential" }, apiServerAddress });
  const errors: string[] = [];
  try {
    const given = input.filter((o) => o.kind === "Node");
    const nodes = given.length ? given : Array.from({ length: opts.nodes }, (_, i) => offlineNode(i + 1, opts.settings));
    const ordered = [...input.filter((o) => o.kind === "Namespace"), ...nodes, ...input.filter((o) => o.kind !== "Namespace" && o.kind !== "Node")];
    for (const o of ordered) {
      try {
        await applyOne(registry, o);
      } catch (e) {
        errors.push(describe(o, e));
      }
    }
    const now = new Date(OFFLINE_EPOCH);
    const controllers = startControllers(registry, opts.settings, {
      offlinePodIPs: true,
      random: seededRandom(SEED),
      now: () => now,
      deterministic: true,
      events: false,
      log: (m) => errors.push(`controllers: ${m}`),
    });
    try {
      await controllers.idle({ timeoutMs: opts.timeoutMs ?? 60_000 });
    } finally {
      controllers.stop();
    }
    const all: KubeObject[] = [];
    for (const t of RESOURCES) all.push(...(await registry.list(t.kind)).items);
    const objects = normalizeIdentities(all.sort(compareObjects));
    return {
      objects,
      errors,
      byKind: (kind) => objects.filter((o) => o.kind === kind),
      get: (kind, ns, name) => objects.find((o) => o.kind === kind && o.metadata.name === name && (!resourceForKind(kind)?.namespaced || (o.metadata.namespace ?? "default") === (ns || "default"))),
    };
  } finally {
    registry.store.close();
  }
}
