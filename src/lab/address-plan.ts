// The lab's address plan (pure): every namespace name, address, route and MAC the topology
// uses, computed from the cluster settings, the lab name and the node count, so that `up`,
// `down`, a restarted daemon and the tests all agree on the same names without any state.
import { createHash } from "node:crypto";
import type { ClusterSettings } from "../cluster/settings.js";
import { cidrSize, formatCidr4 } from "../cluster/ipv4.js";
import { containsAddress, nthAddress, nthSubnet, parseCidr } from "./ipv4.js";

export type PodNetworkMode = "routed" | "vxlan";
export type ProxyMode = "iptables" | "nftables";

export interface NodePlan {
  name: string; // node-1 ...
  index: number; // 1-based
  netns: string;
  /** Address on the node network (InternalIP). */
  ip: string;
  podCIDR: string;
  /** cbr0's address: the first address of the podCIDR, the Pods' gateway. */
  bridgeIP: string;
  /** Name of the node's veth end inside the fabric. */
  fabricLink: string;
  /** flannel.1's MAC (vxlan mode): fixed so remote nodes' FDB entries can be written statically. */
  vxlanMac: string;
  /** flannel.1's address (vxlan mode): the podCIDR's network address, as flannel does. */
  vxlanIP: string;
}

export interface LabPlan {
  lab: string;
  /** Every namespace of the lab starts with this: `nl-<lab>-`. */
  prefix: string;
  podNetwork: PodNetworkMode;
  /** MTU of pod interfaces: VXLAN costs 50 bytes. */
  podMTU: number;
  clusterCIDR: string;
  nodeNetwork: { cidr: string; prefixLength: number; gateway: string };
  fabric: { netns: string; bridge: string; externalLink: string; externalIP: string; publicIP: string };
  nodes: NodePlan[];
  external: {
    netns: string;
    cidr: string;
    /** The external namespace's own address (its client). */
    ip: string;
    /** The DNS server of "the internet" (the cluster DNS's upstream). */
    dnsIP: string;
    /** Where the internet's DNS points the names it knows (ExternalName targets): served by the external test server. */
    webIP: string;
    /** Further addresses that manifests place outside the cluster (e.g. 203.0.113.42). */
    extraIPs: string[];
    /** Ranges external routes through the fabric: the public (LoadBalancer) range. */
    routedViaFabric: string[];
  };
  lan: { netns: string; ip: string; fabricLink: string };
  loadBalancerRange: string;
  /** The `kubernetes` Service's endpoint inside the lab: a relay to the daemon's API server. */
  apiRelay: { ip: string; port: number };
}

export interface LabPlanInput {
  lab: string;
  nodes: number;
  settings: ClusterSettings;
  podNetwork: PodNetworkMode;
  /** Addresses objects name outside the cluster (selectorless Endpoints); those in the external range are added there. */
  externalAddresses?: string[];
}

export const EXTERNAL_CIDR = "203.0.113.0/24";
const LAB_NAME = /^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$/;

export function validateLabName(name: string): string | undefined {
  if (!LAB_NAME.test(name)) return `invalid lab name "${name}": use 1-16 lower-case letters, digits or '-', starting and ending with a letter or digit`;
  return undefined;
}

export function labPrefix(lab: string): string {
  return `nl-${lab}-`;
}

export function planLab(input: LabPlanInput): LabPlan {
  const nameErr = validateLabName(input.lab);
  if (nameErr) throw new Error(nameErr);
  if (!Number.isInteger(input.nodes) || input.nodes < 1 || input.nodes > 200) throw new Error(`invalid node count ${input.nodes}: must be between 1 and 200`);
  const prefix = labPrefix(input.lab);
  const s = input.settings;
  const nodeNet = parseCidr(s.nodeNetwork);
  const clusterNet = parseCidr(s.clusterCIDR);
  const lb = parseCidr(s.loadBalancerIPRange);
  const ext = parseCidr(EXTERNAL_CIDR);
  const gateway = nthAddress(nodeNet, 1);
  const nodes: NodePlan[] = [];
  for (let i = 1; i <= input.nodes; i++) {
    const podNet = nthSubnet(clusterNet, s.nodeCIDRMaskSize, i);
    nodes.push({
      name: `node-${i}`,
      index: i,
      netns: `${prefix}node-${i}`,
      ip: nthAddress(nodeNet, i + 1),
      podCIDR: formatCidr4(podNet),
      bridgeIP: nthAddress(podNet, 1),
      fabricLink: `n${i}`,
      vxlanMac: `0e:6e:6c:00:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
      vxlanIP: nthAddress(podNet, 0),
    });
  }
  const extIP = nthAddress(ext, 2);
  const dnsIP = nthAddress(ext, 53);
  const webIP = nthAddress(ext, 10);
  const extra = [...new Set(input.externalAddresses ?? [])].filter((a) => containsAddress(ext, a) && ![extIP, dnsIP, webIP, nthAddress(ext, 1)].includes(a)).sort();
  return {
    lab: input.lab,
    prefix,
    podNetwork: input.podNetwork,
    podMTU: input.podNetwork === "vxlan" ? 1450 : 1500,
    clusterCIDR: formatCidr4(clusterNet),
    nodeNetwork: { cidr: formatCidr4(nodeNet), prefixLength: nodeNet.prefix, gateway },
    fabric: { netns: `${prefix}fabric`, bridge: "br0", externalLink: "ext0", externalIP: nthAddress(ext, 1), publicIP: nthAddress(lb, 1) },
    nodes,
    external: { netns: `${prefix}external`, cidr: EXTERNAL_CIDR, ip: extIP, dnsIP, webIP, extraIPs: extra, routedViaFabric: [formatCidr4(lb)] },
    // The lan client takes the last usable address of the node network.
    lan: { netns: `${prefix}lan`, ip: nthAddress(nodeNet, cidrSize(nodeNet) - 2), fabricLink: "lan0" },
    loadBalancerRange: formatCidr4(lb),
    apiRelay: { ip: gateway, port: 6443 },
  };
}

/** A Pod's namespace name: short (a hash) because names can be long; stable across restarts. */
export function podNetnsName(lab: string, namespace: string, name: string): string {
  const h = createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, 10);
  return `${labPrefix(lab)}pod-${h}`;
}
