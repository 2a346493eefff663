// StatefulSet -> Pods (upstream pkg/controller/statefulset): Pods `<name>-0..n-1` with stable
// identities (hostname = Pod name, subdomain = serviceName). OrderedReady creates one Pod at a
// time, each after its predecessors are Running and Ready, and removes from the highest
// ordinal down; Parallel creates and removes all at once. Template changes roll out from the
// highest ordinal down to the partition, one Pod at a time.
import type { Pod, StatefulSet } from "../api/types.js";
import { computeHash } from "./hash.js";
import { isPodReady, isPodTerminal } from "./pod-util.js";
import { podFromTemplate } from "./workload-util.js";

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
export const CONTROLLER_REVISION_HASH_LABEL = "controller-revision-hash";

export type StatefulSetStatus = NonNullable<StatefulSet["status"]> & {
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
};

export interface StatefulSetPlan {
  create: Pod[];
  delete: Pod[];
  status: StatefulSetStatus;
}

/** upstream always hashes with a collision count, 0 until a collision happened. */
export function statefulSetRevision(sts: StatefulSet): string {
  return `${sts.metadata.name}-${computeHash(sts.spec.template, (sts.status as StatefulSetStatus | undefined)?.collisionCount ?? 0)}`;
}

/** The ordinal of a Pod named `<set>-<n>`, or undefined for Pods that are not the set's. */
export function ordinalOf(sts: StatefulSet, pod: Pod): number | undefined {
  const prefix = `${sts.metadata.name}-`;
  const name = pod.metadata.name ?? "";
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function statefulPod(sts: StatefulSet, ordinal: number, revision: string): Pod {
  const name = `${sts.metadata.name}-${ordinal}`;
  const pod = podFromTemplate(sts.spec.template, sts, name, undefined, {
    [CONTROLLER_REVISION_HASH_LABEL]: revision,
    [POD_NAME_LABEL]: name,
    [POD_INDEX_LABEL]: String(ordinal),
  });
  pod.spec.hostname = name;
  if (sts.spec.serviceName) pod.spec.subdomain = sts.spec.serviceName;
  return pod;
}

function runningAndReady(p: Pod): boolean {
  return p.status?.phase === "Running" && isPodReady(p);
}

/** `pods`: the Pods this StatefulSet controls. */
export function planStatefulSet(sts: StatefulSet, pods: Pod[]): StatefulSetPlan {
  const replicas = sts.spec.replicas ?? 1;
  const parallel = sts.spec.podManagementPolicy === "Parallel";
  const updateRevision = statefulSetRevision(sts);
  const prevStatus = sts.status as StatefulSetStatus | undefined;
  const plan: StatefulSetPlan = { create: [], delete: [], status: { replicas: 0 } };
  const byOrdinal = new Map<number, Pod>();
  const condemned: Pod[] = [];
  for (const p of pods) {
    const o = ordinalOf(sts, p);
    if (o === undefined) continue;
    if (o < replicas) byOrdinal.set(o, p);
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(sts, b)! - ordinalOf(sts, a)!);

  let blocked = false;
  for (let i = 0; i < replicas && !blocked; i++) {
    const p = byOrdinal.get(i);
    if (!p) {
      plan.create.push(statefulPod(sts, i, updateRevision));
      if (!parallel) blocked = true;
      continue;
    }
    if (isPodTerminal(p) && !p.metadata.deletionTimestamp) {
      // A failed or finished Pod is replaced under the same name.
      plan.delete.push(p);
      if (!parallel) blocked = true;
      continue;
    }
    if (!parallel && (p.metadata.deletionTimestamp || !runningAndReady(p))) blocked = true;
  }
  if (!blocked) {
    for (const p of condemned) {
      if (p.metadata.deletionTimestamp) {
        if (!parallel) {
          blocked = true;
          break;
        }
        continue;
      }
      plan.delete.push(p);
      if (!parallel) {
        blocked = true;
        break;
      }
    }
  }
  if (!blocked && (sts.spec.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate") {
    const partition = sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    // One Pod at a time, highest ordinal first; wait while any is not yet ready again.
    const allHealthy = [...byOrdinal.values()].every((p) => !p.metadata.deletionTimestamp && runningAndReady(p));
    if (allHealthy) {
      for (let i = replicas - 1; i >= partition; i--) {
        const p = byOrdinal.get(i);
        if (p && p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== updateRevision) {
          plan.delete.push(p);
          break;
        }
      }
    }
  }

  const current = [...byOrdinal.values(), ...condemned];
  const updated = current.filter((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === updateRevision).length;
  const currentRevision = updated === current.length && current.length >= replicas ? updateRevision : (prevStatus?.currentRevision ?? updateRevision);
  const status: StatefulSetStatus = { replicas: current.length };
  if (sts.metadata.generation !== undefined) status.observedGeneration = sts.metadata.generation;
  const ready = current.filter(isPodReady).length;
  if (ready) status.readyReplicas = ready;
  const cur = current.filter((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === currentRevision).length;
  if (cur) status.currentReplicas = cur;
  if (updated) status.updatedReplicas = updated;
  status.availableReplicas = ready;
  status.currentRevision = currentRevision;
  status.updateRevision = updateRevision;
  status.collisionCount = prevStatus?.collisionCount ?? 0;
  plan.status = status;
  return plan;
}
