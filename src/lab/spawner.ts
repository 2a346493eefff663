// Daemon side of the spawner (spawner-child.ts): a Runner and a socket opener that hand the
// process starts to a few small children, round-robin. If a child dies, its pending calls fail
// and later calls start processes directly (the plain systemRunner path).
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Server } from "node:net";
import type { Socket } from "node:dgram";
import { systemRunner, type CommandResult, type RunOptions, type Runner } from "./exec.js";
import { openSockets, type OpenSocketsResult, type OpenedSocket, type SocketRequest } from "../agent/sockets.js";
import { SocketOpener } from "../agent/socket-opener.js";

const CHILD = fileURLToPath(new URL("./spawner-child.js", import.meta.url));

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  sockets?: OpenedSocket[];
  requests?: SocketRequest[];
}

export class Spawner implements Runner {
  private children: ChildProcess[] = [];
  private next = 0;
  private id = 0;
  private pending = new Map<number, Pending>();
  private closed = false;
  /** The long-lived socket opener (setns), when python3 is there; else each Pod's sockets cost a socket helper process. */
  private opener: Promise<SocketOpener | undefined>;

  constructor(count: number, opts: { log?: (m: string) => void } = {}) {
    this.opener = process.env.NETLAB_SOCKET_HELPER === "node" ? Promise.resolve(undefined) : SocketOpener.start({ log: opts.log });
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    for (let i = 0; i < count; i++) {
      const c = fork(CHILD, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], env, serialization: "json" });
      c.on("message", (m: { id: number; result?: CommandResult; error?: string; index?: number; done?: boolean; errors?: { index: number; message: string }[] }, handle: unknown) => this.onMessage(m, handle));
      c.on("exit", () => {
        this.children = this.children.filter((x) => x !== c);
        if (!this.closed) for (const [id, p] of this.pending) if (id % 256 === i) p.reject(new Error("spawner child exited"));
      });
      this.children.push(c);
    }
  }

  private pick(): { child: ChildProcess; index: number } | undefined {
    const live = this.children.filter((c) => c.connected);
    if (!live.length) return undefined;
    const child = live[this.next++ % live.length];
    return { child, index: this.children.indexOf(child) };
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
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error));
      else p.resolve({ sockets: p.sockets ?? [], errors: (m.errors ?? []).map((e) => ({ request: p.requests![e.index], message: e.message })) } satisfies OpenSocketsResult);
      return;
    }
    this.pending.delete(m.id);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.result);
  }

  run(cmd: string, args: string[], opts: RunOptions = {}): Promise<CommandResult> {
    const target = this.closed ? undefined : this.pick();
    if (!target) return systemRunner.run(cmd, args, opts);
    const id = ++this.id * 256 + target.index;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      target.child.send({ id, kind: "run", cmd, args, input: opts.input, env: opts.env, timeoutMs: opts.timeoutMs });
    });
  }

  async openSockets(netns: string | undefined, requests: SocketRequest[], timeoutMs = 10_000): Promise<OpenSocketsResult> {
    const opener = this.closed ? undefined : await this.opener;
    if (opener?.alive) return opener.open(netns, requests, timeoutMs);
    return this.openWithHelper(netns, requests, timeoutMs);
  }

  /** The per-Pod socket helper (a Node process started in the namespace), from a spawner child. */
  private openWithHelper(netns: string | undefined, requests: SocketRequest[], timeoutMs: number): Promise<OpenSocketsResult> {
    const target = this.closed ? undefined : this.pick();
    if (!target || requests.length === 0) return openSockets(netns, requests, timeoutMs);
    const id = ++this.id * 256 + target.index;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, sockets: [], requests });
      target.child.send({ id, kind: "sockets", netns, requests, timeoutMs });
    });
  }

  close(): void {
    this.closed = true;
    void this.opener.then((o) => o?.close());
    for (const c of this.children) if (c.connected) c.disconnect();
  }
}
