// podCIDR per Node (upstream's range allocator, --cluster-cidr / --node-cidr-mask-size).
// Index 0 of the cluster CIDR is left unused so that node N keeps 10.244.N.0/24, the
// address plan the lab and the docs use.
import type { Node } from "../api/types.js";
import { cidrContains, formatCidr4, parseCidr4, type Cidr4 } from "../cluster/ipv4.js";

export type NodeCidrResult = { cidr: string } | { error: string };

export interface NodeIpamPlan {
  /** node name -> what it gets (only nodes that had no podCIDR). */
  assignments: Map<string, NodeCidrResult>;
}

function subnetIndex(cluster: Cidr4, mask: number, cidr: string): number | undefined {
  const c = parseCidr4(cidr);
  if (!c || c.prefix !== mask || !cidrContains(cluster, c.base)) return undefined;
  return (c.base - cluster.base) / 2 ** (32 - mask);
}

/** Nodes come in creation order; each without a podCIDR gets the lowest free subnet. */
export function planNodeCIDRs(nodes: Node[], clusterCIDR: string, maskSize: number): NodeIpamPlan {
  const assignments = new Map<string, NodeCidrResult>();
  const cluster = parseCidr4(clusterCIDR);
  if (!cluster || !Number.isInteger(maskSize) || maskSize < cluster.prefix || maskSize > 30) {
    for (const n of nodes) if (!n.spec?.podCIDR) assignments.set(n.metadata.name ?? "", { error: `invalid cluster CIDR ${clusterCIDR} with node mask size ${maskSize}` });
    return { assignments };
  }
  const count = 2 ** (maskSize - cluster.prefix);
  const used = new Set<number>();
  for (const n of nodes) {
    for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) {
      const i = subnetIndex(cluster, maskSize, c);
      if (i !== undefined) used.add(i);
    }
  }
  let next = count > 1 ? 1 : 0;
  for (const n of nodes) {
    if (n.spec?.podCIDR) continue;
    while (next < count && used.has(next)) next++;
    const name = n.metadata.name ?? "";
    if (next >= count) {
      assignments.set(name, { error: `failed to allocate cidr from cluster cidr at idx:0: CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range` });
      continue;
    }
    used.add(next);
    assignments.set(name, { cidr: formatCidr4({ base: (cluster.base + next * 2 ** (32 - maskSize)) >>> 0, prefix: maskSize }) });
  }
  return { assignments };
}
