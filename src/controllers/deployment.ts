// Deployment -> ReplicaSets (upstream pkg/controller/deployment): a ReplicaSet per pod template
// named `<deploy>-<pod-template-hash>`, revision annotations so old templates can be rolled
// back to, rolling updates bounded by maxSurge/maxUnavailable (Recreate: all old down first),
// cleanup beyond revisionHistoryLimit, and status. Each plan is one level-triggered step.
import type { Deployment, PodTemplateSpec, ReplicaSet } from "../api/types.js";
import { canonicalJson, computeHash } from "./hash.js";
import { controllerRef, scaledValue } from "./workload-util.js";

export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export type DeploymentStatus = NonNullable<Deployment["status"]> & { collisionCount?: number };
type Condition = NonNullable<DeploymentStatus["conditions"]>[number] & { lastUpdateTime?: string; lastTransitionTime?: string };

export interface DeploymentPlan {
  create?: ReplicaSet;
  /** ReplicaSets to write (new replica counts and/or annotations). */
  update: ReplicaSet[];
  delete: ReplicaSet[];
  /** Annotations the Deployment itself should carry (the revision). */
  annotations: Record<string, string>;
  status: DeploymentStatus;
}

export function revisionOf(rs: ReplicaSet): number {
  const n = Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? "0");
  return Number.isFinite(n) ? n : 0;
}

function stripHash(t: PodTemplateSpec): PodTemplateSpec {
  const c = JSON.parse(JSON.stringify(t)) as PodTemplateSpec;
  if (c.metadata?.labels) {
    delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  return c;
}

/** upstream EqualIgnoreHash: templates equal once the pod-template-hash label is removed. */
export function templatesEqualIgnoringHash(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return canonicalJson(stripHash(a)) === canonicalJson(stripHash(b));
}

/** upstream ResolveFenceposts: surge rounds up, unavailable down; both 0 means 1 unavailable. */
export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === "Recreate") return { maxSurge: 0, maxUnavailable: replicas };
  const ru = d.spec.strategy?.rollingUpdate ?? {};
  const maxSurge = scaledValue(ru.maxSurge, replicas, true, "25%");
  let maxUnavailable = scaledValue(ru.maxUnavailable, replicas, false, "25%");
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

function specReplicas(rs: ReplicaSet): number {
  return rs.spec.replicas ?? 1;
}
function available(rs: ReplicaSet): number {
  return rs.status?.availableReplicas ?? 0;
}

export function newReplicaSetName(d: Deployment, collisionCount?: number): { name: string; hash: string } {
  const hash = computeHash(d.spec.template, collisionCount);
  return { name: `${d.metadata.name}-${hash}`, hash };
}

function copyDeploymentAnnotations(d: Deployment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (k === LAST_APPLIED || k === REVISION_ANNOTATION || k === REVISION_HISTORY_ANNOTATION || k === DESIRED_REPLICAS_ANNOTATION || k === MAX_REPLICAS_ANNOTATION) continue;
    out[k] = v;
  }
  return out;
}

function buildNewReplicaSet(d: Deployment, revision: number, replicas: number, collisionCount: number | undefined): ReplicaSet {
  const { name, hash } = newReplicaSetName(d, collisionCount);
  const template = JSON.parse(JSON.stringify(d.spec.template)) as PodTemplateSpec;
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  const { maxSurge } = resolveFenceposts(d);
  const selector = JSON.parse(JSON.stringify(d.spec.selector)) as ReplicaSet["spec"]["selector"];
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const spec: ReplicaSet["spec"] = { replicas, selector, template };
  if (d.spec.minReadySeconds) spec.minReadySeconds = d.spec.minReadySeconds;
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace: d.metadata.namespace ?? "default",
      labels: { ...(d.spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash },
      annotations: {
        ...copyDeploymentAnnotations(d),
        [DESIRED_REPLICAS_ANNOTATION]: String(d.spec.replicas ?? 1),
        [MAX_REPLICAS_ANNOTATION]: String((d.spec.replicas ?? 1) + maxSurge),
        [REVISION_ANNOTATION]: String(revision),
      },
      ownerReferences: [controllerRef(d)],
    },
    spec,
  };
}

function withReplicas(rs: ReplicaSet, replicas: number, d: Deployment): ReplicaSet {
  const { maxSurge } = resolveFenceposts(d);
  return {
    ...rs,
    metadata: {
      ...rs.metadata,
      annotations: {
        ...(rs.metadata.annotations ?? {}),
        [DESIRED_REPLICAS_ANNOTATION]: String(d.spec.replicas ?? 1),
        [MAX_REPLICAS_ANNOTATION]: String((d.spec.replicas ?? 1) + maxSurge),
      },
    },
    spec: { ...rs.spec, replicas },
  };
}

