// `netlab render nftables -f PATH... [--config kube-proxy.yaml] [--node NAME]`: the nft -f
// input for kube-proxy's nftables mode (table ip kube-proxy) on that node.
import { CLUSTER_OPTIONS_HELP, loadConvergedCluster, settingsFromValues } from "../../offline/cli-options.js";
import { loadProxyConfig, proxyInputFromCluster } from "../../proxy/offline-input.js";
import { planProxy } from "../../proxy/plan.js";
import { renderNftables } from "../../proxy/nftables/render.js";
import { PROXY_OPTIONS } from "./render-iptables.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab render nftables -f PATH... [--config FILE] [--node NAME] [--endpoint-selection maps|rules|vmap]

Prints the nft -f transaction that (re)creates kube-proxy's table "ip kube-proxy" on NODE for
the converged cluster.

Options:
${CLUSTER_OPTIONS_HELP}
      --config FILE               kube-proxy's KubeProxyConfiguration (default: the lab's)
      --node NAME                 the node (default: the first node)
      --endpoint-selection MODE   maps (default: endpoints as elements of shared numgen
                                  maps, so an endpoint change is an element change), rules
                                  (a numgen rule per endpoint) or vmap (upstream's
                                  anonymous numgen vmap per service)
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args: argv, options: { ...PROXY_OPTIONS, "endpoint-selection": { type: "string" } }, allowPositionals: false }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const sel = values["endpoint-selection"] ?? "maps";
  if (sel !== "maps" && sel !== "rules" && sel !== "vmap") {
    process.stderr.write(`error: invalid --endpoint-selection ${JSON.stringify(sel)}: must be maps, rules or vmap\n`);
    return 1;
  }
  if (!values.filename?.length) {
    process.stderr.write(`error: must specify -f\n\n${USAGE}`);
    return 1;
  }
  const config = await loadProxyConfig(values.config, settingsFromValues(values).clusterCIDR);
  const cluster = await loadConvergedCluster(values);
  const plan = planProxy(proxyInputFromCluster(cluster, values.node, config));
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(renderNftables(plan, { endpointSelection: sel }));
  return 0;
}
