// ReplicaSet -> Pods (upstream pkg/controller/replicaset): keep `replicas` active Pods named
// `<rs>-<5 random>`, delete the least valuable ones first when there are too many, and report
// status.
import type { Pod, ReplicaSet } from "../api/types.js";
import { isPodActive, isPodReady } from "./pod-util.js";
import { generateName, type RandomSource } from "./random.js";
import { selectorMatches } from "./selector.js";
import { podFromTemplate } from "./workload-util.js";

export interface ReplicaSetPlan {
  create: Pod[];
  delete: Pod[];
  status: NonNullable<ReplicaSet["status"]>;
  /** Milliseconds until a Ready Pod passes minReadySeconds (sync again then), if any. */
  recheckAfterMs?: number;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function readySince(p: Pod): string | undefined {
  return p.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True")?.lastTransitionTime;
}

/** upstream ActivePods ordering: the Pod to delete first sorts first. */
export function comparePodsForDeletion(a: Pod, b: Pod): number {
  const na = a.spec.nodeName ? 1 : 0;
  const nb = b.spec.nodeName ? 1 : 0;
  if (na !== nb) return na - nb;
  const pa = PHASE_RANK[a.status?.phase ?? "Pending"] ?? 0;
  const pb = PHASE_RANK[b.status?.phase ?? "Pending"] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  if (ra && rb) {
    // Ready for less time goes first.
    const ta = readySince(a) ?? "";
    const tb = readySince(b) ?? "";
    if (ta !== tb) return ta > tb ? -1 : 1;
  }
  const restarts = (p: Pod) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount));
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const ca = a.metadata.creationTimestamp ?? "";
  const cb = b.metadata.creationTimestamp ?? "";
  if (ca !== cb) return ca > cb ? -1 : 1; // newer first
  const xa = a.metadata.name ?? "";
  const xb = b.metadata.name ?? "";
  return xa > xb ? -1 : xa < xb ? 1 : 0;
}

function isAvailable(p: Pod, minReadySeconds: number, now: Date): boolean {
  if (!isPodReady(p)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readySince(p);
  return !!since && Date.parse(since) + minReadySeconds * 1000 <= now.getTime();
}

/** `pods`: the Pods this ReplicaSet controls (ownerReference with controller: true). */
export function planReplicaSet(rs: ReplicaSet, pods: Pod[], rand: RandomSource, now: Date): ReplicaSetPlan {
  const active = pods.filter(isPodActive);
  const want = rs.spec.replicas ?? 1;
  const plan: ReplicaSetPlan = { create: [], delete: [], status: { replicas: 0 } };
  const base = `${rs.metadata.name}-`;
  const names = new Set(pods.map((p) => p.metadata.name));
  if (active.length < want) {
    for (let i = active.length; i < want; i++) {
      let name = generateName(base, rand);
      while (names.has(name)) name = generateName(base, rand);
      names.add(name);
      plan.create.push(podFromTemplate(rs.spec.template, rs, name, base));
    }
  } else if (active.length > want) {
    plan.delete = [...active].sort(comparePodsForDeletion).slice(0, active.length - want);
  }
  const minReady = rs.spec.minReadySeconds ?? 0;
  const templateLabels = rs.spec.template.metadata?.labels ?? {};
  const status: ReplicaSetPlan["status"] = { replicas: active.length };
  const fully = active.filter((p) => selectorMatches({ matchLabels: templateLabels }, p.metadata.labels)).length;
  const ready = active.filter(isPodReady).length;
  const available = active.filter((p) => isAvailable(p, minReady, now)).length;
  if (fully) status.fullyLabeledReplicas = fully;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (rs.metadata.generation !== undefined) status.observedGeneration = rs.metadata.generation;
  plan.status = status;
  if (minReady > 0) {
    const waits = active
      .filter((p) => isPodReady(p) && !isAvailable(p, minReady, now))
      .map((p) => Date.parse(readySince(p) ?? "") + minReady * 1000 - now.getTime())
      .filter((ms) => Number.isFinite(ms) && ms > 0);
    if (waits.length) plan.recheckAfterMs = Math.min(...waits);
  }
  return plan;
}
