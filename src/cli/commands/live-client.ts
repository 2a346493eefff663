// Shared by the live commands (apply, get, delete, scale): finding the cluster's kubeconfig
// (--kubeconfig, $KUBECONFIG, else the running lab's ~/.netlab/<name>/kubeconfig), kubectl's
// resource words (`deployment.apps/frontend`), and kubectl's error lines.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../../api/types.js";
import { resourceForKind, type ResourceType } from "../../api/resources.js";
import { StatusError } from "../../api/status.js";
import { HttpClient } from "../../client/http-client.js";

export const CONNECTION_OPTIONS = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  name: { type: "string" },
  namespace: { type: "string", short: "n" },
  help: { type: "boolean", short: "h" },
} as const;

export const CONNECTION_HELP = [
  "      --kubeconfig PATH     kubeconfig to use (default $KUBECONFIG, else the running lab's, else netlab apiserver's)",
  "      --context NAME        kubeconfig context (default its current-context)",
  "      --name LAB            the lab whose kubeconfig to use (default netlab: ~/.netlab/netlab/kubeconfig)",
  "  -n, --namespace NS        namespace (default the context's, else default)",
].join("\n");

/** Where netlab keeps a lab's state ($NETLAB_HOME or ~/.netlab). */
export function netlabHome(): string {
  return process.env.NETLAB_HOME || join(homedir(), ".netlab");
}

export function kubeconfigPath(values: { kubeconfig?: string; name?: string }): string {
  if (values.kubeconfig) return values.kubeconfig;
  const env = process.env.KUBECONFIG?.split(":").find((p) => p.length > 0);
  if (env) return env;
  const lab = join(netlabHome(), values.name || "netlab", "kubeconfig");
  if (existsSync(lab)) return lab;
  // `netlab apiserver` with its default --data-dir, when no lab was asked for by name.
  const standalone = join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "netlab", "apiserver", "kubeconfig");
  if (!values.name && existsSync(standalone)) return standalone;
  throw new UserError(`no kubeconfig: pass --kubeconfig, set KUBECONFIG, or start a lab (netlab up) so that ${lab} exists`);
}

export function connect(values: { kubeconfig?: string; name?: string; context?: string }): HttpClient {
  return HttpClient.fromKubeconfig(kubeconfigPath(values), { context: values.context });
}

/** f's result, or undefined after printing its error as kubectl would (the caller exits 1). */
export function orReport<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    process.stderr.write(`${errorLine(e)}\n`);
    return undefined;
  }
}

export class UserError extends Error {
  override name = "UserError";
}

/** kubectl's `kind.group` word: `service`, `deployment.apps`, `ingress.networking.k8s.io`. */
export function resourceWord(t: ResourceType): string {
  return t.group ? `${t.singular}.${t.group}` : t.singular;
}

export function objectRef(o: KubeObject): string {
  const t = resourceForKind(o.kind);
  return `${t ? resourceWord(t) : o.kind.toLowerCase()}/${o.metadata.name}`;
}

/** `Error from server (NotFound): pods "x" not found`, as kubectl prints API errors. */
export function errorLine(e: unknown, context?: string): string {
  const invalid = e instanceof StatusError ? invalidLines(e) : undefined;
  if (invalid !== undefined) return invalid;
  if (e instanceof StatusError) return `Error from server (${e.reason ?? "Unknown"}): ${context ? `${context}: ` : ""}${e.message}`;
  if (e instanceof UserError) return `error: ${e.message}`;
  const msg = e instanceof Error ? e.message : String(e);
  return `error: ${context ? `${context}: ` : ""}${msg}`;
}

/** kubectl prints Invalid errors from the Status causes: `The Service "x" is invalid: f: msg`,
 * or the prefix on its own line followed by `* f: msg` lines when there are several. */
function invalidLines(e: StatusError): string | undefined {
  const d = e.status.details;
  if (e.reason !== "Invalid" || !d || (!d.kind && !d.name)) return undefined;
  const prefix = `The ${d.kind ?? ""} ${JSON.stringify(d.name ?? "")} is invalid`;
  const causes = (d.causes ?? []).map((c) => (c.field ? `${c.field}: ${c.message ?? ""}` : (c.message ?? "")));
  if (causes.length === 0) return prefix;
  if (causes.length === 1) return `${prefix}: ${causes[0]}`;
  return `${prefix}: \n${causes.map((c) => `* ${c}`).join("\n")}`;
}
