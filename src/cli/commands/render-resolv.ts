// `netlab render resolv -f PATH... --pod NS/NAME [--node-resolv-conf FILE]`: the Pod's
// resolv.conf as the kubelet writes it, from its dnsPolicy and dnsConfig.
import { readFileSync } from "node:fs";
import { formatResolvConf, podDNSConfig } from "../../agent/resolv-conf.js";
import { findPod, loadOfflineCluster, parseObjectRef } from "../../dns/offline-input.js";
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP } from "../../offline/cli-options.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab render resolv -f PATH... --pod NS/NAME [--node-resolv-conf FILE] [-o json]

Prints the Pod's resolv.conf as the kubelet writes it.

      --pod NS/NAME               the Pod (namespace default when omitted)
      --node-resolv-conf FILE     the node's resolv.conf, the base for dnsPolicy Default (default /etc/resolv.conf)
  -o, --output json
${CLUSTER_OPTIONS_HELP}
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args: argv,
    options: { ...CLUSTER_OPTIONS, pod: { type: "string" }, "node-resolv-conf": { type: "string" } },
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  if (!values.pod) {
    process.stderr.write(`error: --pod NS/NAME is required\n\n${USAGE}`);
    return 1;
  }
  const file = (values["node-resolv-conf"] as string | undefined) ?? "/etc/resolv.conf";
  let nodeResolvConf: string;
  try {
    nodeResolvConf = readFileSync(file, "utf8");
  } catch (e) {
    process.stderr.write(`error: reading the node's resolv.conf ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const ref = parseObjectRef(values.pod as string);
  const cluster = await loadOfflineCluster(values);
  const pod = findPod(cluster, ref);
  if (!pod) return 1;
  const r = podDNSConfig(pod, { clusterDNS: [cluster.dnsIP], clusterDomain: cluster.settings.clusterDomain, nodeResolvConf });
  for (const w of r.warnings) process.stderr.write(`Warning: ${w}\n`);
  if (r.error) {
    process.stderr.write(`error: ${r.error}\n`);
    return 1;
  }
  if (values.output === "json") process.stdout.write(JSON.stringify(r.config, null, 2) + "\n");
  else process.stdout.write(formatResolvConf(r.config));
  return 0;
}
