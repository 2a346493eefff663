// The kubeconfig written for the user (pure render), in kubectl's own layout.
import { parse, stringify } from "yaml";

export interface KubeconfigInput {
  /** Cluster, user and context name, e.g. "netlab". */
  name: string;
  server: string;
  caPem: string;
  token: string;
  namespace?: string;
}

export function renderKubeconfig(k: KubeconfigInput): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: k.name, cluster: { server: k.server, "certificate-authority-data": Buffer.from(k.caPem).toString("base64") } }],
    users: [{ name: k.name, user: { token: k.token } }],
    contexts: [{ name: k.name, context: { cluster: k.name, user: k.name, namespace: k.namespace ?? "default" } }],
    "current-context": k.name,
    preferences: {},
  });
}

export interface ParsedKubeconfig {
  server: string;
  caPem?: string;
  token?: string;
  namespace: string;
  insecure: boolean;
}

/** Reads the current (or given) context of a kubeconfig: token auth, CA inline or as a file. */
export function parseKubeconfig(text: string, readFile: (p: string) => string, context?: string): ParsedKubeconfig {
  const doc = parse(text) as Record<string, unknown> | null;
  if (!doc || typeof doc !== "object") throw new Error("kubeconfig: not a YAML mapping");
  const named = <T>(list: unknown, name: string, what: string): T => {
    const e = Array.isArray(list) ? (list as { name?: string }[]).find((x) => x?.name === name) : undefined;
    if (!e) throw new Error(`kubeconfig: ${what} "${name}" not found`);
    return (e as Record<string, unknown>)[what] as T;
  };
  const ctxName = context ?? (doc["current-context"] as string | undefined);
  if (!ctxName) throw new Error("kubeconfig: no current-context");
  const ctx = named<{ cluster: string; user?: string; namespace?: string }>(doc.contexts, ctxName, "context");
  const cluster = named<Record<string, unknown>>(doc.clusters, ctx.cluster, "cluster");
  const user = ctx.user ? named<Record<string, unknown>>(doc.users, ctx.user, "user") ?? {} : {};
  const server = cluster.server;
  if (typeof server !== "string") throw new Error(`kubeconfig: cluster "${ctx.cluster}" has no server`);
  // "localhost:6443" parses as a URL of scheme "localhost:": only https:// is one we can use.
  if (!URL.canParse(server) || new URL(server).protocol !== "https:") throw new Error(`kubeconfig: cluster "${ctx.cluster}": server ${JSON.stringify(server)} is not an https:// URL (want https://HOST:PORT)`);
  let caPem: string | undefined;
  if (typeof cluster["certificate-authority-data"] === "string") caPem = Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8");
  else if (typeof cluster["certificate-authority"] === "string") caPem = readFile(cluster["certificate-authority"]);
  let token = typeof user.token === "string" ? user.token : undefined;
  if (!token && typeof user.tokenFile === "string") token = readFile(user.tokenFile).trim();
  return { server, caPem, token, namespace: ctx.namespace ?? "default", insecure: cluster["insecure-skip-tls-verify"] === true };
}
