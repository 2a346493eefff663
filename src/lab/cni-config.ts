// The CNI network configuration the lab writes for each node (pure): Debian's reference
// plugins, as kubenet configures them: bridge cbr0 (gateway, hairpin) with host-local IPAM
// on the node's podCIDR, then portmap for hostPorts. The loopback plugin sets up `lo`.
import type { CniConfList } from "../agent/cni.js";
import type { LabPlan, NodePlan } from "./address-plan.js";

export const CNI_VERSION = "1.0.0";
export const CNI_PLUGIN_DIRS = ["/usr/lib/cni", "/opt/cni/bin"];

/**
 * withPortMap: the conflist for Pods with hostPorts (portmap chained after bridge). Pods
 * without any use the same network without it: one plugin execution less per Pod, same IPAM.
 */
export function podNetworkConfList(plan: LabPlan, node: NodePlan, ipamDataDir: string, withPortMap = true): CniConfList {
  const list: CniConfList = {
    cniVersion: CNI_VERSION,
    name: "netlab",
    plugins: [
      {
        type: "bridge",
        bridge: "cbr0",
        isGateway: true,
        ipMasq: false, // the node's own MASQUERADE rule covers traffic leaving the cluster CIDR
        // kube-proxy's hairpin (a Pod reaching itself through its Service) needs the packet sent back out the port it came in
        hairpinMode: true,
        mtu: plan.podMTU,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: node.podCIDR, gateway: node.bridgeIP }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: ipamDataDir,
        },
      },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
  if (!withPortMap) list.plugins = list.plugins.filter((p) => p.type !== "portmap");
  return list;
}

export function loopbackConfList(): CniConfList {
  return { cniVersion: CNI_VERSION, name: "cni-loopback", plugins: [{ type: "loopback" }] };
}