function condition(type: string, status: string, reason: string, message: string, prev: Condition[] | undefined, now: string): Condition {
  const old = prev?.find((c) => c.type === type);
  const sameStatus = old && old.status === status;
  const same = sameStatus && old.reason === reason && old.message === message;
  return {
    type,
    status,
    lastUpdateTime: same ? (old.lastUpdateTime ?? now) : now,
    lastTransitionTime: sameStatus ? (old.lastTransitionTime ?? now) : now,
    reason,
    message,
  };
}

/**
 * One sync of a Deployment. `replicaSets`: the ReplicaSets it controls. `collisionCount` is the
 * status value to use (the loop raises it when the computed name is taken by a stranger).
 */
export function planDeployment(d: Deployment, replicaSets: ReplicaSet[], now: Date): DeploymentPlan {
  const nowStr = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const collisionCount = (d.status as DeploymentStatus | undefined)?.collisionCount;
  const replicas = d.spec.replicas ?? 1;
  const live = replicaSets.filter((rs) => !rs.metadata.deletionTimestamp);
  const plan: DeploymentPlan = { update: [], delete: [], annotations: {}, status: {} };
  const updates = new Map<string, ReplicaSet>();
  const put = (rs: ReplicaSet) => updates.set(rs.metadata.name ?? "", rs);

  // The new ReplicaSet: the oldest one whose template equals the Deployment's.
  const sortedByAge = [...live].sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  let newRS = sortedByAge.find((rs) => templatesEqualIgnoringHash(rs.spec.template, d.spec.template));
  const olds = () => live.filter((rs) => rs !== newRS).map((rs) => updates.get(rs.metadata.name ?? "") ?? rs);
  const maxOldRevision = Math.max(0, ...live.filter((rs) => rs !== newRS).map(revisionOf));
  const { maxSurge, maxUnavailable } = resolveFenceposts(d);
  let created = false;

  if (newRS) {
    // A rollback makes an old ReplicaSet new again: it gets the next revision, and keeps a history.
    if (revisionOf(newRS) <= maxOldRevision) {
      const history = [newRS.metadata.annotations?.[REVISION_HISTORY_ANNOTATION], String(revisionOf(newRS))].filter(Boolean).join(",");
      const ann: Record<string, string> = { ...(newRS.metadata.annotations ?? {}), [REVISION_ANNOTATION]: String(maxOldRevision + 1) };
      if (revisionOf(newRS) > 0) ann[REVISION_HISTORY_ANNOTATION] = history;
      newRS = { ...newRS, metadata: { ...newRS.metadata, annotations: ann } };
      put(newRS);
    }
  } else if (!d.spec.paused) {
    const current = olds().reduce((n, rs) => n + specReplicas(rs), 0);
    if (d.spec.strategy?.type === "Recreate") {
      // Recreate makes the new ReplicaSet only once every old Pod is gone.
      const oldRunning = olds().some((rs) => specReplicas(rs) > 0 || (rs.status?.replicas ?? 0) > 0);
      if (oldRunning) {
        for (const rs of olds()) if (specReplicas(rs) > 0) put(withReplicas(rs, 0, d));
      } else {
        plan.create = newRS = buildNewReplicaSet(d, maxOldRevision + 1, replicas, collisionCount);
        created = true;
      }
    } else {
      const room = replicas + maxSurge - current;
      const initial = current === 0 ? replicas : Math.max(0, Math.min(room, replicas));
      plan.create = newRS = buildNewReplicaSet(d, maxOldRevision + 1, initial, collisionCount);
      created = true;
    }
  }

  if (!d.spec.paused && newRS && !created) {
    if (d.spec.strategy?.type === "Recreate") {
      const oldActive = olds().filter((rs) => specReplicas(rs) > 0);
      if (oldActive.length) for (const rs of oldActive) put(withReplicas(rs, 0, d));
      else if (olds().every((rs) => (rs.status?.replicas ?? 0) === 0) && specReplicas(newRS) !== replicas) {
        put((newRS = withReplicas(updates.get(newRS.metadata.name ?? "") ?? newRS, replicas, d)));
      }
    } else {
      const all = () => [newRS!, ...olds()];
      const cur = updates.get(newRS.metadata.name ?? "") ?? newRS;
      let scaledUp = false;
      // reconcileNewReplicaSet
      if (specReplicas(cur) > replicas) {
        put((newRS = withReplicas(cur, replicas, d)));
        scaledUp = true;
      } else if (specReplicas(cur) < replicas) {
        if (olds().every((rs) => specReplicas(rs) === 0)) {
          put((newRS = withReplicas(cur, replicas, d)));
          scaledUp = true;
        } else {
          const currentPods = all().reduce((n, rs) => n + specReplicas(rs), 0);
          const maxTotal = replicas + maxSurge;
          if (currentPods < maxTotal) {
            const up = Math.min(maxTotal - currentPods, replicas - specReplicas(cur));
            put((newRS = withReplicas(cur, specReplicas(cur) + up, d)));
            scaledUp = true;
          }
        }
      }
      if (!scaledUp) {
        // reconcileOldReplicaSets
        const oldPods = olds().reduce((n, rs) => n + specReplicas(rs), 0);
        if (oldPods > 0) {
          const allPods = all().reduce((n, rs) => n + specReplicas(rs), 0);
          const minAvailable = replicas - maxUnavailable;
          const newUnavailable = specReplicas(newRS) - available(newRS);
          let maxScaledDown = allPods - minAvailable - newUnavailable;
          if (maxScaledDown > 0) {
            const oldByAge = olds().sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
            // First the old ReplicaSets' unhealthy Pods, which cost no availability.
            for (const rs of oldByAge) {
              if (maxScaledDown <= 0) break;
              const unhealthy = specReplicas(rs) - available(rs);
              if (unhealthy <= 0) continue;
              const down = Math.min(maxScaledDown, unhealthy);
              put(withReplicas(rs, specReplicas(rs) - down, d));
              maxScaledDown -= down;
            }
            // Then healthy ones, as far as minAvailable allows.
            const availableNow = all().reduce((n, rs) => n + Math.min(available(rs), specReplicas(rs)), 0);
            let total = Math.min(maxScaledDown, availableNow - minAvailable);
            for (const rs of olds().sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""))) {
              if (total <= 0) break;
              if (specReplicas(rs) === 0) continue;
              const down = Math.min(specReplicas(rs), total);
              put(withReplicas(rs, specReplicas(rs) - down, d));
              total -= down;
            }
          }
        }
      }
    }
  }

  const finalAll = [...(plan.create ? [plan.create] : []), ...live.map((rs) => updates.get(rs.metadata.name ?? "") ?? rs)];
  const finalNew = plan.create ?? (newRS ? (updates.get(newRS.metadata.name ?? "") ?? newRS) : undefined);
  const finalOld = finalAll.filter((rs) => rs !== finalNew);

  // Cleanup of history only once the rollout is complete.
  const complete =
    !!finalNew &&
    !plan.create &&
    specReplicas(finalNew) === replicas &&
    available(finalNew) >= replicas &&
    finalOld.every((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0);
  if (complete || d.spec.paused) {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const cleanable = finalOld.filter((rs) => !rs.metadata.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b));
    const diff = cleanable.length - limit;
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i];
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      plan.delete.push(rs);
      updates.delete(rs.metadata.name ?? "");
    }
  }
  plan.update = [...updates.values()];
  if (finalNew) plan.annotations[REVISION_ANNOTATION] = finalNew.metadata.annotations?.[REVISION_ANNOTATION] ?? "1";

  // Status (calculateStatus + rollout conditions).
  const sum = (f: (rs: ReplicaSet) => number, list: ReplicaSet[]) => list.reduce((n, rs) => n + f(rs), 0);
  const statusReplicas = sum((rs) => rs.status?.replicas ?? 0, finalAll);
  const updated = finalNew ? (finalNew.status?.replicas ?? 0) : 0;
  const ready = sum((rs) => rs.status?.readyReplicas ?? 0, finalAll);
  const avail = sum(available, finalAll);
  const total = sum(specReplicas, finalAll);
  const status: DeploymentStatus = {};
  if (d.metadata.generation !== undefined) status.observedGeneration = d.metadata.generation;
  if (statusReplicas) status.replicas = statusReplicas;
  if (updated) status.updatedReplicas = updated;
  if (ready) status.readyReplicas = ready;
  if (avail) status.availableReplicas = avail;
  const unavailable = Math.max(total - avail, 0);
  if (unavailable) status.unavailableReplicas = unavailable;
  if (collisionCount) status.collisionCount = collisionCount;
  const prev = d.status?.conditions as Condition[] | undefined;
  const conds: Condition[] = [];
  conds.push(
    avail >= replicas - maxUnavailable
      ? condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", prev, nowStr)
      : condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", prev, nowStr),
  );
  if (finalNew) {
    const rsName = finalNew.metadata.name;
    const done = updated === replicas && statusReplicas === replicas && avail === replicas && !plan.create;
    if (done) conds.push(condition("Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "${rsName}" has successfully progressed.`, prev, nowStr));
    else if (plan.create) conds.push(condition("Progressing", "True", "NewReplicaSetCreated", `Created new replica set "${rsName}"`, prev, nowStr));
    else conds.push(condition("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "${rsName}" is progressing.`, prev, nowStr));
  }
  status.conditions = conds;
  plan.status = status;
  return plan;
}
