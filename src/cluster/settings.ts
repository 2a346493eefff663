// Cluster-wide settings under the flag names Kubernetes uses, with DESIGN.md's defaults.

export interface ClusterSettings {
  /** --service-cluster-ip-range */
  serviceClusterIPRange: string;
  /** --service-node-port-range, "30000-32767" */
  serviceNodePortRange: string;
  /** --cluster-cidr (pod network) */
  clusterCIDR: string;
  /** --node-cidr-mask-size */
  nodeCIDRMaskSize: number;
  /** --cluster-domain */
  clusterDomain: string;
  /** The LoadBalancer IP pool (the lab's public range). */
  loadBalancerIPRange: string;
  /** The node network (underlay). Node N (1-based) gets the N+1th address: 172.18.0.2, ... */
  nodeNetwork: string;
}

export const DEFAULT_SETTINGS: Readonly<ClusterSettings> = {
  serviceClusterIPRange: "10.96.0.0/12",
  serviceNodePortRange: "30000-32767",
  clusterCIDR: "10.244.0.0/16",
  nodeCIDRMaskSize: 24,
  clusterDomain: "cluster.local",
  loadBalancerIPRange: "198.51.100.0/24",
  nodeNetwork: "172.18.0.0/16",
};

/** kube-dns's address: the tenth address of the service range, as kubeadm chooses it. */
export function clusterDNSIP(s: ClusterSettings): string {
  const [base] = s.serviceClusterIPRange.split("/");
  const n = base.split(".").map(Number);
  const v = ((n[0] << 24) | (n[1] << 16) | (n[2] << 8) | n[3]) + 10;
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}

/** Flags (as the CLI spells them) that set ClusterSettings fields. */
export const SETTINGS_FLAGS: Record<string, keyof ClusterSettings> = {
  "service-cluster-ip-range": "serviceClusterIPRange",
  "service-node-port-range": "serviceNodePortRange",
  "cluster-cidr": "clusterCIDR",
  "node-cidr-mask-size": "nodeCIDRMaskSize",
  "cluster-domain": "clusterDomain",
  "load-balancer-ip-range": "loadBalancerIPRange",
};
