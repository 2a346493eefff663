// The socket hand-off without a process per Pod: one long-lived helper enters each Pod's
// network namespace with setns(2), creates the sockets there, returns to its own namespace and
// passes the sockets to the daemon over Node's IPC channel, the same hand-off the per-Pod
// socket helper (socket-helper.ts) makes. Node cannot call setns(2), so this helper is a small
// Python program (Debian's python3, standard library only); starting it costs once what a Node
// socket helper costs per Pod (~30 ms of CPU). Without python3 the daemon keeps the per-Pod helper.
//
// The IPC channel is Node's, in its "json" serialization: one JSON object per line; a socket
// travels as SCM_RIGHTS on the line {"cmd":"NODE_HANDLE","type":"net.Server"|"dgram.Socket",
// "msg":<the message>}, which Node acknowledges with {"cmd":"NODE_HANDLE_ACK"} before the
// next one is sent (Node's child_process does the same on its side of the channel).
// Requests: {id, netns?, sockets:[{protocol, host, port}]}. Answers: one handle message
// {id, index} per socket, then {id, done: true, errors: [{index, message}]} or {id, done: true, error}.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import type { Server } from "node:net";
import type { Socket } from "node:dgram";
import type { OpenSocketsResult, OpenedSocket, SocketRequest } from "./sockets.js";

export const SOCKET_OPENER_PY = String.raw`
import ctypes, errno, json, os, socket, sys

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
ch = socket.socket(fileno=int(os.environ["NODE_CHANNEL_FD"]))
ch.setblocking(True)
home = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
buf = b""
queued = []

def read():
    global buf
    while b"\n" not in buf:
        data = ch.recv(65536)
        if not data:
            sys.exit(0)  # the daemon closed the channel
        buf += data
    line, buf = buf.split(b"\n", 1)
    return json.loads(line)

def send(msg, fd=None):
    data = (json.dumps(msg, separators=(",", ":")) + "\n").encode()
    if fd is None:
        ch.sendall(data)
    else:
        socket.send_fds(ch, [data], [fd])

def wait_ack():
    while True:
        m = read()
        if m.get("cmd") in ("NODE_HANDLE_ACK", "NODE_HANDLE_NACK"):
            return m["cmd"]
        queued.append(m)

def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))

def make(s):
    family = socket.AF_INET6 if ":" in s["host"] else socket.AF_INET
    tcp = s["protocol"] == "TCP"
    k = socket.socket(family, (socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM) | socket.SOCK_CLOEXEC)
    try:
        if tcp:
            k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as libuv does for a TCP listener
        k.bind((s["host"], s["port"]))
        if tcp:
            k.listen(511)
    except BaseException:
        k.close()
        raise
    return k

def describe(s, e):
    # Node's wording: "listen EADDRINUSE: address already in use 0.0.0.0:80"
    name = errno.errorcode.get(e.errno, "E?")
    text = (e.strerror or "").lower()
    return "%s %s: %s %s:%d" % ("listen" if s["protocol"] == "TCP" else "bind", name, text, s["host"], s["port"])

def serve(m):
    netns = m.get("netns")
    opened, errors = [], []
    if netns is not None:
        if "/" in netns or netns in ("", ".", ".."):
            send({"id": m["id"], "done": True, "error": "invalid network namespace name %r" % netns})
            return
        try:
            fd = os.open("/run/netns/" + netns, os.O_RDONLY | os.O_CLOEXEC)
            try:
                setns(fd)
            finally:
                os.close(fd)
        except OSError as e:
            send({"id": m["id"], "done": True, "error": "cannot enter network namespace %s: %s" % (netns, e.strerror)})
            return
    try:
        for i, s in enumerate(m["sockets"]):
            try:
                opened.append((i, s, make(s)))
            except OSError as e:
                errors.append({"index": i, "message": describe(s, e)})
    finally:
        if netns is not None:
            try:
                setns(home)
            except OSError:
                os._exit(3)  # never make another socket in a Pod's namespace by mistake
    for i, s, k in opened:
        msg = {"cmd": "NODE_HANDLE", "type": "net.Server" if s["protocol"] == "TCP" else "dgram.Socket", "msg": {"id": m["id"], "index": i}}
        if s["protocol"] != "TCP":
            msg["dgramType"] = "udp6" if ":" in s["host"] else "udp4"
        send(msg, k.fileno())
        ack = wait_ack()
        k.close()  # the daemon has its own copy; ours would keep the port bound after the daemon closes it
        if ack != "NODE_HANDLE_ACK":
            errors.append({"index": i, "message": "the daemon did not receive the socket"})
    send({"id": m["id"], "done": True, "errors": errors})

send({"ready": True})
while True:
    m = queued.pop(0) if queued else read()
    if "cmd" in m:
        continue  # Node's own messages (a late acknowledgement)
    serve(m)
`;

