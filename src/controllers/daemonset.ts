// DaemonSet -> one Pod per eligible Node (upstream pkg/controller/daemon). Eligibility is the
// template's nodeSelector; like upstream, daemon Pods tolerate unschedulable and not-ready
// nodes. Pods get spec.nodeName directly. A template change replaces Pods one node at a time.
import type { DaemonSet, Node, Pod } from "../api/types.js";
import { computeHash } from "./hash.js";
import { isPodActive, isPodReady, naturalCompare } from "./pod-util.js";
import { generateName, type RandomSource } from "./random.js";
import { CONTROLLER_REVISION_HASH_LABEL } from "./statefulset.js";
import { byCreation, podFromTemplate } from "./workload-util.js";

export const POD_TEMPLATE_GENERATION_LABEL = "pod-template-generation";

export type DaemonSetStatus = NonNullable<DaemonSet["status"]> & {
  numberAvailable?: number;
  numberUnavailable?: number;
  updatedNumberScheduled?: number;
};

export interface DaemonSetPlan {
  create: Pod[];
  delete: Pod[];
  status: DaemonSetStatus;
}

export function daemonSetShouldRun(ds: DaemonSet, node: Node): boolean {
  const sel = ds.spec.template.spec.nodeSelector ?? {};
  const labels = node.metadata.labels ?? {};
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

export function daemonSetRevision(ds: DaemonSet): string {
  return computeHash(ds.spec.template);
}

/** `pods`: the Pods this DaemonSet controls. */
export function planDaemonSet(ds: DaemonSet, nodes: Node[], pods: Pod[], rand: RandomSource): DaemonSetPlan {
  const revision = daemonSetRevision(ds);
  const plan: DaemonSetPlan = { create: [], delete: [], status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 } };
  const byNode = new Map<string, Pod[]>();
  for (const p of pods) {
    if (!isPodActive(p) || !p.spec.nodeName) continue;
    byNode.set(p.spec.nodeName, [...(byNode.get(p.spec.nodeName) ?? []), p]);
  }
  const names = new Set(pods.map((p) => p.metadata.name));
  const base = `${ds.metadata.name}-`;
  let desired = 0, current = 0, mis = 0, ready = 0, updated = 0;
  const outdated: Pod[] = [];
  let allReady = true;
  for (const node of [...nodes].sort((a, b) => naturalCompare(a.metadata.name ?? "", b.metadata.name ?? ""))) {
    const nodeName = node.metadata.name ?? "";
    const here = (byNode.get(nodeName) ?? []).sort(byCreation);
    byNode.delete(nodeName);
    if (!daemonSetShouldRun(ds, node)) {
      if (here.length) mis++;
      plan.delete.push(...here);
      continue;
    }
    desired++;
    if (here.length === 0) {
      let name = generateName(base, rand);
      while (names.has(name)) name = generateName(base, rand);
      names.add(name);
      const extra: Record<string, string> = { [CONTROLLER_REVISION_HASH_LABEL]: revision };
      if (ds.metadata.generation !== undefined) extra[POD_TEMPLATE_GENERATION_LABEL] = String(ds.metadata.generation);
      const pod = podFromTemplate(ds.spec.template, ds, name, base, extra);
      pod.spec.nodeName = nodeName;
      plan.create.push(pod);
      allReady = false;
      continue;
    }
    current++;
    // Keep the oldest Pod on a node, delete the extras.
    plan.delete.push(...here.slice(1));
    const p = here[0];
    if (isPodReady(p)) ready++;
    else allReady = false;
    if (p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === revision) updated++;
    else outdated.push(p);
  }
  // Pods on nodes that no longer exist.
  for (const rest of byNode.values()) plan.delete.push(...rest);
  if (allReady && outdated.length && (ds.spec.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate") plan.delete.push(outdated[0]);
  const status: DaemonSetStatus = { currentNumberScheduled: current, desiredNumberScheduled: desired, numberMisscheduled: mis, numberReady: ready };
  if (ds.metadata.generation !== undefined) status.observedGeneration = ds.metadata.generation;
  if (ready) status.numberAvailable = ready;
  if (desired - ready > 0) status.numberUnavailable = desired - ready;
  if (updated) status.updatedNumberScheduled = updated;
  plan.status = status;
  return plan;
}
