// The daemon's way to start processes and make sockets in the lab's namespaces, off its own
// event loop: the netns helper (netns-helper.ts: one python3 process, setns + vfork) when the
// machine has python3; otherwise, or if the helper dies, a few small Node children
// (spawner-child.ts), round-robin, with a socket helper process per Pod. If a child dies, its
// pending calls fail and later calls start processes directly (the plain systemRunner path).
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Server } from "node:net";
import type { Socket } from "node:dgram";
import { systemRunner, type CommandResult, type RunOptions, type Runner } from "./exec.js";
import { HelperUnavailable, NetnsHelper } from "./netns-helper.js";
import { closeOpened, openSockets, type OpenSocketsResult, type OpenedSocket, type SocketRequest } from "../agent/sockets.js";

const CHILD = fileURLToPath(new URL("./spawner-child.js", import.meta.url));

interface Pending {
  /** The child the call went to: its exit fails the call. */
  child: ChildProcess;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  sockets?: OpenedSocket[];
  requests?: SocketRequest[];
}

export class Spawner implements Runner {
  private children: ChildProcess[] = [];
  private started = false;
  private next = 0;
  private id = 0;
  private pending = new Map<number, Pending>();
  private closed = false;
  private readonly helper?: NetnsHelper;

  /** NETLAB_HELPER=node: the Node children only (comparisons, machines where the helper misbehaves). */
  constructor(
    private readonly count: number,
    opts: { log?: (m: string) => void } = {},
  ) {
    if (process.env.NETLAB_HELPER !== "node") this.helper = NetnsHelper.start({ log: opts.log });
    if (!this.helper) this.startChildren();
  }

  /** The Node children, started on first need. */
  private startChildren(): void {
    if (this.started || this.closed) return;
    this.started = true;
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    for (let i = 0; i < this.count; i++) {
      const c: ChildProcess = fork(CHILD, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], env, serialization: "json" });
      c.on("message", (m: { id: number; result?: CommandResult; error?: string; index?: number; done?: boolean; errors?: { index: number; message: string }[] }, handle: unknown) => this.onMessage(m, handle));
      c.on("exit", () => {
        this.children = this.children.filter((x) => x !== c);
        if (this.closed) return;
        for (const [id, p] of this.pending) if (p.child === c) this.fail(id, p, new Error("spawner child exited"));
      });
      this.children.push(c);
    }
  }

  private pick(): ChildProcess | undefined {
    this.startChildren();
    const live = this.children.filter((c) => c.connected);
    return live.length ? live[this.next++ % live.length] : undefined;
  }

  /** A call that could not be sent (the child is exiting: EPIPE) fails as its exit would fail it. */
  private unsent(id: number, e: Error | null): void {
    const p = e ? this.pending.get(id) : undefined;
    if (p) this.fail(id, p, new Error("spawner child exited"));
  }

  /** Fails a call; sockets it already received are closed (a retry would find them bound). */
  private fail(id: number, p: Pending, e: Error): void {
    this.pending.delete(id);
    for (const s of p.sockets ?? []) closeOpened(s);
    p.reject(e);
  }

  private onMessage(m: { id: number; result?: CommandResult; error?: string; index?: number; done?: boolean; errors?: { index: number; message: string }[] }, handle: unknown): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (p.requests) {
      if (m.index !== undefined && handle) {
        const req = p.requests[m.index];
        if (req.protocol === "UDP") p.sockets!.push({ ...req, protocol: "UDP", socket: handle as Socket });
        else p.sockets!.push({ ...req, protocol: "TCP", server: handle as Server });
        return;
      }
      if (!m.done) return;
      if (m.error) return this.fail(m.id, p, new Error(m.error));
      this.pending.delete(m.id);
      p.resolve({ sockets: p.sockets ?? [], errors: (m.errors ?? []).map((e) => ({ request: p.requests![e.index], message: e.message })) } satisfies OpenSocketsResult);
      return;
    }
    this.pending.delete(m.id);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.result);
  }

  /** f on the netns helper while it takes requests; undefined where the request did not run there (unavailable). */
  private async onHelper<T>(f: (helper: NetnsHelper) => Promise<T>): Promise<T | undefined> {
    if (!this.helper?.alive || this.closed) return undefined;
    try {
      return await f(this.helper);
    } catch (e) {
      if (e instanceof HelperUnavailable) return undefined;
      throw e;
    }
  }

  async run(cmd: string, args: string[], opts: RunOptions = {}): Promise<CommandResult> {
    return (await this.onHelper((h) => h.run(cmd, args, opts))) ?? this.runOnChildren(cmd, args, opts);
  }

  private runOnChildren(cmd: string, args: string[], opts: RunOptions): Promise<CommandResult> {
    const child = this.closed ? undefined : this.pick();
    if (!child) return systemRunner.run(cmd, args, opts);
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { child, resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, kind: "run", cmd, args, input: opts.input, env: opts.env, timeoutMs: opts.timeoutMs }, (e) => this.unsent(id, e));
    });
  }

  async openSockets(netns: string | undefined, requests: SocketRequest[], timeoutMs = 10_000): Promise<OpenSocketsResult> {
    return (await this.onHelper((h) => h.openSockets(netns, requests, timeoutMs))) ?? this.openWithSocketHelper(netns, requests, timeoutMs);
  }

  /** The per-Pod socket helper (a Node process started in the namespace), from a spawner child. */
  private openWithSocketHelper(netns: string | undefined, requests: SocketRequest[], timeoutMs: number): Promise<OpenSocketsResult> {
    const child = this.closed ? undefined : this.pick();
    if (!child || requests.length === 0) return openSockets(netns, requests, timeoutMs);
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { child, resolve: resolve as (v: unknown) => void, reject, sockets: [], requests });
      child.send({ id, kind: "sockets", netns, requests, timeoutMs }, (e) => this.unsent(id, e));
    });
  }

  close(): void {
    this.closed = true;
    this.helper?.close();
    for (const c of this.children) if (c.connected) c.disconnect();
    // The exit handler ignores a closed spawner's children: their calls end here.
    for (const [id, p] of this.pending) this.fail(id, p, new Error("spawner closed"));
  }
}
