// A long-lived `nft -i` inside one network namespace, fed small transactions on stdin. Each
// `nft -f -` costs a process start (nsenter + nft, ~15-30 ms under load) before nft reads the
// table's chains and sets; a session pays only the read (nft 1.0.6 still refetches its cache
// after every commit, because the generation id changes). Measured at 10,000 services x 10
// endpoints on this machine (endpoints in maps, so an element change): a one-endpoint change
// 49-57 ms with `nft -f`, 15-20 ms here.
// Use it for partial updates; full loads (megabytes) stay with `nft -f -`.
//
// Protocol: the transaction's lines are joined with "; " into ONE input line, which nft runs
// as one batch (atomic: a failing command applies nothing). A marker line follows that is a
// syntax error on purpose: nft answers it on stderr, echoing the marker, without touching the
// kernel. Everything nft wrote to stderr before the marker's error is the transaction's.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

/** Longest transaction sent as one line (tested with 250 kB); larger ones belong to `nft -f -`. */
export const MAX_SESSION_TRANSACTION = 256 * 1024;

export interface NftSessionOptions {
  /** Named network namespace (/run/netns/NAME) the nft process enters. */
  netns: string;
  /** Bound of one transaction (default 30 s): on expiry the process is killed and the session closed. */
  timeoutMs?: number;
  /** Starts the process (default: node:child_process spawn). */
  spawn?: (cmd: string, args: string[]) => ChildProcessWithoutNullStreams;
}

export class NftSessionError extends Error {
  override name = "NftSessionError";
}

/** An `nft -f` script -> the single input line of one transaction. Pure. */
export function sessionLine(script: string): string {
  const lines = script.split("\n").filter((l) => l.trim() !== "");
  for (const l of lines) {
    // A comment would swallow every command after it on the joined line.
    if (l.includes("#")) throw new NftSessionError(`nft session: "#" is not allowed in a session transaction: ${l.slice(0, 120)}`);
  }
  const line = lines.join("; ");
  if (line.length > MAX_SESSION_TRANSACTION) throw new NftSessionError(`nft session: transaction of ${line.length} bytes exceeds ${MAX_SESSION_TRANSACTION}; use nft -f`);
  return line;
}

/**
 * The stderr text of one transaction, once the marker's echo (and the caret line after it)
 * has arrived; undefined while incomplete. Pure.
 */
export function splitAtMarker(stderr: string, marker: string): { output: string; rest: string } | undefined {
  const at = stderr.indexOf(`\n${marker}\n`);
  if (at < 0) return undefined;
  const caretEnd = stderr.indexOf("\n", at + marker.length + 2);
  if (caretEnd < 0) return undefined;
  // The marker's own one-line error message starts after the previous newline.
  const errStart = stderr.lastIndexOf("\n", at - 1) + 1;
  return { output: stderr.slice(0, errStart), rest: stderr.slice(caretEnd + 1) };
}

export class NftSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = "";
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: { marker: string; resolve: (out: string) => void; reject: (e: Error) => void } | undefined;
  private exited = false;
  private readonly timeoutMs: number;

  constructor(opts: NftSessionOptions) {
    if (!opts.netns || opts.netns.includes("/")) throw new NftSessionError(`nft session: invalid namespace name ${JSON.stringify(opts.netns)}`);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    const start = opts.spawn ?? ((cmd: string, args: string[]) => spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] }));
    this.child = start("nsenter", [`--net=/run/netns/${opts.netns}`, "--", "nft", "-i"]);
    this.child.stdout.resume(); // add/delete commands print nothing; drain anything else
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (d: string) => {
      this.stderr += d;
      this.check();
    });
    this.child.stdin.on("error", () => {}); // reported through exit
    const gone = (why: string) => {
      this.exited = true;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new NftSessionError(`nft session ended (${why}): ${this.stderr.trim().slice(0, 500)}`));
    };
    this.child.on("error", (e) => gone(e.message));
    this.child.on("exit", (code, signal) => gone(signal ? `signal ${signal}` : `exit ${code}`));
  }

  get closed(): boolean {
    return this.exited;
  }

  private check(): void {
    const p = this.pending;
    if (!p) return;
    const s = splitAtMarker(this.stderr, p.marker);
    if (!s) return;
    this.stderr = s.rest;
    this.pending = undefined;
    p.resolve(s.output);
  }

  /** Applies one `nft -f`-style script as one transaction; rejects with nft's error text when it fails. */
  apply(script: string): Promise<void> {
    const line = sessionLine(script);
    const run = async () => {
      if (!line) return;
      if (this.exited) throw new NftSessionError("nft session is closed");
      const marker = `netlab-session-marker-${process.pid}-${++this.seq}`;
      const output = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new NftSessionError(`nft session: no answer within ${this.timeoutMs} ms; killed`));
          this.pending = undefined;
          this.child.kill("SIGKILL");
        }, this.timeoutMs);
        this.pending = {
          marker,
          resolve: (o) => (clearTimeout(timer), resolve(o)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        };
        this.child.stdin.write(`${line}\n${marker}\n`);
        this.check();
      });
      // nft prints nothing for a transaction that worked; anything else is its error report.
      if (output.trim()) throw new NftSessionError(`nft: ${output.trim().split("\n").slice(0, 6).join("\n")}`);
    };
    const r = this.queue.then(run, run);
    this.queue = r.catch(() => {});
    return r;
  }

  /** Ends the nft process (stdin closed; killed if it has not exited within a second). */
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 1000);
    await done;
    clearTimeout(timer);
  }
}

export function startNftSession(opts: NftSessionOptions): NftSession {
  return new NftSession(opts);
}
