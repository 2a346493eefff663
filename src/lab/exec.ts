// The one edge through which the lab runs kernel tools (ip, nft, iptables-restore, sysctl,
// conntrack, CNI plugins). Everything else builds argument lists and batch texts as data, so
// unit tests swap in the recording fake below and assert on exactly what would run.
import { spawn } from "node:child_process";

export interface RunOptions {
  /** Written to the command's stdin (batch input, CNI config). */
  input?: string;
  env?: Record<string, string>;
  /** Kill the command after this long (default 10 s): every kernel step is time-bounded. */
  timeoutMs?: number;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Runner {
  /** Runs cmd; resolves with its result whatever the exit code (callers decide what failure means). */
  run(cmd: string, args: string[], opts?: RunOptions): Promise<CommandResult>;
}

export class CommandError extends Error {
  override name = "CommandError";
  constructor(
    readonly cmd: string,
    readonly args: string[],
    readonly result: CommandResult,
  ) {
    const detail = (result.stderr || result.stdout).trim().split("\n").slice(0, 6).join("\n");
    super(`${cmd} ${args.join(" ")} failed (exit ${result.code}): ${detail}`);
  }
}

/**
 * How long a runner still reads a program's output after it exits: a process the program
 * started and left running (`sleep 30 &`, a daemon) may hold that output open for ever.
 * systemRunner and the netns helper both cut it then, and say so in stderr with the note below.
 */
export const OUTPUT_GRACE_MS = 500;
export const OUTPUT_CUT_NOTE = `\n(output cut ${OUTPUT_GRACE_MS / 1000} s after exit: a process it started keeps it open)`;

export const systemRunner: Runner = {
  run(cmd, args, opts = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        env: opts.env ?? process.env,
        stdio: ["pipe", "pipe", "pipe"],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 10_000);
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${cmd}: ${e.message}`, { cause: e }));
      });
      // Children it left behind may hold its output open: not waited for past OUTPUT_GRACE_MS after it exits.
      let grace: NodeJS.Timeout | undefined;
      let cut = false;
      child.on("exit", () => {
        grace = setTimeout(() => {
          cut = true;
          child.stdout.destroy();
          child.stderr.destroy();
        }, OUTPUT_GRACE_MS);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        clearTimeout(grace);
        const stderr = Buffer.concat(err).toString() + (cut ? OUTPUT_CUT_NOTE : "") + (signal ? `\nkilled by ${signal} (timeout ${opts.timeoutMs ?? 10_000} ms)` : "");
        resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr });
      });
      child.stdin.on("error", () => {}); // the command may exit before reading all input
      child.stdin.end(opts.input ?? "");
    });
  },
};

/** Runs and throws CommandError on a non-zero exit. */
export async function mustRun(r: Runner, cmd: string, args: string[], opts?: RunOptions): Promise<string> {
  const res = await r.run(cmd, args, opts);
  if (res.code !== 0) throw new CommandError(cmd, args, res);
  return res.stdout;
}

/** `ip [-n NS] -batch -`: many ip commands in one process. */
export async function ipBatch(r: Runner, lines: string[], netns?: string): Promise<void> {
  if (lines.length === 0) return;
  const args = netns ? ["-n", netns, "-batch", "-"] : ["-batch", "-"];
  await mustRun(r, "ip", args, { input: lines.join("\n") + "\n" });
}

/**
 * The argv that runs cmd inside a named network namespace: `nsenter --net=/run/netns/NS`.
 * Unlike `ip netns exec` it makes no mount namespace (no /sys remount, no /etc/netns binds),
 * which costs ~40 ms per call under load; every tool the lab runs this way (CNI plugins,
 * iptables-restore, nft, conntrack, sysctl, the socket helper) only needs the network
 * namespace. Commands a user or a container runs keep `ip netns exec` (resolv.conf).
 */
export function netnsArgv(netns: string, cmd: string, args: string[]): [string, string[]] {
  return ["nsenter", [`--net=/run/netns/${netns}`, "--", cmd, ...args]];
}

/** A name the lab gives a network namespace: no path separator, no space or newline (ip -batch input is one line per command). */
export const NETNS_NAME = /^[A-Za-z0-9_.-]+$/;

/** Runs cmd inside the network namespace (see netnsArgv). */
export function nsExec(r: Runner, netns: string, cmd: string, args: string[], opts?: RunOptions): Promise<CommandResult> {
  const [c, a] = netnsArgv(netns, cmd, args);
  return r.run(c, a, opts);
}

export async function mustNsExec(r: Runner, netns: string, cmd: string, args: string[], opts?: RunOptions): Promise<string> {
  const [c, a] = netnsArgv(netns, cmd, args);
  return mustRun(r, c, a, opts);
}

export interface RecordedCall {
  cmd: string;
  args: string[];
  input?: string;
  env?: Record<string, string>;
}

/** A fake Runner that records every call and answers from `respond` (default: success, empty output). */
export class RecordingRunner implements Runner {
  readonly calls: RecordedCall[] = [];
  constructor(private readonly respond: (call: RecordedCall) => Partial<CommandResult> | undefined = () => undefined) {}
  async run(cmd: string, args: string[], opts: RunOptions = {}): Promise<CommandResult> {
    const call: RecordedCall = { cmd, args, input: opts.input, env: opts.env };
    this.calls.push(call);
    const r = this.respond(call) ?? {};
    return { code: r.code ?? 0, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }
  /** Each call as one line: `cmd arg arg` (input not included). */
  lines(): string[] {
    return this.calls.map((c) => [c.cmd, ...c.args].join(" "));
  }
}
