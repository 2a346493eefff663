// Deployment -> ReplicaSets (upstream pkg/controller/deployment): a ReplicaSet per pod template
// named `<deploy>-<pod-template-hash>`, revision annotations so old templates can be rolled
// back to, rolling updates bounded by maxSurge/maxUnavailable (Recreate: all old down first),
// cleanup beyond revisionHistoryLimit, and status. Each plan is one level-triggered step.
import type { Deployment, PodTemplateSpec, ReplicaSet } from "../api/types.js";
import { canonicalJson, computeHash, semanticNormalize } from "./hash.js";
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
  return canonicalJson(semanticNormalize(stripHash(a))) === canonicalJson(semanticNormalize(stripHash(b)));
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

/**
 * upstream DeploymentController.scale: the sizes of the active ReplicaSets after a scaling
 * event. One active ReplicaSet (or none: the newest) takes the whole count; a saturated new
 * ReplicaSet means the old ones go to zero; otherwise, for rolling updates, the difference to
 * replicas+maxSurge is spread in proportion to each ReplicaSet's share (its size against the
 * max-replicas it was sized for), leftovers to the largest.
 */
export function proportionalSizes(d: Deployment, newRS: ReplicaSet | undefined, olds: ReplicaSet[], maxSurge: number): Map<string, number> {
  const replicas = d.spec.replicas ?? 1;
  const out = new Map<string, number>();
  const name = (rs: ReplicaSet) => rs.metadata.name ?? "";
  const created = (rs: ReplicaSet) => rs.metadata.creationTimestamp ?? "";
  const activeRS = [...(newRS ? [newRS] : []), ...olds].filter((rs) => specReplicas(rs) > 0);
  if (activeRS.length <= 1) {
    const newestOld = [...olds].sort((a, b) => created(b).localeCompare(created(a)) || name(b).localeCompare(name(a)))[0];
    const target = activeRS[0] ?? newRS ?? newestOld;
    if (target) out.set(name(target), replicas);
    return out;
  }
  const desiredOf = (rs: ReplicaSet) => Number(rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] ?? NaN);
  if (newRS && specReplicas(newRS) === replicas && desiredOf(newRS) === replicas && available(newRS) === replicas) {
    for (const rs of olds) if (specReplicas(rs) > 0) out.set(name(rs), 0);
    return out;
  }
  if (d.spec.strategy?.type === "Recreate") return out;
  const allReplicas = activeRS.reduce((n, rs) => n + specReplicas(rs), 0);
  const allowed = replicas > 0 ? replicas + maxSurge : 0;
  const toAdd = allowed - allReplicas;
  // Larger first; on equal sizes newer first when growing, older first when shrinking.
  const sorted = [...activeRS].sort((a, b) => specReplicas(b) - specReplicas(a) || (toAdd > 0 ? created(b).localeCompare(created(a)) : created(a).localeCompare(created(b))) || name(a).localeCompare(name(b)));
  const fraction = (rs: ReplicaSet) => {
    if (replicas === 0) return -specReplicas(rs);
    const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION] ?? d.status?.replicas ?? 0);
    if (!annotated) return 0;
    return Math.round((specReplicas(rs) * (replicas + maxSurge)) / annotated) - specReplicas(rs);
  };
  let added = 0;
  for (const rs of sorted) {
    let size = specReplicas(rs);
    if (toAdd !== 0 && toAdd !== added) {
      const left = toAdd - added;
      const p = toAdd > 0 ? Math.min(fraction(rs), left) : Math.max(fraction(rs), left);
      size += p;
      added += p;
    }
    out.set(name(rs), size);
  }
  if (toAdd !== 0) {
    const first = name(sorted[0]);
    out.set(first, Math.max(0, out.get(first)! + toAdd - added));
  }
  return out;
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
  const byAge = (a: ReplicaSet, b: ReplicaSet) =>
    (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");
  const found = [...live].sort(byAge).find((rs) => templatesEqualIgnoringHash(rs.spec.template, d.spec.template));
  let newName = found?.metadata.name;
  const cur = (rs: ReplicaSet) => updates.get(rs.metadata.name ?? "") ?? rs;
  const current = () => (newName === undefined ? undefined : plan.create?.metadata.name === newName ? plan.create : cur(live.find((rs) => rs.metadata.name === newName)!));
  const olds = () => live.filter((rs) => rs.metadata.name !== newName).map(cur);
  const maxOldRevision = Math.max(0, ...olds().map(revisionOf));
  const { maxSurge, maxUnavailable } = resolveFenceposts(d);
  const setNew = (rs: ReplicaSet) => (plan.create?.metadata.name === rs.metadata.name ? (plan.create = rs) : put(rs));

  if (found && revisionOf(found) <= maxOldRevision) {
    // A rollback makes an old ReplicaSet new again: it gets the next revision, and keeps a history.
    const history = [found.metadata.annotations?.[REVISION_HISTORY_ANNOTATION], String(revisionOf(found))].filter(Boolean).join(",");
    const ann: Record<string, string> = { ...(found.metadata.annotations ?? {}), [REVISION_ANNOTATION]: String(maxOldRevision + 1) };
    if (revisionOf(found) > 0) ann[REVISION_HISTORY_ANNOTATION] = history;
    put({ ...found, metadata: { ...found.metadata, annotations: ann } });
  }

  // A changed replica count (or a paused Deployment) is a scaling event: every active
  // ReplicaSet is resized in proportion instead of advancing the rollout.
  const active = (rs: ReplicaSet) => specReplicas(rs) > 0;
  const scalingEvent = live.map(cur).some((rs) => {
    const want = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
    return active(rs) && want !== undefined && Number(want) !== replicas;
  });
  const rollout = !d.spec.paused && !scalingEvent;

  if (!rollout) {
    for (const [name, size] of proportionalSizes(d, current(), olds(), maxSurge)) {
      const rs = cur(live.find((x) => x.metadata.name === name)!);
      const ann = rs.metadata.annotations ?? {};
      if (specReplicas(rs) !== size || ann[DESIRED_REPLICAS_ANNOTATION] !== String(replicas) || ann[MAX_REPLICAS_ANNOTATION] !== String(replicas + maxSurge)) put(withReplicas(rs, size, d));
    }
  } else if (!found) {
    const total = olds().reduce((n, rs) => n + specReplicas(rs), 0);
    if (d.spec.strategy?.type === "Recreate") {
      // Recreate makes the new ReplicaSet only once every old Pod is gone.
      const oldRunning = olds().some((rs) => specReplicas(rs) > 0 || (rs.status?.replicas ?? 0) > 0);
      if (oldRunning) {
        for (const rs of olds()) if (specReplicas(rs) > 0) put(withReplicas(rs, 0, d));
      } else {
        plan.create = buildNewReplicaSet(d, maxOldRevision + 1, replicas, collisionCount);
      }
    } else {
      const room = replicas + maxSurge - total;
      const initial = total === 0 ? replicas : Math.max(0, Math.min(room, replicas));
      plan.create = buildNewReplicaSet(d, maxOldRevision + 1, initial, collisionCount);
    }
    newName = plan.create?.metadata.name;
  } else if (d.spec.strategy?.type === "Recreate") {
    const nrs = current()!;
    const oldActive = olds().filter(active);
    if (oldActive.length) for (const rs of oldActive) put(withReplicas(rs, 0, d));
    else if (olds().every((rs) => (rs.status?.replicas ?? 0) === 0) && specReplicas(nrs) !== replicas) setNew(withReplicas(nrs, replicas, d));
  } else {
    const all = () => [current()!, ...olds()];
    const nrs = current()!;
    let scaledUp = false;
    // reconcileNewReplicaSet
    if (specReplicas(nrs) > replicas) {
      setNew(withReplicas(nrs, replicas, d));
      scaledUp = true;
    } else if (specReplicas(nrs) < replicas) {
      const currentPods = all().reduce((n, rs) => n + specReplicas(rs), 0);
      const maxTotal = replicas + maxSurge;
      if (currentPods < maxTotal) {
        const up = Math.min(maxTotal - currentPods, replicas - specReplicas(nrs));
        setNew(withReplicas(nrs, specReplicas(nrs) + up, d));
        scaledUp = true;
      }
    }
    if (!scaledUp) {
      // reconcileOldReplicaSets
      const oldPods = olds().reduce((n, rs) => n + specReplicas(rs), 0);
      if (oldPods > 0) {
        const allPods = all().reduce((n, rs) => n + specReplicas(rs), 0);
        const minAvailable = replicas - maxUnavailable;
        const newRS = current()!;
        const newUnavailable = specReplicas(newRS) - available(newRS);
        let maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown > 0) {
          // First the old ReplicaSets' unhealthy Pods, which cost no availability.
          for (const rs of olds().sort(byAge)) {
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
          for (const rs of olds().sort(byAge)) {
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

  const finalAll = [...(plan.create ? [plan.create] : []), ...live.map(cur)];
  const finalNew = current();
  const finalOld = finalAll.filter((rs) => rs.metadata.name !== newName);

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
