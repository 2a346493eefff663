// The options every offline render command shares (-f, --nodes, the cluster settings under
// Kubernetes' flag names, -o), and loading + converging a cluster from them.
import type { ParseArgsConfig } from "node:util";
import { DEFAULT_SETTINGS, SETTINGS_FLAGS, type ClusterSettings } from "../cluster/settings.js";
import { loadObjectsOrExit } from "../cli/load.js";
import { convergeCluster, DEFAULT_NODES, type ConvergedCluster } from "./converge.js";
import { parseCidr4 } from "../cluster/ipv4.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

export const CLUSTER_OPTIONS = {
  filename: { type: "string", short: "f", multiple: true },
  nodes: { type: "string" },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
  ...Object.fromEntries(Object.keys(SETTINGS_FLAGS).map((f) => [f, { type: "string" }])),
} as const satisfies Options;

export type ClusterOptionValues = { [k: string]: string | boolean | (string | boolean)[] | undefined };

/** Help lines for the shared options, for each command's usage text. */
export const CLUSTER_OPTIONS_HELP = [
  "  -f, --filename PATH             manifest file, directory (recursive) or - for stdin; repeatable",
  `      --nodes N                   number of nodes node-1..node-N (default ${DEFAULT_NODES}; ignored when the input has Nodes)`,
  ...Object.entries(SETTINGS_FLAGS).map(([flag, key]) => `      --${flag.padEnd(27)} (default ${DEFAULT_SETTINGS[key]})`),
].join("\n");

export class OptionError extends Error {
  override name = "OptionError";
}

export function settingsFromValues(values: ClusterOptionValues): ClusterSettings {
  const s: ClusterSettings = { ...DEFAULT_SETTINGS };
  for (const [flag, key] of Object.entries(SETTINGS_FLAGS)) {
    const v = values[flag];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "") throw new OptionError(`--${flag} needs a value`);
    if (key === "nodeCIDRMaskSize") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 30) throw new OptionError(`invalid --${flag} ${JSON.stringify(v)}: must be an integer between 1 and 30`);
      s[key] = n;
    } else {
      (s as unknown as Record<string, string>)[key] = v;
    }
  }
  const problem = settingsProblem(s);
  if (problem) throw new OptionError(problem);
  return s;
}

/** A bad setting, named by its flag, or undefined when all are usable. */
export function settingsProblem(s: ClusterSettings): string | undefined {
  for (const [flag, key] of [
    ["service-cluster-ip-range", "serviceClusterIPRange"],
    ["cluster-cidr", "clusterCIDR"],
    ["load-balancer-ip-range", "loadBalancerIPRange"],
  ] as const) {
    const c = parseCidr4(s[key]);
    if (!c || /\s/.test(s[key])) return `invalid --${flag} ${JSON.stringify(s[key])}: must be an IPv4 CIDR such as ${DEFAULT_SETTINGS[key]}`;
  }
  const cluster = parseCidr4(s.clusterCIDR)!;
  if (s.nodeCIDRMaskSize < cluster.prefix) return `invalid --node-cidr-mask-size ${s.nodeCIDRMaskSize}: must not be smaller than the --cluster-cidr prefix length ${cluster.prefix}`;
  const m = /^(\d+)-(\d+)$/.exec(s.serviceNodePortRange);
  if (!m || Number(m[1]) < 1 || Number(m[2]) > 65535 || Number(m[1]) > Number(m[2])) return `invalid --service-node-port-range ${JSON.stringify(s.serviceNodePortRange)}: must be a range such as 30000-32767`;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(s.clusterDomain)) return `invalid --cluster-domain ${JSON.stringify(s.clusterDomain)}: must be a DNS domain such as cluster.local`;
  return undefined;
}

export function nodesFromValues(values: ClusterOptionValues): number {
  const v = values.nodes;
  if (v === undefined) return DEFAULT_NODES;
  const n = Number(v);
  if (typeof v !== "string" || !/^\d+$/.test(v) || n < 1 || n > 200) throw new OptionError(`invalid --nodes ${JSON.stringify(v)}: must be an integer between 1 and 200`);
  return n;
}

/**
 * Loads the -f paths (printing every manifest error and exiting 1 when any) and converges
 * the cluster. Objects the API refuses are printed to stderr and exit 1 as well.
 */
export async function loadConvergedCluster(values: ClusterOptionValues): Promise<ConvergedCluster> {
  const settings = settingsFromValues(values);
  const nodes = nodesFromValues(values);
  const paths = ((values.filename as string[] | undefined) ?? []).map(String);
  const objects = await loadObjectsOrExit(paths);
  const cluster = await convergeCluster(objects, { settings, nodes });
  for (const w of cluster.errors.filter((e) => e.startsWith("controllers: "))) process.stderr.write(`warning: ${w}\n`);
  const refused = cluster.errors.filter((e) => !e.startsWith("controllers: "));
  if (refused.length) {
    for (const e of refused) process.stderr.write(`Error from server: ${e}\n`);
    process.exit(1);
  }
  return cluster;
}
