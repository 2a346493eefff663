// `netlab render nginx -f PATH... [--class nginx]`: the ingress controller's nginx.conf for a
// set of manifests, computed offline (the cluster converged in memory first, so Services have
// their ClusterIPs). With --request HOST/PATH it explains instead which route answers.
import type { Ingress, IngressClass, Secret, Service, EndpointSlice } from "../../api/types.js";
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, loadConvergedCluster } from "../../offline/cli-options.js";
import { formatAnnotationError, ingressKey } from "../../ingress/annotations.js";
import { classifyIngress, CONTROLLER_NAME, DEFAULT_CLASS_NAME } from "../../ingress/class.js";
import { buildRoutes, chooseEffectiveIngresses, type Backend } from "../../ingress/routes.js";
import { matchRequest } from "../../ingress/match.js";
import { renderNginxConfig } from "../../ingress/nginx-config.js";
import { table } from "../output.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab render nginx -f PATH... [--class NAME] [-o nginx|json] [--request HOST/PATH]...

Prints the nginx configuration the ingress controller would run for these manifests: the
Ingresses of its class (spec.ingressClassName, the kubernetes.io/ingress.class annotation, or
the default IngressClass), routed as the Ingress specification says.

Options:
${CLUSTER_OPTIONS_HELP}
      --class NAME                the controller's class name (default ${DEFAULT_CLASS_NAME})
      --controller NAME           IngressClass spec.controller it implements (default ${CONTROLLER_NAME})
      --prefix DIR                nginx's per-pod directory in the output (default /run/netlab-ingress)
      --request HOST/PATH         explain which route answers this request instead (repeatable)
  -o, --output FORMAT             nginx (default) or json (the route table)
`;

function backendText(b: Backend): string {
  if (b.type === "service") return `${b.service}:${b.port} (${b.address})`;
  if (b.type === "endpoints") return `${b.service}:${b.port} (${b.addresses.join(",")})`;
  return `${b.status} (${b.reason})`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args: argv,
    options: {
      ...CLUSTER_OPTIONS,
      class: { type: "string" },
      controller: { type: "string" },
      prefix: { type: "string" },
      request: { type: "string", multiple: true },
    },
    allowPositionals: false,
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const output = values.output ?? "nginx";
  if (output !== "nginx" && output !== "json") {
    process.stderr.write(`error: unknown output format "${output}": use nginx or json\n`);
    return 1;
  }
  if (!values.filename?.length) {
    process.stderr.write(`error: must specify -f\n\n${USAGE}`);
    return 1;
  }
  const requests = (values.request ?? []).map((r) => {
    const slash = r.indexOf("/");
    return slash < 0 ? { host: r, path: "/" } : { host: r.slice(0, slash), path: r.slice(slash) };
  });
  const cluster = await loadConvergedCluster(values);

  const cfg = { className: values.class ?? DEFAULT_CLASS_NAME, controller: values.controller ?? CONTROLLER_NAME };
  const classes = cluster.byKind("IngressClass") as IngressClass[];
  const ingresses = cluster.byKind("Ingress") as Ingress[];
  const served: Ingress[] = [];
  for (const ing of ingresses) {
    const d = classifyIngress(ing, classes, cfg);
    if (d.served) served.push(ing);
    else process.stderr.write(`# ingress "${ingressKey(ing)}" not served: ${d.reason}\n`);
  }
  const eff = chooseEffectiveIngresses(served, new Map());
  for (const e of eff.invalid) process.stderr.write(`Warning: ingress "${e.ingress}" left out: ${formatAnnotationError(e)}\n`);
  const routes = buildRoutes({
    ingresses: eff.ingresses,
    services: cluster.byKind("Service") as Service[],
    endpointSlices: cluster.byKind("EndpointSlice") as EndpointSlice[],
    secrets: cluster.byKind("Secret") as Secret[],
  });
  for (const p of routes.problems) process.stderr.write(`Warning: ${p}\n`);
  for (const c of routes.conflicts) process.stderr.write(`Warning: host "${c.host || "*"}" path ${c.kind} ${c.path}: ingress "${c.loser}" ignored, "${c.winner}" is older\n`);

  if (requests.length) {
    const rows = requests.map(({ host, path }) => {
      const m = matchRequest(routes, host, path);
      const route = m.route ? `${m.route.kind} ${m.route.path}` : "(default backend)";
      return [host, path, m.ingress || "-", route, backendText(m.backend), m.backend.type === "none" ? "-" : m.upstreamPath];
    });
    if (output === "json") {
      process.stdout.write(`${JSON.stringify(requests.map((r, i) => ({ ...r, ...(({ server: _s, ...rest }) => rest)(matchRequest(routes, r.host, r.path)), row: rows[i] })), null, 2)}\n`);
    } else {
      process.stdout.write(table(["HOST", "PATH", "INGRESS", "ROUTE", "BACKEND", "UPSTREAM PATH"], rows));
    }
    return 0;
  }
  if (output === "json") {
    process.stdout.write(`${JSON.stringify(routes, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(renderNginxConfig(routes, { prefix: values.prefix ?? "/run/netlab-ingress" }));
  return 0;
}
