// `netlab get KIND[,KIND...] [NAME...] [-n NS | -A] [-o yaml|json|wide|name] [-l SELECTOR]`:
// kubectl's columns (the same printers the API server uses for kubectl's Table requests).
import { stringify } from "yaml";
import type { KubeObject } from "../../api/types.js";
import { RESOURCES, resourceForName, type ResourceType } from "../../api/resources.js";
import { toTable } from "../../apiserver/table.js";
import type { Client } from "../../client/client.js";
import { table } from "../output.js";
import { renderJsonPath } from "./jsonpath.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, errorLine, orReport, resourceWord, UserError } from "./live-client.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab get KIND[,KIND...] [NAME...] [options]
       netlab get KIND/NAME...

Lists or shows objects. KIND is a kind, plural, singular or short name (pods, svc, deploy, ...)
or "all".

Options:
  -A, --all-namespaces      list across all namespaces
  -o, --output FORMAT       yaml, json, wide, name or jsonpath=TEMPLATE ({.spec.clusterIP})
  -l, --selector SELECTOR   label selector (a=b,c!=d,e in (f,g))
      --field-selector SEL  field selector (metadata.name=x,spec.nodeName=node-1)
      --show-labels         add a LABELS column
${CONNECTION_HELP}
`;

const ALL = RESOURCES.filter((t) => t.categories.includes("all"));

interface Request {
  type: ResourceType;
  names: string[];
}

/** Parses kubectl's positional forms: `pods`, `pods,svc`, `pod x y`, `pod/x svc/y`. */
export function parseRequests(args: string[]): Request[] {
  if (args.length === 0) throw new UserError("you must specify the type of resource to get");
  const lookup = (w: string): ResourceType[] => {
    if (w === "all") return ALL;
    const t = resourceForName(w);
    if (!t) throw new UserError(`the server doesn't have a resource type "${w}"`);
    return [t];
  };
  if (args.some((a) => a.includes("/"))) {
    const out: Request[] = [];
    for (const a of args) {
      const i = a.indexOf("/");
      if (i < 0) throw new UserError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'netlab get resource/<resource_name>' instead of 'netlab get resource resource/<resource_name>'`);
      const [t] = lookup(a.slice(0, i));
      const prev = out.find((r) => r.type === t);
      if (prev) prev.names.push(a.slice(i + 1));
      else out.push({ type: t, names: [a.slice(i + 1)] });
    }
    return out;
  }
  const types = args[0].split(",").filter(Boolean).flatMap(lookup);
  const names = args.slice(1);
  if (names.length && types.length > 1) throw new UserError("you may only specify a single resource type when specifying names");
  return types.map((type) => ({ type, names }));
}

/** kubectl --show-labels: `k=v,k2=v2` in key order, or <none>. */
function labelsText(o: KubeObject): string {
  const l = Object.entries(o.metadata.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return l.length ? l.map(([k, v]) => `${k}=${v}`).join(",") : "<none>";
}

function header(name: string): string {
  return name.toUpperCase();
}

/** Rows of kubectl's table for `items` of one type. */
export function renderTable(t: ResourceType, items: KubeObject[], opts: { wide: boolean; withNamespace: boolean; withKind: boolean; showLabels?: boolean; now?: number }): string {
  const tab = toTable(t, items, "", "None", opts.now ?? Date.now()) as { columnDefinitions: { name: string; priority: number }[]; rows: { cells: (string | number)[] }[] };
  const cols = tab.columnDefinitions.map((c, i) => ({ ...c, i })).filter((c) => opts.wide || c.priority === 0);
  const head = cols.map((c) => header(c.name));
  const rows = tab.rows.map((r, ri) => {
    const cells = cols.map((c) => {
      const v = String(r.cells[c.i] ?? "");
      return c.name === "Name" && opts.withKind ? `${resourceWord(t)}/${v}` : v;
    });
    if (opts.showLabels) cells.push(labelsText(items[ri]));
    return opts.withNamespace ? [items[ri].metadata.namespace ?? "", ...cells] : cells;
  });
  if (opts.showLabels) head.push("LABELS");
  return table(opts.withNamespace ? ["NAMESPACE", ...head] : head, rows);
}

async function fetch(client: Client, r: Request, ns: string | undefined, labelSelector?: string, fieldSelector?: string): Promise<{ items: KubeObject[]; errors: string[] }> {
  const namespace = r.type.namespaced ? ns : undefined;
  if (r.names.length === 0) {
    const l = await client.list(r.type.kind, { namespace, labelSelector, fieldSelector });
    return { items: l.items, errors: [] };
  }
  const items: KubeObject[] = [];
  const errors: string[] = [];
  for (const name of r.names) {
    try {
      items.push(await client.get({ kind: r.type.kind, namespace: namespace ?? undefined, name }));
    } catch (e) {
      errors.push(errorLine(e));
    }
  }
  return { items, errors };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args: argv,
    options: {
      ...CONNECTION_OPTIONS,
      "all-namespaces": { type: "boolean", short: "A" },
      output: { type: "string", short: "o" },
      selector: { type: "string", short: "l" },
      "field-selector": { type: "string" },
      "show-labels": { type: "boolean" },
    },
    allowPositionals: true,
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const output = values.output ?? "";
  const jsonpath = /^jsonpath=/.test(output) ? output.slice("jsonpath=".length) : undefined;
  if (!["", "yaml", "json", "wide", "name"].includes(output) && jsonpath === undefined) {
    process.stderr.write(`error: unable to match a printer suitable for the output format "${output}", allowed formats are: json,jsonpath,name,wide,yaml\n`);
    return 1;
  }
  const requests = orReport(() => parseRequests(positionals));
  if (!requests) return 1;
  const client = orReport(() => connect(values));
  if (!client) return 1;
  const allNs = values["all-namespaces"] === true;
  const ns = allNs ? undefined : values.namespace || client.namespace;
  let failed = false;
  try {
    const results: { r: Request; items: KubeObject[] }[] = [];
    for (const r of requests) {
      try {
        const got = await fetch(client, r, ns, values.selector, values["field-selector"]);
        for (const e of got.errors) process.stderr.write(`${e}\n`);
        if (got.errors.length) failed = true;
        results.push({ r, items: got.items });
      } catch (e) {
        process.stderr.write(`${errorLine(e)}\n`);
        failed = true;
      }
    }
    const all = results.flatMap((x) => x.items);
    const single = requests.length === 1 && requests[0].names.length === 1 && all.length === 1;
    if (jsonpath !== undefined) {
      const doc = single ? all[0] : { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: all };
      try {
        process.stdout.write(renderJsonPath(jsonpath, doc));
      } catch (e) {
        process.stderr.write(`error: error executing jsonpath ${JSON.stringify(jsonpath)}: ${(e as Error).message}\n`);
        failed = true;
      }
    } else if (output === "json" || output === "yaml") {
      const doc = single ? all[0] : { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: all };
      process.stdout.write(output === "json" ? `${JSON.stringify(doc, null, 4)}\n` : stringify(doc, { lineWidth: 0, version: "1.1" }));
    } else if (output === "name") {
      for (const { r, items } of results) for (const o of items) process.stdout.write(`${resourceWord(r.type)}/${o.metadata.name}\n`);
    } else {
      const shown = results.filter((x) => x.items.length > 0);
      if (shown.length === 0 && !failed) {
        process.stderr.write(allNs || !requests.every((r) => r.type.namespaced) ? "No resources found\n" : `No resources found in ${ns} namespace.\n`);
      }
      const withKind = requests.length > 1;
      shown.forEach(({ r, items }, i) => {
        if (i > 0) process.stdout.write("\n");
        process.stdout.write(renderTable(r.type, items, { wide: output === "wide", withNamespace: allNs && r.type.namespaced, withKind, showLabels: values["show-labels"] === true }));
      });
    }
  } finally {
    client.close();
  }
  return failed ? 1 : 0;
}
