// Scratch network namespaces for kernel tests and benchmarks: every rule we load goes into a
// namespace made here (named nlt-proxy-<pid>-<n>) and deleted by name afterwards. Nothing
// here touches the root namespace's rules.
import { spawnSync } from "node:child_process";

let counter = 0;

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

export function hasTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

/** Why kernel work cannot run here, or undefined when it can. */
export function kernelSkipReason(tools: string[] = ["ip", "iptables-restore", "nft"]): string | undefined {
  if (!isRoot()) return "needs root (network namespaces, iptables, nft)";
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length) return `missing tools: ${missing.join(", ")}`;
  return undefined;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function createScratchNetns(): string {
  const name = `nlt-proxy-${process.pid}-${++counter}`;
  const r = spawnSync("ip", ["netns", "add", name], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr.trim()}`);
  return name;
}

export function deleteNetns(name: string): void {
  if (!name.startsWith("nlt-proxy-")) throw new Error(`refusing to delete namespace ${name}`);
  spawnSync("ip", ["netns", "del", name], { encoding: "utf8" });
}

/** Runs a command inside the namespace (input on stdin), bounded by a timeout. */
export function inNetns(ns: string, cmd: string, args: string[], input?: string, timeoutMs = 180_000): RunResult {
  if (!ns.startsWith("nlt-proxy-")) throw new Error(`refusing to run outside a scratch namespace (${ns})`);
  const t = performance.now();
  const r = spawnSync("ip", ["netns", "exec", ns, cmd, ...args], { input, encoding: "utf8", maxBuffer: 1 << 30, timeout: timeoutMs });
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : ""), ms: performance.now() - t };
}
