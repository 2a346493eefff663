// Containers whose command names a program present on this machine run it inside the Pod's
// namespace with the Pod's environment (`ip netns exec` also bind-mounts the Pod's
// /etc/netns/<ns>/resolv.conf over /etc/resolv.conf). Restarted with back-off while the Pod
// lives (restartPolicy Always); their PIDs are written down so `netlab down` can end them
// even after the daemon was killed.
import { spawn, type ChildProcess } from "node:child_process";
import { access, appendFile, writeFile } from "node:fs/promises";
import { openSync, closeSync } from "node:fs";
import { constants } from "node:fs";
import type { Container } from "../api/types.js";

export async function findProgram(name: string, path = process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"): Promise<string | undefined> {
  const candidates = name.includes("/") ? [name] : path.split(":").filter(Boolean).map((d) => `${d}/${name}`);
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/** The argv a container runs: command + args (the image's entrypoint is unknown here, so both come from the spec). */
export function containerArgv(c: Container): string[] | undefined {
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  return c.command?.length ? argv : undefined;
}

export interface RunningProgram {
  stop(): void;
}

export function runProgram(opts: {
  netns: string;
  argv: string[];
  env: { name: string; value: string }[];
  logPath: string;
  pidFile: string;
  log: (m: string) => void;
}): RunningProgram {
  let child: ChildProcess | undefined;
  let stopped = false;
  let backoff = 1000;
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    if (stopped) return;
    const fd = openSync(opts.logPath, "a");
    const env: Record<string, string> = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root" };
    for (const e of opts.env) env[e.name] = e.value;
    child = spawn("ip", ["netns", "exec", opts.netns, ...opts.argv], { env, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    const started = Date.now();
    if (child.pid) void appendFile(opts.pidFile, `${child.pid}\n`).catch(() => {});
    child.on("error", (e) => opts.log(`${opts.argv[0]}: ${e.message}`));
    child.on("exit", (code, signal) => {
      if (stopped) return;
      if (Date.now() - started > 10_000) backoff = 1000;
      opts.log(`${opts.argv.join(" ")} exited (${signal ?? code}); restarting in ${backoff} ms`);
      timer = setTimeout(start, backoff);
      backoff = Math.min(backoff * 2, 30_000);
    });
  };
  void writeFile(opts.pidFile, "").then(start, start);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (child && child.exitCode === null) child.kill("SIGTERM");
    },
  };
}
