// `netlab render iptables -f PATH... [--config kube-proxy.yaml] [--node NAME]`: the
// iptables-restore input kube-proxy (iptables mode) would load on that node.
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, loadConvergedCluster, settingsFromValues } from "../../offline/cli-options.js";
import { loadProxyConfig, proxyInputFromCluster } from "../../proxy/offline-input.js";
import { planProxy } from "../../proxy/plan.js";
import { renderIptables } from "../../proxy/iptables/render.js";
import { baseRuleCommands } from "../../proxy/iptables/base-rules.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab render iptables -f PATH... [--config FILE] [--node NAME] [--base-rules]

Prints the iptables-restore input (filter and nat tables) kube-proxy writes on NODE for the
converged cluster; load it with iptables-restore --noflush. --base-rules prints instead the
jumps from the built-in chains, which kube-proxy ensures separately (iptables -C / -I).

Options:
${CLUSTER_OPTIONS_HELP}
      --config FILE               kube-proxy's KubeProxyConfiguration (default: the lab's)
      --node NAME                 the node (default: the first node)
      --base-rules                print the built-in chain jumps instead
`;

export const PROXY_OPTIONS = {
  ...CLUSTER_OPTIONS,
  config: { type: "string" },
  node: { type: "string" },
} as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args: argv, options: { ...PROXY_OPTIONS, "base-rules": { type: "boolean" } }, allowPositionals: false }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const config = await loadProxyConfig(values.config, settingsFromValues(values).clusterCIDR);
  if (values["base-rules"]) {
    for (const c of baseRuleCommands(config)) process.stdout.write(`iptables ${c.check.join(" ")} || iptables ${c.insert.join(" ")}\n`);
    return 0;
  }
  if (!values.filename?.length) {
    process.stderr.write(`error: must specify -f\n\n${USAGE}`);
    return 1;
  }
  const cluster = await loadConvergedCluster(values);
  const plan = planProxy(proxyInputFromCluster(cluster, values.node, config));
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(renderIptables(plan));
  return 0;
}
