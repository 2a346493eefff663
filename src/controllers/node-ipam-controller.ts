// The node IPAM loop: every Node without a podCIDR gets the next free one (node-ipam.ts).
import type { Node } from "../api/types.js";
import { ControllerContext } from "./context.js";
import { planNodeCIDRs } from "./node-ipam.js";
import { byCreation } from "./workload-util.js";

export function startNodeIpamController(ctx: ControllerContext): void {
  const nodes = ctx.informers.for<Node>("Node");
  const q = ctx.queue("nodeipam", async () => {
    const all = nodes.list().sort(byCreation);
    const plan = planNodeCIDRs(all, ctx.settings.clusterCIDR, ctx.settings.nodeCIDRMaskSize);
    for (const n of all) {
      const r = plan.assignments.get(n.metadata.name ?? "");
      if (!r) continue;
      if ("error" in r) {
        await ctx.event(n, "Normal", "CIDRNotAvailable", `Node ${n.metadata.name} status is now: CIDRNotAvailable`, "cidrAllocator");
        continue;
      }
      await ctx.update({ ...n, spec: { ...(n.spec ?? {}), podCIDR: r.cidr, podCIDRs: [r.cidr] } });
    }
  });
  nodes.on((t, n) => {
    if (t !== "delete" && !n.spec?.podCIDR) q.add("nodes");
  });
}
