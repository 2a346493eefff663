// `netlab render env -f PATH... --pod NS/NAME [--container NAME] [-o json]`: the container's
// environment as the kubelet builds it, NAME=value per line.
import type { ConfigMap, Secret, Service } from "../../api/types.js";
import { containerEnvResult } from "../../agent/env.js";
import { findPod, loadOfflineCluster, parseObjectRef } from "../../dns/offline-input.js";
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP } from "../../offline/cli-options.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab render env -f PATH... --pod NS/NAME [--container NAME] [-o json]

Prints the container's environment as the kubelet builds it, NAME=value per line.

      --pod NS/NAME               the Pod (namespace default when omitted)
  -c, --container NAME            the container (default: the first)
  -o, --output json
${CLUSTER_OPTIONS_HELP}
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args: argv, options: { ...CLUSTER_OPTIONS, pod: { type: "string" }, container: { type: "string", short: "c" } } }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  if (!values.pod) {
    process.stderr.write(`error: --pod NS/NAME is required\n\n${USAGE}`);
    return 1;
  }
  const ref = parseObjectRef(values.pod as string);
  const cluster = await loadOfflineCluster(values);
  const pod = findPod(cluster, ref);
  if (!pod) return 1;
  const cname = (values.container as string | undefined) ?? pod.spec.containers[0]?.name;
  const container = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === cname);
  if (!container) {
    process.stderr.write(`error: container ${cname} is not valid for pod ${ref.name}\n`);
    return 1;
  }
  const byKind = <T>(k: string) => cluster.objects.filter((o) => o.kind === k) as T[];
  const r = containerEnvResult(pod, container, byKind<Service>("Service"), byKind<ConfigMap>("ConfigMap"), byKind<Secret>("Secret"));
  for (const w of r.warnings) process.stderr.write(`Warning: ${w}\n`);
  if (r.error) {
    process.stderr.write(`error: ${r.error}\n`);
    return 1;
  }
  if (values.output === "json") process.stdout.write(JSON.stringify(r.env, null, 2) + "\n");
  else process.stdout.write(r.env.map((e) => `${e.name}=${e.value}\n`).join(""));
  return 0;
}
