// `netlab scale (deployment|statefulset|replicaset)/NAME --replicas N`: sets spec.replicas,
// as kubectl scale, and prints `deployment.apps/frontend scaled`.
import type { KubeObject } from "../../api/types.js";
import { parseRequests } from "./get.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, errorLine, orReport, resourceWord } from "./live-client.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab scale KIND/NAME... --replicas N [--current-replicas M]
       netlab scale KIND NAME... --replicas N

Sets the replicas of Deployments, ReplicaSets and StatefulSets.

Options:
      --replicas N            the new number of replicas (required)
      --current-replicas M    only scale when the current number is M
${CONNECTION_HELP}
`;

const SCALABLE = new Set(["Deployment", "ReplicaSet", "StatefulSet"]);

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args: argv, options: { ...CONNECTION_OPTIONS, replicas: { type: "string" }, "current-replicas": { type: "string" } }, allowPositionals: true }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const replicas = Number(values.replicas);
  if (values.replicas === undefined || !/^\d+$/.test(values.replicas) || !Number.isSafeInteger(replicas)) {
    process.stderr.write(values.replicas === undefined ? "error: required flag(s) \"replicas\" not set\n" : `error: invalid --replicas ${JSON.stringify(values.replicas)}: must be a non-negative integer\n`);
    return 1;
  }
  const current = values["current-replicas"] === undefined ? undefined : Number(values["current-replicas"]);
  const requests = orReport(() => parseRequests(positionals));
  if (!requests) return 1;
  for (const r of requests) {
    if (!SCALABLE.has(r.type.kind)) {
      process.stderr.write(`error: no scaler has been implemented for {"${r.type.group}" "${r.type.kind}"}\n`);
      return 1;
    }
    if (r.names.length === 0) {
      process.stderr.write("error: resource(s) were provided, but no name was specified\n");
      return 1;
    }
  }
  const client = orReport(() => connect(values));
  if (!client) return 1;
  const ns = values.namespace || client.namespace;
  let failed = false;
  try {
    for (const r of requests) {
      for (const name of r.names) {
        const key = { kind: r.type.kind, namespace: ns, name };
        try {
          const live = await client.get<KubeObject & { spec: { replicas?: number } }>(key);
          const have = live.spec.replicas ?? 1;
          if (current !== undefined && have !== current) {
            process.stderr.write(`error: Expected replicas to be ${current}, was ${have}\n`);
            failed = true;
            continue;
          }
          // With --current-replicas, the resourceVersion makes the write conditional on the check.
          const patch = current !== undefined ? { metadata: { resourceVersion: live.metadata.resourceVersion }, spec: { replicas } } : { spec: { replicas } };
          await client.patch(key, patch);
          process.stdout.write(`${resourceWord(r.type)}/${name} scaled\n`);
        } catch (e) {
          failed = true;
          process.stderr.write(`${errorLine(e)}\n`);
        }
      }
    }
  } finally {
    client.close();
  }
  return failed ? 1 : 0;
}
