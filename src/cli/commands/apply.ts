// `netlab apply -f PATH|DIR|-`: kubectl's client-side apply. New objects are created with the
// last-applied-configuration annotation; existing ones get a three-way strategic merge
// (what was applied last time, the new manifest, the live object), so fields set by the
// cluster (ClusterIP, NodePorts, status, ...) are kept and fields removed from the
// manifest are removed. Prints `service/my-service created|configured|unchanged`.
import type { KubeObject } from "../../api/types.js";
import { resourceForKind } from "../../api/resources.js";
import { isStatusError } from "../../api/status.js";
import { loadObjectsOrExit } from "../load.js";
import type { Client } from "../../client/client.js";
import { canonicalJson } from "../../controllers/hash.js";
import { strategicMergePatch } from "../../apiserver/strategic-merge.js";
import { threeWayPatch, LAST_APPLIED } from "./apply-patch.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, errorLine, orReport, objectRef, UserError } from "./live-client.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab apply -f PATH... [-n NS] [--dry-run=none|client|server]

Creates or updates objects from files, directories (recursively) or - (stdin), as kubectl apply.

Options:
  -f, --filename PATH       file, directory or -; repeatable
      --dry-run MODE        none (default), client or server
  -o, --output FORMAT       name: print only kind/name
${CONNECTION_HELP}
`;

export interface ApplyResult {
  ref: string;
  verb: "created" | "configured" | "unchanged";
}

function lastAppliedOf(config: KubeObject): string {
  const c = JSON.parse(JSON.stringify(config)) as KubeObject;
  if (c.metadata.annotations) {
    delete c.metadata.annotations[LAST_APPLIED];
    if (Object.keys(c.metadata.annotations).length === 0) delete c.metadata.annotations;
  }
  return canonicalJson(c) + "\n";
}

function withLastApplied(config: KubeObject): KubeObject {
  const c = JSON.parse(JSON.stringify(config)) as KubeObject;
  c.metadata.annotations = { ...(c.metadata.annotations ?? {}), [LAST_APPLIED]: lastAppliedOf(config) };
  return c;
}

/** An object without the fields every write changes. */
function comparable(o: KubeObject): KubeObject {
  const { resourceVersion: _rv, generation: _g, managedFields: _m, ...meta } = o.metadata as KubeObject["metadata"] & { managedFields?: unknown };
  return { ...o, metadata: meta };
}

/** Applies one object; retries the update on a Conflict (someone wrote in between). */
export async function applyObject(client: Client, config: KubeObject, opts: { dryRun?: "client" | "server" } = {}): Promise<ApplyResult> {
  const t = resourceForKind(config.kind);
  if (!t) throw new UserError(`no matches for kind "${config.kind}" in version "${config.apiVersion}"`);
  if (!config.metadata.name) throw new UserError(`resource name may not be empty (${config.kind}${config.metadata.generateName ? ` with generateName ${config.metadata.generateName}: use create, apply needs a name` : ""})`);
  const ref = objectRef(config);
  const key = { kind: config.kind, namespace: t.namespaced ? config.metadata.namespace : undefined, name: config.metadata.name ?? "" };
  for (let attempt = 0; ; attempt++) {
    let live: KubeObject | undefined;
    try {
      live = await client.get(key);
    } catch (e) {
      if (!isStatusError(e, "NotFound")) throw e;
    }
    const desired = withLastApplied(config);
    if (!live) {
      try {
        if (opts.dryRun !== "client") await client.create(desired, { dryRun: opts.dryRun === "server" });
      } catch (e) {
        if (isStatusError(e, "AlreadyExists") && attempt < 5) continue; // created meanwhile: patch it
        throw Object.assign(e as Error, { applyPhase: "creating" });
      }
      return { ref, verb: "created" };
    }
    const previousText = live.metadata.annotations?.[LAST_APPLIED];
    let previous: unknown = undefined;
    if (previousText) {
      try {
        previous = JSON.parse(previousText);
      } catch {
        previous = undefined;
      }
    }
    const patch = threeWayPatch(config.kind, previous, desired, live);
    const merged = strategicMergePatch(config.kind, live, patch) as KubeObject;
    if (canonicalJson(merged) === canonicalJson(live)) return { ref, verb: "unchanged" };
    if (opts.dryRun === "client") return { ref, verb: "configured" };
    merged.metadata.resourceVersion = live.metadata.resourceVersion;
    try {
      // A difference the server's defaulting undoes (an atomic list without its defaults) is no change.
      const trial = await client.update(merged, { dryRun: true });
      if (canonicalJson(comparable(trial)) === canonicalJson(comparable(live))) return { ref, verb: "unchanged" };
      if (opts.dryRun === "server") return { ref, verb: "configured" };
      await client.update(merged);
      return { ref, verb: "configured" };
    } catch (e) {
      if (isStatusError(e, "Conflict") && attempt < 5) continue;
      throw Object.assign(e as Error, { applyPhase: "applying patch" });
    }
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args: argv,
    options: { ...CONNECTION_OPTIONS, filename: { type: "string", short: "f", multiple: true }, "dry-run": { type: "string" }, output: { type: "string", short: "o" } },
    allowPositionals: false,
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const dry = values["dry-run"] ?? "none";
  if (!["none", "client", "server"].includes(dry)) {
    process.stderr.write(`error: Invalid dry-run value (${dry}). Must be "none", "server", or "client".\n`);
    return 1;
  }
  if (values.output !== undefined && values.output !== "name") {
    process.stderr.write(`error: unable to match a printer suitable for the output format "${values.output}", allowed formats are: name\n`);
    return 1;
  }
  const paths = values.filename ?? [];
  if (paths.length === 0) {
    process.stderr.write(`error: must specify one of -f and -k\n\n${USAGE}`);
    return 1;
  }
  // Each path loads on its own so errors can name the file they came from.
  const batches: { source: string; objects: KubeObject[] }[] = [];
  for (const p of paths) batches.push({ source: p === "-" ? "STDIN" : p, objects: await loadObjectsOrExit([p]) });
  const client = orReport(() => connect(values));
  if (!client) return 1;
  const suffix = dry === "client" ? " (dry run)" : dry === "server" ? " (server dry run)" : "";
  let failed = false;
  try {
    for (const { source, objects } of batches) {
      for (const o of objects) {
        const t = resourceForKind(o.kind);
        const obj = JSON.parse(JSON.stringify(o)) as KubeObject;
        if (t?.namespaced) {
          const ns = obj.metadata.namespace;
          if (values.namespace && ns && ns !== values.namespace) {
            process.stderr.write(`error: the namespace from the provided object "${ns}" does not match the namespace "${values.namespace}". You must pass '--namespace=${ns}' to perform this operation.\n`);
            failed = true;
            continue;
          }
          obj.metadata.namespace = ns || values.namespace || client.namespace;
        }
        try {
          const r = await applyObject(client, obj, { dryRun: dry === "none" ? undefined : (dry as "client" | "server") });
          process.stdout.write(values.output === "name" ? `${r.ref}\n` : `${r.ref} ${r.verb}${suffix}\n`);
        } catch (e) {
          failed = true;
          const phase = (e as { applyPhase?: string }).applyPhase;
          process.stderr.write(`${errorLine(e, phase ? `error when ${phase} "${source}"` : undefined)}\n`);
        }
      }
    }
  } finally {
    client.close();
  }
  return failed ? 1 : 0;
}
