// Where a lab keeps its files, and the small JSON records the daemon and the CLI share.
import { readFile, writeFile, rename } from "node:fs/promises";
import { homedir } from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PodNetworkMode, ProxyMode } from "../lab/address-plan.js";
import type { ClusterSettings } from "../cluster/settings.js";

/** $NETLAB_HOME/<lab>, default ~/.netlab/<lab> (where the live commands find the kubeconfig). */
export function labStateDir(lab: string): string {
  return join(process.env.NETLAB_HOME || join(homedir(), ".netlab"), lab);
}

export interface LabRecord {
  name: string;
  nodes: number;
  podNetwork: PodNetworkMode;
  proxyMode: ProxyMode;
  settings: ClusterSettings;
  externalAddresses: string[];
}

export interface LabStatus {
  name: string;
  phase: "starting" | "ready" | "failed" | "stopping";
  pid: number;
  message?: string;
  kubeconfig?: string;
  apiServer?: string;
  podNetwork: PodNetworkMode;
  proxyMode: ProxyMode;
  readyAfterMs?: number;
  nodes: { name: string; ip: string; podCIDR: string; netns: string }[];
  pods: { namespace: string; name: string; node: string; ip: string; phase: string; ready: boolean }[];
  services: { namespace: string; name: string; type: string; clusterIP: string; ports: string; external: string }[];
  updated: string;
}

let tmpCounter = 0;
export async function writeJsonAtomic(path: string, v: unknown): Promise<void> {
  // A unique temporary name: two writers of the same file must not rename each other's file away.
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  await writeFile(tmp, JSON.stringify(v, null, 2) + "\n", { mode: 0o600 });
  await rename(tmp, path);
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed daemon whose parent has not reaped it yet is a zombie: gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
