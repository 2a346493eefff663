// Edge for the offline proxy commands: reads --config (KubeProxyConfiguration), converges the
// manifests with the controllers, and builds the ProxyInput kube-proxy on one node would see.
import { readFile } from "node:fs/promises";
import type { EndpointSlice, Node, Service } from "../api/types.js";
import type { ConvergedCluster } from "../offline/converge.js";
import { defaultKubeProxyConfiguration, parseKubeProxyConfiguration, type KubeProxyConfiguration } from "./config.js";
import type { ProxyInput } from "./plan.js";

export class ProxyInputError extends Error {
  override name = "ProxyInputError";
}

/** --config PATH, or the lab's defaults (clusterCIDR = the cluster's pod network). */
export async function loadProxyConfig(path: string | undefined, clusterCIDR: string): Promise<KubeProxyConfiguration> {
  const defaults = defaultKubeProxyConfiguration(clusterCIDR);
  if (!path) return defaults;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new ProxyInputError(`cannot read --config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const r = parseKubeProxyConfiguration(text, defaults);
  if (!r.config) throw new ProxyInputError(`${path}: ${r.errors.join("; ")}`);
  return r.config;
}

export function nodeAddresses(node: Node): string[] {
  const addrs = node.status?.addresses ?? [];
  return [...addrs.filter((a) => a.type === "InternalIP"), ...addrs.filter((a) => a.type === "ExternalIP")].map((a) => a.address);
}

export function proxyInputFromCluster(cluster: ConvergedCluster, nodeName: string | undefined, config: KubeProxyConfiguration): ProxyInput {
  const nodes = (cluster.byKind("Node") as Node[]).slice().sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
  if (nodes.length === 0) throw new ProxyInputError("the cluster has no nodes");
  const name = nodeName ?? nodes[0].metadata.name!;
  const node = nodes.find((n) => n.metadata.name === name);
  if (!node) throw new ProxyInputError(`node "${name}" not found (nodes: ${nodes.map((n) => n.metadata.name).join(", ")})`);
  return {
    services: cluster.byKind("Service") as Service[],
    endpointSlices: cluster.byKind("EndpointSlice") as EndpointSlice[],
    nodeName: name,
    nodeIPs: nodeAddresses(node),
    nodeLabels: node.metadata.labels,
    config,
  };
}
