// Calls CNI plugins exactly as the CNI spec (1.0) says a runtime does: the plugin is an
// executable found in CNI_PATH, parameters in CNI_* environment variables, the network
// configuration as JSON on stdin, the result (or an error object) as JSON on stdout.
// A conflist runs its plugins in order for ADD, each given the previous plugin's result as
// `prevResult`, and in reverse order for DEL (given the cached ADD result). The plugins run
// inside the node's network namespace (nsenter, see lab/exec.ts), where they create the host end of
// the Pod's veth and the bridge.
import { access } from "node:fs/promises";
import { constants } from "node:fs";
import { netnsArgv, type Runner } from "../lab/exec.js";

export interface CniPluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
}

export interface CniIP {
  address: string; // CIDR form, e.g. 10.244.1.5/24
  gateway?: string;
  interface?: number;
}

export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: CniIP[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

export interface CniRuntimeConf {
  containerID: string;
  /** Path of the Pod's network namespace, e.g. /run/netns/nl-lab-pod-... */
  netns: string;
  ifName: string;
  /** CNI_ARGS pairs (kubelet passes IgnoreUnknown, K8S_POD_NAMESPACE, K8S_POD_NAME, ...). */
  args?: [string, string][];
  /** Values for plugins that declare the matching capability, e.g. portMappings. */
  capabilityArgs?: Record<string, unknown>;
}

export interface CniInvocation {
  runner: Runner;
  /** Directories searched for plugin executables (CNI_PATH). */
  pluginDirs: string[];
  /** Namespace the plugins run in (the node's); omitted: the caller's. */
  execNetns?: string;
  timeoutMs?: number;
}

/** A plugin's error result ({"code","msg","details"}) or a failure to run it. */
export class CniError extends Error {
  override name = "CniError";
  constructor(
    readonly plugin: string,
    readonly command: string,
    readonly code: number,
    readonly msg: string,
    readonly details?: string,
  ) {
    super(`CNI plugin ${plugin} ${command} failed (code ${code}): ${msg}${details ? `: ${details}` : ""}`);
  }
}

export function cniArgsString(args: [string, string][] | undefined): string {
  return (args ?? []).map(([k, v]) => `${k}=${v}`).join(";");
}

/** The stdin config for one plugin of a list: the plugin's own fields plus name, cniVersion, prevResult and runtimeConfig. */
export function pluginStdin(list: CniConfList, plugin: CniPluginConf, rt: CniRuntimeConf, prevResult?: CniResult): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
    if (on && rt.capabilityArgs && cap in rt.capabilityArgs) runtimeConfig[cap] = rt.capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
  if (prevResult) conf.prevResult = prevResult;
  return conf;
}

async function findPlugin(dirs: string[], type: string): Promise<string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(type)) throw new CniError(type, "find", 1, `invalid plugin type "${type}"`);
  for (const d of dirs) {
    const p = `${d}/${type}`;
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // try the next directory
    }
  }
  throw new CniError(type, "find", 1, `failed to find plugin "${type}" in path [${dirs.join(" ")}]`);
}

/** Parses a plugin's stdout: the result on success, the error object otherwise. */
export function parsePluginOutput(plugin: string, command: string, exitCode: number, stdout: string, stderr: string): CniResult | CniError | undefined {
  const text = stdout.trim();
  let parsed: Record<string, unknown> | undefined;
  if (text) {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      if (exitCode === 0) return new CniError(plugin, command, 999, `plugin output is not JSON: ${text.slice(0, 200)}`);
    }
  }
  if (exitCode !== 0) {
    if (parsed && typeof parsed.msg === "string") return new CniError(plugin, command, Number(parsed.code ?? 999), parsed.msg, typeof parsed.details === "string" ? parsed.details : undefined);
    return new CniError(plugin, command, 999, (stderr || text || `exit status ${exitCode}`).trim().slice(0, 500));
  }
  return parsed as CniResult | undefined;
}

async function invoke(inv: CniInvocation, command: "ADD" | "DEL" | "CHECK", plugin: CniPluginConf, stdin: Record<string, unknown>, rt: CniRuntimeConf): Promise<CniResult | undefined> {
  const path = await findPlugin(inv.pluginDirs, plugin.type);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerID,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifName,
    CNI_ARGS: cniArgsString(rt.args),
    CNI_PATH: inv.pluginDirs.join(":"),
  };
  const [cmd, args] = inv.execNetns ? netnsArgv(inv.execNetns, path, []) : [path, []];
  const res = await inv.runner.run(cmd, args as string[], { env, input: JSON.stringify(stdin), timeoutMs: inv.timeoutMs ?? 15_000 });
  const out = parsePluginOutput(plugin.type, command, res.code, res.stdout, res.stderr);
  if (out instanceof CniError) throw out;
  return out;
}

/** ADD through every plugin of the list in order; returns the last plugin's result. */
export async function cniAdd(inv: CniInvocation, list: CniConfList, rt: CniRuntimeConf): Promise<CniResult> {
  let prev: CniResult | undefined;
  for (const plugin of list.plugins) {
    const res = await invoke(inv, "ADD", plugin, pluginStdin(list, plugin, rt, prev), rt);
    if (!res) throw new CniError(plugin.type, "ADD", 999, "plugin returned no result");
    prev = res;
  }
  return prev!;
}

/** DEL through the plugins in reverse order. DEL is idempotent: missing namespaces/interfaces are not errors for the plugins. */
export async function cniDel(inv: CniInvocation, list: CniConfList, rt: CniRuntimeConf, prevResult?: CniResult): Promise<void> {
  const errors: Error[] = [];
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await invoke(inv, "DEL", plugin, pluginStdin(list, plugin, rt, prevResult), rt);
    } catch (e) {
      errors.push(e as Error); // keep tearing down the rest
    }
  }
  if (errors.length) throw errors[0];
}

/** The first IPv4 address of a result, without the prefix length. */
export function resultIPv4(r: CniResult): string | undefined {
  const ip = r.ips?.find((i) => !i.address.includes(":"));
  return ip?.address.split("/")[0];
}
