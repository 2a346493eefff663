// A small scheduler: filter nodes as upstream's default plugins would for our fields
// (nodeName, nodeSelector, unschedulable, NotReady), then spread: first the node with the
// fewest Pods of the same controller (upstream's default topology spreading keeps a
// workload's replicas apart), then the node with the fewest Pods, then by name (node-2
// before node-10).
import type { Node, Pod } from "../api/types.js";
import { isPodTerminal, naturalCompare } from "./pod-util.js";

function controllerUid(p: Pod): string | undefined {
  return p.metadata.ownerReferences?.find((o) => o.controller)?.uid;
}

export type ScheduleResult = { node: string } | { error: string };

function nodeReady(n: Node): boolean {
  const c = (n.status?.conditions ?? []).find((x) => x.type === "Ready");
  return !c || c.status === "True";
}

export function podFitsNode(pod: Pod, node: Node): string | undefined {
  if (node.spec?.unschedulable) return "node(s) were unschedulable";
  if (!nodeReady(node)) return "node(s) had untolerated taint {node.kubernetes.io/not-ready: }";
  const sel = pod.spec.nodeSelector ?? {};
  const labels = node.metadata.labels ?? {};
  if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

/** `pods`: every Pod in the cluster (their spec.nodeName gives each node's load). */
export function schedulePod(pod: Pod, nodes: Node[], pods: Pod[]): ScheduleResult {
  if (pod.spec.nodeName) return { node: pod.spec.nodeName };
  const load = new Map<string, number>();
  const siblings = new Map<string, number>();
  const owner = controllerUid(pod);
  for (const p of pods) {
    if (!p.spec.nodeName || isPodTerminal(p)) continue;
    load.set(p.spec.nodeName, (load.get(p.spec.nodeName) ?? 0) + 1);
    if (owner && controllerUid(p) === owner) siblings.set(p.spec.nodeName, (siblings.get(p.spec.nodeName) ?? 0) + 1);
  }
  const reasons = new Map<string, number>();
  const fit: Node[] = [];
  for (const n of nodes) {
    const why = podFitsNode(pod, n);
    if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
    else fit.push(n);
  }
  if (fit.length === 0) {
    if (nodes.length === 0) return { error: "no nodes available to schedule pods" };
    const parts = [...reasons].map(([why, n]) => `${n} ${why}`).sort();
    return { error: `0/${nodes.length} nodes are available: ${parts.join(", ")}.` };
  }
  const count = (m: Map<string, number>, n: Node) => m.get(n.metadata.name ?? "") ?? 0;
  fit.sort((a, b) => count(siblings, a) - count(siblings, b) || count(load, a) - count(load, b) || naturalCompare(a.metadata.name ?? "", b.metadata.name ?? ""));
  return { node: fit[0].metadata.name ?? "" };
}
