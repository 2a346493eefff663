// Input for the offline DNS/env/resolv commands: manifests loaded and converged by the
// controllers' offline loop (src/offline/cli-options.ts loadConvergedCluster), so Services have
// ClusterIPs, Pods have IPs and EndpointSlices exist. This adapter only builds the shared flags
// and reads the result; the convergence itself is the controllers' code.
import type { KubeObject } from "../api/types.js";
import { clusterDNSIP, DEFAULT_SETTINGS, SETTINGS_FLAGS, type ClusterSettings } from "../cluster/settings.js";

/** parseArgs options shared by every offline command: -f, --nodes and the settings flags. */
export function offlineOptions(): Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> {
  const o: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {
    filename: { type: "string", short: "f", multiple: true },
    nodes: { type: "string" },
  };
  for (const flag of Object.keys(SETTINGS_FLAGS)) o[flag] = { type: "string" };
  return o;
}

export function settingsFrom(values: Record<string, unknown>): ClusterSettings {
  const s: ClusterSettings = { ...DEFAULT_SETTINGS };
  for (const [flag, field] of Object.entries(SETTINGS_FLAGS)) {
    const v = values[flag];
    if (typeof v !== "string") continue;
    (s as unknown as Record<string, unknown>)[field] = field === "nodeCIDRMaskSize" ? Number(v) : v;
  }
  return s;
}

export interface OfflineCluster {
  objects: KubeObject[];
  settings: ClusterSettings;
  /** kube-dns's address: its Service's ClusterIP when the manifests have one, else the range's tenth. */
  dnsIP: string;
}

type Converged = { objects: KubeObject[] } | KubeObject[];

export async function loadOfflineCluster(values: Record<string, unknown>): Promise<OfflineCluster> {
  const spec = "../offline/cli-options.js";
  let mod: { loadConvergedCluster?: (v: Record<string, unknown>) => Promise<Converged> };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (e) {
    throw new Error(`the offline control plane (src/offline/cli-options.ts) is not available: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof mod.loadConvergedCluster !== "function") throw new Error("src/offline/cli-options.ts has no loadConvergedCluster");
  const r = await mod.loadConvergedCluster(values);
  const objects = Array.isArray(r) ? r : r.objects;
  const settings = settingsFrom(values);
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