const PYTHONS = ["/usr/bin/python3", "/usr/local/bin/python3"];

/** The python3 the opener runs with (a distribution's, not a version manager's shim), if any. */
export function findPython(): string | undefined {
  for (const p of PYTHONS) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

interface Pending {
  requests: SocketRequest[];
  sockets: OpenedSocket[];
  resolve: (r: OpenSocketsResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

type Answer = { ready?: boolean; id?: number; index?: number; done?: boolean; error?: string; errors?: { index: number; message: string }[] };

const NETNS_NAME = /^[A-Za-z0-9_.-]+$/;

export class SocketOpener {
  private pending = new Map<number, Pending>();
  private id = 0;
  private dead = false;

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (m: Answer, handle: unknown) => this.onMessage(m, handle));
    child.on("exit", () => this.fail(new Error("socket opener exited")));
    child.on("error", (e) => this.fail(e));
  }

  /** Starts the opener; undefined when python3 is missing or it does not come up (the caller falls back to the per-Pod helper). */
  static start(opts: { python?: string; timeoutMs?: number; log?: (m: string) => void } = {}): Promise<SocketOpener | undefined> {
    const python = opts.python ?? findPython();
    if (!python) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const child = spawn(python, ["-I", "-S", "-c", SOCKET_OPENER_PY], { stdio: ["ignore", "ignore", "pipe", "ipc"], serialization: "json", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
      let stderr = "";
      child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
      let given = false;
      const give = (v: SocketOpener | undefined, why?: string) => {
        if (given) return;
        given = true;
        clearTimeout(timer);
        child.off("message", onReady);
        if (!v) {
          opts.log?.(`socket opener (${python}) not used: ${why}${stderr.trim() ? `: ${stderr.trim().split("\n").slice(-1)[0]}` : ""}`);
          child.kill("SIGKILL");
        }
        resolve(v);
      };
      const onReady = (m: Answer) => {
        if (m.ready) give(new SocketOpener(child));
      };
      const timer = setTimeout(() => give(undefined, "no answer"), opts.timeoutMs ?? 5000);
      child.on("message", onReady);
      child.once("exit", (code) => give(undefined, `exited (${code})`));
      child.once("error", (e) => give(undefined, e.message));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.dead && this.child.connected;
  }

  /** Opens sockets inside `netns` (or in the opener's own namespace, the daemon's, when omitted). Time-bounded. */
  open(netns: string | undefined, requests: SocketRequest[], timeoutMs = 10_000): Promise<OpenSocketsResult> {
    if (requests.length === 0) return Promise.resolve({ sockets: [], errors: [] });
    if (netns !== undefined && !NETNS_NAME.test(netns)) return Promise.reject(new Error(`invalid network namespace name "${netns}"`));
    if (!this.alive) return Promise.reject(new Error("socket opener is not running"));
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A stuck opener blocks every later request: stop it (the caller falls back to the per-Pod helper).
        this.fail(new Error(`socket opener timed out after ${timeoutMs} ms in ${netns ?? "the daemon's namespace"}`));
      }, timeoutMs);
      this.pending.set(id, { requests, sockets: [], resolve, reject, timer });
      this.child.send({ id, netns, sockets: requests.map((r) => ({ protocol: r.protocol, host: r.host, port: r.port })) });
    });
  }

  private onMessage(m: Answer, handle: unknown): void {
    const p = m.id === undefined ? undefined : this.pending.get(m.id);
    if (!p) {
      if (handle) closeHandle(handle);
      return;
    }
    if (m.index !== undefined && handle) {
      const req = p.requests[m.index];
      if (req?.protocol === "UDP") p.sockets.push({ ...req, protocol: "UDP", socket: handle as Socket });
      else if (req) p.sockets.push({ ...req, protocol: "TCP", server: handle as Server });
      else closeHandle(handle);
      return;
    }
    if (!m.done) return;
    this.pending.delete(m.id!);
    clearTimeout(p.timer);
    if (m.error) {
      for (const s of p.sockets) closeHandle(s.protocol === "TCP" ? s.server : s.socket);
      p.reject(new Error(m.error));
      return;
    }
    p.resolve({ sockets: p.sockets, errors: (m.errors ?? []).map((e) => ({ request: p.requests[e.index], message: e.message })) });
  }

  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      for (const s of p.sockets) closeHandle(s.protocol === "TCP" ? s.server : s.socket);
      p.reject(e);
    }
    this.pending.clear();
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }

  close(): void {
    this.dead = true;
    if (this.child.connected) this.child.disconnect(); // the opener exits when its channel closes
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error("socket opener closed"));
    }
    this.pending.clear();
  }
}

function closeHandle(h: unknown): void {
  try {
    (h as { close(): void }).close();
  } catch {
    // already closed
  }
}
