// Pod garbage collection (upstream podgc, the part that matters here): Pods bound to a Node
// that was deleted are deleted, so their workload controllers replace them elsewhere.
import type { Node, Pod } from "../api/types.js";
import { ControllerContext, splitKey } from "./context.js";
import { objectKey } from "./informer.js";

export function startPodGC(ctx: ControllerContext): void {
  const pods = ctx.informers.for<Pod>("Pod");
  const nodes = ctx.informers.for<Node>("Node");
  const q = ctx.queue("podgc", async (key) => {
    const { namespace, name } = splitKey(key);
    const p = pods.get(namespace, name);
    if (!p || !p.spec.nodeName || nodes.get(undefined, p.spec.nodeName)) return;
    await ctx.delete(p);
    await ctx.event(p, "Normal", "NodeNotFound", `Deleting pod ${p.metadata.name}: its node ${p.spec.nodeName} no longer exists`, "pod-garbage-collector");
  });
  nodes.on((t, n) => {
    if (t !== "delete") return;
    for (const p of pods.list()) if (p.spec.nodeName === n.metadata.name) q.add(objectKey(p));
  });
}
