// `netlab delete -f PATH... | KIND NAME... | KIND/NAME... | KIND -l SELECTOR | KIND --all`:
// prints `service "x" deleted` per object, as kubectl does.
import type { KubeObject } from "../../api/types.js";
import { resourceForKind } from "../../api/resources.js";
import { isStatusError } from "../../api/status.js";
import type { Client } from "../../client/client.js";
import { loadObjectsOrExit } from "../load.js";
import { parseRequests } from "./get.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, errorLine, orReport, resourceWord } from "./live-client.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab delete -f PATH... | KIND NAME... | KIND/NAME... | KIND (-l SELECTOR | --all)

Deletes objects; their dependents (by ownerReferences) go too, unless --cascade=orphan.

Options:
  -f, --filename PATH       file, directory or -; repeatable
  -l, --selector SELECTOR   delete the objects of KIND matching the label selector
      --all                 delete every object of KIND in the namespace
      --ignore-not-found    treat "not found" as success
      --cascade MODE        background (default), foreground or orphan
      --dry-run MODE        none (default) or server
${CONNECTION_HELP}
`;

interface Target {
  obj: { kind: string; namespace?: string; name: string };
  source?: string;
}

async function deleteOne(client: Client, t: Target, opts: { ignoreNotFound: boolean; policy: "Background" | "Foreground" | "Orphan"; dryRun: boolean }): Promise<string | undefined> {
  const rt = resourceForKind(t.obj.kind)!;
  try {
    await client.delete({ kind: t.obj.kind, namespace: rt.namespaced ? t.obj.namespace : undefined, name: t.obj.name }, { propagationPolicy: opts.policy, dryRun: opts.dryRun });
    return `${resourceWord(rt)} "${t.obj.name}" deleted${opts.dryRun ? " (server dry run)" : ""}`;
  } catch (e) {
    if (opts.ignoreNotFound && isStatusError(e, "NotFound")) return undefined;
    throw e;
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args: argv,
    options: {
      ...CONNECTION_OPTIONS,
      filename: { type: "string", short: "f", multiple: true },
      selector: { type: "string", short: "l" },
      all: { type: "boolean" },
      "ignore-not-found": { type: "boolean" },
      cascade: { type: "string" },
      "dry-run": { type: "string" },
    },
    allowPositionals: true,
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const cascade = values.cascade ?? "background";
  const policies: Record<string, "Background" | "Foreground" | "Orphan"> = { background: "Background", foreground: "Foreground", orphan: "Orphan", true: "Background", false: "Orphan" };
  if (!(cascade in policies)) {
    process.stderr.write(`error: invalid cascade value (${cascade}). Must be "background", "foreground", or "orphan".\n`);
    return 1;
  }
  const dry = values["dry-run"] ?? "none";
  if (dry !== "none" && dry !== "server") {
    process.stderr.write(`error: Invalid dry-run value (${dry}). Must be "none" or "server".\n`);
    return 1;
  }
  const files = values.filename ?? [];
  if (files.length && positionals.length) {
    process.stderr.write("error: cannot specify both a resource type/name and -f\n");
    return 1;
  }
  if (!files.length && !positionals.length) {
    process.stderr.write(`error: You must provide one or more resources by argument or filename.\n\n${USAGE}`);
    return 1;
  }
  const fromFiles: { source: string; objects: KubeObject[] }[] = [];
  for (const p of files) fromFiles.push({ source: p === "-" ? "STDIN" : p, objects: await loadObjectsOrExit([p], { validate: false }) });
  const client = orReport(() => connect(values));
  if (!client) return 1;
  const ns = values.namespace || client.namespace;
  const opts = { ignoreNotFound: values["ignore-not-found"] === true, policy: policies[cascade], dryRun: dry === "server" };
  let failed = false;
  let deleted = 0;
  try {
    const targets: Target[] = [];
    for (const { source, objects } of fromFiles) {
      for (const o of objects) {
        if (!resourceForKind(o.kind)) continue;
        targets.push({ obj: { kind: o.kind, namespace: o.metadata.namespace || ns, name: o.metadata.name ?? "" }, source });
      }
    }
    if (positionals.length) {
      const requests = parseRequests(positionals);
      for (const r of requests) {
        if (r.names.length) {
          for (const name of r.names) targets.push({ obj: { kind: r.type.kind, namespace: ns, name } });
          continue;
        }
        if (!values.selector && !values.all) {
          process.stderr.write(`error: resource(s) were provided, but no name was specified\n`);
          return 1;
        }
        const l = await client.list(r.type.kind, { namespace: r.type.namespaced ? ns : undefined, labelSelector: values.selector });
        for (const o of l.items) targets.push({ obj: { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name ?? "" } });
      }
    }
    for (const t of targets) {
      try {
        const line = await deleteOne(client, t, opts);
        if (line) {
          process.stdout.write(`${line}\n`);
          deleted++;
        }
      } catch (e) {
        failed = true;
        process.stderr.write(`${errorLine(e, t.source ? `error when deleting "${t.source}"` : undefined)}\n`);
      }
    }
    if (targets.length === 0 && !failed) process.stderr.write(`No resources found\n`);
  } catch (e) {
    failed = true;
    process.stderr.write(`${errorLine(e)}\n`);
  } finally {
    client.close();
  }
  void deleted;
  return failed ? 1 : 0;
}
