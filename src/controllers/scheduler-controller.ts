// The scheduler loop: binds each Pod without a node to the least-loaded fitting Node
// (scheduler.ts). Pods that fit nowhere get PodScheduled=False and are retried when nodes change.
import type { Node, Pod } from "../api/types.js";
import { canonicalJson } from "./hash.js";
import { ControllerContext, splitKey } from "./context.js";
import { objectKey } from "./informer.js";
import { isPodTerminal } from "./pod-util.js";
import { schedulePod } from "./scheduler.js";

function wantsScheduling(p: Pod): boolean {
  return !p.spec.nodeName && !isPodTerminal(p) && !p.metadata.deletionTimestamp && (p.spec.schedulerName ?? "default-scheduler") === "default-scheduler";
}

export function startScheduler(ctx: ControllerContext): void {
  const pods = ctx.informers.for<Pod>("Pod");
  const nodes = ctx.informers.for<Node>("Node");

  const q = ctx.queue("scheduler", async (key) => {
    const { namespace, name } = splitKey(key);
    const pod = pods.get(namespace, name);
    if (!pod || !wantsScheduling(pod)) return;
    const r = schedulePod(pod, nodes.list(), pods.list());
    if ("error" in r) {
      const cond = { type: "PodScheduled", status: "False" as const, reason: "Unschedulable", message: r.error };
      const others = (pod.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled");
      const old = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
      if (old && old.status === "False" && old.message === r.error) return;
      await ctx.updateStatus({ ...pod, status: { ...(pod.status ?? {}), conditions: [...others, { ...cond, lastTransitionTime: ctx.timestamp() }] } });
      await ctx.event(pod, "Warning", "FailedScheduling", r.error, "default-scheduler");
      return;
    }
    // The binding: nodeName may be set once on an unscheduled Pod.
    const bound = await ctx.update({ ...pod, spec: { ...pod.spec, nodeName: r.node } });
    if (!bound) return;
    const conds = (bound.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled");
    const status = { ...(bound.status ?? {}), conditions: [...conds, { type: "PodScheduled", status: "True" as const, lastTransitionTime: ctx.timestamp() }] };
    if (canonicalJson(status) !== canonicalJson(bound.status)) await ctx.updateStatus({ ...bound, status });
    await ctx.event(bound, "Normal", "Scheduled", `Successfully assigned ${bound.metadata.namespace}/${bound.metadata.name} to ${r.node}`, "default-scheduler");
  });

  pods.on((t, p) => {
    if (t !== "delete" && wantsScheduling(p)) q.add(objectKey(p));
  });
  nodes.on(() => {
    for (const p of pods.list()) if (wantsScheduling(p)) q.add(objectKey(p));
  });
}
