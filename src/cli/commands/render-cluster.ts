// `netlab render cluster -f PATH... [--nodes N] [-o yaml|json]`: every object after the
// control plane converged offline (allocated addresses and ports, workload Pods with IPs and
// nodes, Endpoints, EndpointSlices, LoadBalancer status), as a v1 List.
import { stringify } from "yaml";
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, loadConvergedCluster } from "../../offline/cli-options.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab render cluster -f PATH... [--nodes N] [-o yaml|json]

Applies the manifests to an in-memory cluster, runs the controllers until they settle, and
prints every object (a v1 List). The same input always gives the same output.

Options:
${CLUSTER_OPTIONS_HELP}
  -o, --output FORMAT             yaml (default) or json
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args: argv, options: CLUSTER_OPTIONS, allowPositionals: false }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const output = values.output ?? "yaml";
  if (output !== "yaml" && output !== "json") {
    process.stderr.write(`error: unable to match a printer suitable for the output format "${output}", allowed formats are: json,yaml\n`);
    return 1;
  }
  if (!values.filename?.length) {
    process.stderr.write(`error: must specify -f\n\n${USAGE}`);
    return 1;
  }
  const cluster = await loadConvergedCluster(values);
  const list = { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: cluster.objects };
  process.stdout.write(output === "json" ? `${JSON.stringify(list, null, 4)}\n` : stringify(list, { lineWidth: 0, version: "1.1" }));
  return 0;
}
