// Edge: the one module that runs nginx. Writes the configuration, checks it with `nginx -t`,
// starts the master in the foreground (daemon off) as our child, reloads it with SIGHUP by its
// PID, and asks its health server (a Unix socket, reachable from any network namespace) which
// routes version it runs.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { versionOfConfig } from "./nginx-config.js";

export const NGINX_BINARY = "/usr/sbin/nginx";

export class NginxError extends Error {
  constructor(message: string, readonly output = "") {
    super(output ? `${message}: ${output.trim()}` : message);
    this.name = "NginxError";
  }
}

export interface NginxPaths {
  /** Per-pod directory (pid, logs, temp, certs, health socket). */
  prefix: string;
  /** nginx.conf path; default `<prefix>/nginx.conf`. */
  conf?: string;
}

export interface RunOptions {
  /** Prepended to every nginx command line, e.g. ["ip", "netns", "exec", "<pod netns>"] (exec keeps the PID). */
  wrap?: string[];
  binary?: string;
}

function confOf(p: NginxPaths): string {
  return p.conf ?? `${p.prefix}/nginx.conf`;
}

function argv(p: NginxPaths, extra: string[], o: RunOptions): [string, string[]] {
  const cmd = [...(o.wrap ?? []), o.binary ?? NGINX_BINARY, "-p", `${p.prefix}/`, "-c", confOf(p), ...extra];
  return [cmd[0], cmd.slice(1)];
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new NginxError(`cannot run ${cmd}: ${e.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Creates the per-pod directories nginx needs (temp paths, certs). */
export async function preparePrefix(prefix: string): Promise<void> {
  for (const d of ["tmp", "certs"]) await mkdir(`${prefix}/${d}`, { recursive: true, mode: 0o755 });
}

/** Writes the configuration atomically (rename), so a reload never reads a half-written file. */
export async function writeConfig(p: NginxPaths, text: string): Promise<void> {
  const conf = confOf(p);
  await writeFile(`${conf}.new`, text, { mode: 0o644 });
  await rename(`${conf}.new`, conf);
}

/** `nginx -t`: parses the configuration (and opens certificates) without serving. */
export async function testConfig(p: NginxPaths, o: RunOptions = {}): Promise<{ ok: boolean; output: string }> {
  const [cmd, args] = argv(p, ["-t", "-q"], o);
  const r = await run(cmd, args, 10_000);
  return { ok: r.code === 0, output: r.output };
}

/** GET on the health server's Unix socket; undefined when nothing answers. */
export function healthGet(socketPath: string, path: string, timeoutMs = 1000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, method: "GET", timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

export class NginxProcess {
  private exitCode: number | null | undefined;
  private stderr = "";
  readonly exited: Promise<number | null>;

  private constructor(readonly paths: NginxPaths, private readonly child: ChildProcess, readonly healthSocket: string) {
    child.stderr?.on("data", (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(this.exitCode);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Recent stderr of the master (nginx logs start-up failures there). */
  get output(): string {
    return this.stderr;
  }

  /**
   * Starts nginx on an already written configuration and waits until its health socket
   * answers with that configuration's routes version.
   */
  static async start(p: NginxPaths, o: RunOptions & { healthSocket?: string; expectVersion?: string; timeoutMs?: number } = {}): Promise<NginxProcess> {
    const [cmd, args] = argv(p, [], o);
    const healthSocket = o.healthSocket ?? `${p.prefix}/health.sock`;
    // A killed nginx leaves its Unix socket behind, and nginx will not bind over it.
    await rm(healthSocket, { force: true });
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    const proc = new NginxProcess(p, child, healthSocket);
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (e) => reject(new NginxError(`cannot run ${cmd}: ${e.message}`)));
    });
    try {
      await proc.waitForVersion(o.expectVersion, o.timeoutMs ?? 5000);
    } catch (e) {
      await proc.stop();
      throw e;
    }
    return proc;
  }

  /** Resolves once the health server answers (with `version`, when given). */
  async waitForVersion(version: string | undefined, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      if (!this.running) throw new NginxError(`nginx exited with ${this.exitCode}`, this.stderr);
      const r = await healthGet(this.healthSocket, version ? "/netlab/config-version" : "/healthz", 500);
      if (r && r.status === 200 && (!version || r.body.trim() === version)) return;
      if (Date.now() > deadline) throw new NginxError(`nginx did not ${version ? `serve routes version ${version}` : "become healthy"} within ${timeoutMs} ms`, this.stderr);
      await new Promise((res) => setTimeout(res, delay));
    }
  }

  /** SIGHUP to the master: it re-reads the configuration and replaces its workers gracefully. */
  reload(): void {
    if (!this.running) throw new NginxError("nginx is not running", this.stderr);
    process.kill(this.pid, "SIGHUP");
  }

  /** Writes, tests, reloads and waits until the new routes answer. */
  async apply(text: string, o: RunOptions & { timeoutMs?: number } = {}): Promise<void> {
    await writeConfig(this.paths, text);
    const t = await testConfig(this.paths, o);
    if (!t.ok) throw new NginxError("nginx -t rejected the configuration", t.output);
    this.reload();
    await this.waitForVersion(versionOfConfig(text), o.timeoutMs ?? 5000);
  }

  /** SIGKILL to the master and its workers (a killed master leaves its workers running). */
  private async kill(): Promise<void> {
    if (!this.running) return;
    let workers: number[] = [];
    try {
      workers = (await readFile(`/proc/${this.pid}/task/${this.pid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // gone already, or no children file
    }
    for (const pid of [this.pid, ...workers]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  /** SIGQUIT (graceful), then SIGKILL after a grace period; only our own child, by PID. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    try {
      process.kill(this.pid, "SIGQUIT");
    } catch {
      return;
    }
    const timer = setTimeout(() => void this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
