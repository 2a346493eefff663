// Edge: one nginx (one controller Pod's) kept in step with route tables. Renders with its own
// per-pod directory, writes the TLS Secrets the routes use, and only when the configuration
// text changed: `nginx -t`, then start or SIGHUP, then waits until the new routes answer.
import { rm, writeFile } from "node:fs/promises";
import type { Secret } from "../api/types.js";
import type { RouteTable } from "./routes.js";
import { certPaths, renderNginxConfig, versionOfConfig, type NginxRenderOptions } from "./nginx-config.js";
import { NginxError, NginxProcess, preparePrefix, testConfig, writeConfig, type RunOptions } from "./nginx-process.js";

export interface SyncResult {
  /** "unchanged": same text, nothing done; "started"/"reloaded": nginx now runs `version`. */
  action: "unchanged" | "started" | "reloaded";
  version: string;
  /** Milliseconds from the start of sync until the new routes answered. */
  ms: number;
}

/** What the controller drives; the lab gives one per controller Pod. */
export interface NginxTarget {
  readonly name: string;
  sync(table: RouteTable, secrets: ReadonlyMap<string, Secret>): Promise<SyncResult>;
  /** Number of configuration loads after the first start. */
  readonly reloads: number;
  stop(): Promise<void>;
}

export interface NginxInstanceOptions extends Omit<NginxRenderOptions, "prefix"> {
  name: string;
  prefix: string;
  run?: RunOptions;
  /** Remove the prefix directory on stop. */
  cleanup?: boolean;
}

function pemOf(s: Secret, key: string): string | undefined {
  const b64 = s.data?.[key];
  return b64 ? Buffer.from(b64, "base64").toString("utf8") : undefined;
}

export class NginxInstance implements NginxTarget {
  private proc: NginxProcess | undefined;
  private lastText = "";
  private writtenCerts = new Map<string, string>();
  reloads = 0;

  constructor(private readonly o: NginxInstanceOptions) {}

  get name(): string {
    return this.o.name;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  render(table: RouteTable): string {
    const { name: _n, run: _r, cleanup: _c, ...render } = this.o;
    return renderNginxConfig(table, render);
  }

  private async writeCerts(table: RouteTable, secrets: ReadonlyMap<string, Secret>): Promise<void> {
    const certDir = this.o.certDir ?? `${this.o.prefix}/certs`;
    for (const s of table.servers) {
      if (!s.tls?.available) continue;
      const secret = secrets.get(s.tls.secret);
      const crt = secret && pemOf(secret, "tls.crt");
      const key = secret && pemOf(secret, "tls.key");
      if (!crt || !key) continue;
      const stamp = s.tls.digest ?? "";
      if (this.writtenCerts.get(s.tls.secret) === stamp) continue;
      const p = certPaths(s.tls.secret, certDir);
      await writeFile(p.cert, crt, { mode: 0o644 });
      await writeFile(p.key, key, { mode: 0o600 });
      // The digest is in the configuration text too, so a renewed certificate reloads nginx.
      this.writtenCerts.set(s.tls.secret, stamp);
    }
  }

  async sync(table: RouteTable, secrets: ReadonlyMap<string, Secret>): Promise<SyncResult> {
    const t0 = performance.now();
    const text = this.render(table);
    const version = versionOfConfig(text) ?? "";
    await preparePrefix(this.o.prefix);
    await this.writeCerts(table, secrets);
    if (text === this.lastText && this.proc?.running) return { action: "unchanged", version, ms: performance.now() - t0 };
    const paths = { prefix: this.o.prefix };
    await writeConfig(paths, text);
    const t = await testConfig(paths, this.o.run);
    if (!t.ok) throw new NginxError(`${this.o.name}: nginx -t rejected the configuration (previous one stays in force)`, t.output);
    let action: SyncResult["action"];
    if (!this.proc?.running) {
      this.proc = await NginxProcess.start(paths, { ...this.o.run, healthSocket: this.o.healthSocket, expectVersion: version });
      action = "started";
    } else {
      this.proc.reload();
      await this.proc.waitForVersion(version, 5000);
      this.reloads++;
      action = "reloaded";
    }
    this.lastText = text;
    return { action, version, ms: performance.now() - t0 };
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
    this.lastText = "";
    if (this.o.cleanup) await rm(this.o.prefix, { recursive: true, force: true });
  }
}
