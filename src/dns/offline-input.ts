// Input for the offline DNS/env/resolv commands: manifests loaded and converged by the
// controllers' offline loop (src/offline/cli-options.ts), so Services have ClusterIPs, Pods
// have IPs and EndpointSlices exist; plus the kube-dns address the kubelet would configure.
import type { KubeObject, Pod } from "../api/types.js";
import { clusterDNSIP, type ClusterSettings } from "../cluster/settings.js";
import { loadConvergedCluster, settingsFromValues, type ClusterOptionValues } from "../offline/cli-options.js";

export interface OfflineCluster {
  objects: KubeObject[];
  settings: ClusterSettings;
  /** kube-dns's address: its Service's ClusterIP when the manifests have one, else the range's tenth. */
  dnsIP: string;
}

export async function loadOfflineCluster(values: ClusterOptionValues): Promise<OfflineCluster> {
  const settings = settingsFromValues(values);
  const cluster = await loadConvergedCluster(values);
  const objects = cluster.objects;
  const kubeDns = objects.find((o) => o.kind === "Service" && o.metadata.namespace === "kube-system" && o.metadata.name === "kube-dns") as
    | { spec?: { clusterIP?: string } }
    | undefined;
  const ip = kubeDns?.spec?.clusterIP;
  return { objects, settings, dnsIP: ip && ip !== "None" ? ip : clusterDNSIP(settings) };
}

/** "NS/NAME" or "NAME" (namespace default). */
export function parseObjectRef(s: string): { namespace: string; name: string } {
  const i = s.indexOf("/");
  return i < 0 ? { namespace: "default", name: s } : { namespace: s.slice(0, i), name: s.slice(i + 1) };
}

/** The Pod named by `--pod NS/NAME`, or undefined after printing kubectl's NotFound line. */
export function findPod(cluster: OfflineCluster, ref: { namespace: string; name: string }): Pod | undefined {
  const pod = cluster.objects.find((o) => o.kind === "Pod" && (o.metadata.namespace ?? "default") === ref.namespace && o.metadata.name === ref.name) as Pod | undefined;
  if (!pod) process.stderr.write(`Error from server (NotFound): pods "${ref.name}" not found\n`);
  return pod;
}
