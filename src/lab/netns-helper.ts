// The lab's netns helper: one long-lived process that starts the short-lived programs (ip, CNI
// plugins, iptables-restore, nft, sysctl, ...) and makes the sockets Pods serve, inside the
// lab's network namespaces, on the daemon's behalf. It enters a namespace with setns(2), which
// Node cannot call, so it is a small Python program (Debian's python3, standard library only):
// - a Pod's sockets are made in its namespace and handed to the daemon over Node's IPC channel,
//   instead of starting a Node socket helper per Pod (~30 ms of CPU each);
// - `nsenter --net=/run/netns/NS -- CMD...` is done here as nsenter does it (setns, then exec
//   CMD), so it costs one exec instead of two;
// - processes start with vfork (Python's subprocess), where Node forks its whole process.
// Without python3 the daemon keeps the Node spawner children and the per-Pod socket helper.
//
// The IPC channel is Node's, in its "json" serialization: one JSON object per line; a socket
// travels as SCM_RIGHTS on the line {"cmd":"NODE_HANDLE","type":"net.Server"|"dgram.Socket",
// "msg":<the message>}, which Node acknowledges with {"cmd":"NODE_HANDLE_ACK"} before the next
// handle is sent (Node's child_process does the same on its side of the channel).
// Requests -> answers:
//   {id, kind:"run", cmd, args, input?, env?, timeoutMs?} -> {id, result:{code, stdout, stderr}} | {id, error}
//   {id, kind:"sockets", netns?, sockets:[{protocol, host, port}]}
//     -> {id, index} with a handle per socket, then {id, done:true, errors:[{index, message}]} | {id, done:true, error}
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import type { Server } from "node:net";
import type { Socket } from "node:dgram";
import { NETNS_NAME, OUTPUT_CUT_NOTE, OUTPUT_GRACE_MS, type CommandResult, type RunOptions } from "./exec.js";
import { closeOpened, type OpenSocketsResult, type OpenedSocket, type SocketRequest } from "../agent/sockets.js";

/**
 * What the helper needs of Python and the kernel, checked before it says ready (and by
 * \`netlab doctor\`): exits 2 with the reason on stderr. Self-contained (imports what it uses).
 */
export const PYTHON_REQUIREMENTS_PY = String.raw`
import os, socket, sys
# Python >= 3.9 and Linux >= 5.3 (pidfd_open, send_fds): else the daemon runs programs itself.
if not hasattr(os, "pidfd_open") or not hasattr(socket, "send_fds"):
    sys.stderr.write("python %d.%d lacks os.pidfd_open or socket.send_fds (3.9 or later needed)\n" % sys.version_info[:2])
    sys.exit(2)
try:
    os.close(os.pidfd_open(os.getpid()))
except OSError as e:
    sys.stderr.write("pidfd_open: %s (Linux 5.3 or later needed)\n" % e.strerror)
    sys.exit(2)
`;

export const NETNS_HELPER_PY = String.raw`
import ctypes, errno, json, os, selectors, signal, socket, subprocess, sys, time

CLONE_NEWNET = 0x40000000
NSENTER_NET = "--net=/run/netns/"
libc = ctypes.CDLL(None, use_errno=True)
ch = socket.socket(fileno=int(os.environ.pop("NODE_CHANNEL_FD")))
os.environ.pop("NODE_CHANNEL_SERIALIZATION_MODE", None)
ch.setblocking(True)
home = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
sel = selectors.DefaultSelector()
chunks = []  # the message being received, in pieces (joined once its newline arrives: a
             # 30 MB restore input re-scanned and re-copied per piece cost seconds)
lines = []
runs = {}

def pump():
    data = ch.recv(1 << 20)
    if not data:
        os._exit(0)  # the daemon closed the channel
    if b"\n" not in data:
        chunks.append(data)
        return
    *done, rest = (b"".join(chunks) + data).split(b"\n")
    chunks[:] = [rest] if rest else []
    lines.extend(json.loads(l) for l in done if l)

def send(msg, fd=None):
    data = (json.dumps(msg, separators=(",", ":")) + "\n").encode()
    if fd is None:
        ch.sendall(data)
    else:
        socket.send_fds(ch, [data], [fd])

def wait_ack():
    while True:
        for i, m in enumerate(lines):
            if m.get("cmd") in ("NODE_HANDLE_ACK", "NODE_HANDLE_NACK"):
                del lines[i]
                return m["cmd"]
        pump()

def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))

def enter(netns):
    if "/" in netns or netns in ("", ".", ".."):
        raise OSError(errno.EINVAL, "invalid network namespace name")
    fd = os.open("/run/netns/" + netns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns(fd)
    finally:
        os.close(fd)

def leave():
    try:
        setns(home)
    except OSError:
        os._exit(3)  # never run or bind anything else in a lab namespace by mistake

# ---- programs
PIPES_GRACE = ${OUTPUT_GRACE_MS / 1000}  # OUTPUT_GRACE_MS, as systemRunner

class Run:
    pass

def start_run(m):
    argv = [m["cmd"]] + list(m.get("args") or [])
    netns = None
    if len(argv) >= 4 and argv[0] == "nsenter" and argv[1].startswith(NSENTER_NET) and argv[2] == "--":
        netns, argv = argv[1][len(NSENTER_NET):], argv[3:]
    env = m.get("env")
    if netns is not None:
        try:
            enter(netns)
        except OSError as e:
            # nsenter's own answer when it cannot enter
            send({"id": m["id"], "result": {"code": 1, "stdout": "", "stderr": "nsenter: cannot open /run/netns/%s: %s\n" % (netns, e.strerror)}})
            return
    try:
        try:
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, close_fds=True)
        finally:
            if netns is not None:
                leave()  # whatever Popen raised: nothing else may run in the Pod's namespace
    except OSError as e:
        if netns is not None:
            # nsenter entered the namespace but could not exec the program: its exit status and message
            code = 127 if e.errno == errno.ENOENT else 126
            send({"id": m["id"], "result": {"code": code, "stdout": "", "stderr": "nsenter: failed to execute %s: %s\n" % (argv[0], e.strerror)}})
        else:
            send({"id": m["id"], "error": "cannot run %s: spawn %s %s" % (m["cmd"], m["cmd"], errno.errorcode.get(e.errno, "E?"))})
        return
    try:
        watch(m, p)
    except BaseException:
        p.kill()
        p.wait()
        raise

def watch(m, p):
    r = Run()
    r.id, r.p, r.out, r.err, r.open = m["id"], p, [], [], 2
    r.timeout = (m.get("timeoutMs") or 10000) / 1000.0
    r.deadline = time.monotonic() + r.timeout
    r.exited = False
    r.killed = False
    r.pipes_deadline = None
    r.input = memoryview((m.get("input") or "").encode())
    for f, key in ((p.stdout, "out"), (p.stderr, "err")):
        os.set_blocking(f.fileno(), False)
        sel.register(f, selectors.EVENT_READ, (r, key))
    os.set_blocking(p.stdin.fileno(), False)
    if len(r.input):
        sel.register(p.stdin, selectors.EVENT_WRITE, (r, "in"))
    else:
        p.stdin.close()
    r.pidfd = os.pidfd_open(p.pid)
    sel.register(r.pidfd, selectors.EVENT_READ, (r, "exit"))
    runs[r.id] = r

def on_run_event(r, key, f):
    if key == "in":
        try:
            n = os.write(f.fileno(), r.input[:1 << 16])
            r.input = r.input[n:]
        except BlockingIOError:
            return
        except OSError:
            r.input = r.input[:0]  # the program exited without reading all input
        if not len(r.input):
            sel.unregister(f)
            f.close()
    elif key == "exit":
        sel.unregister(r.pidfd)
        os.close(r.pidfd)
        r.p.wait()
        r.exited = True
        # Children it left behind may hold its output open: not waited for past this.
        r.pipes_deadline = time.monotonic() + PIPES_GRACE
    else:
        try:
            data = os.read(f.fileno(), 1 << 16)
        except BlockingIOError:
            return
        if data:
            (r.out if key == "out" else r.err).append(data)
            return
        sel.unregister(f)
        f.close()
        r.open -= 1
    if r.exited and r.open == 0:
        finish(r)

def cut_pipes(r):
    """Stops reading output that a program's leftover children keep open, and answers."""
    for f in (r.p.stdout, r.p.stderr):
        if not f.closed:
            try:
                sel.unregister(f)
            except (KeyError, ValueError):
                pass
            f.close()
    r.open = 0
    r.err.append(${JSON.stringify(OUTPUT_CUT_NOTE)}.encode())
    finish(r)

def finish(r):
    del runs[r.id]
    if not r.p.stdin.closed:
        try:
            sel.unregister(r.p.stdin)
        except (KeyError, ValueError):
            pass
        r.p.stdin.close()
    code = r.p.returncode
    stderr = b"".join(r.err).decode("utf-8", "replace")
    if code < 0:
        stderr += "\nkilled by %s (timeout %d ms)" % (signal.Signals(-code).name, round(r.timeout * 1000))
        code = 128
    send({"id": r.id, "result": {"code": code, "stdout": b"".join(r.out).decode("utf-8", "replace"), "stderr": stderr}})

# ---- sockets
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
    text = (e.strerror or "").lower()
    return "%s %s: %s %s:%d" % ("listen" if s["protocol"] == "TCP" else "bind", errno.errorcode.get(e.errno, "E?"), text, s["host"], s["port"])

def open_sockets(m):
    netns = m.get("netns")
    opened, errors = [], []
    if netns is not None:
        try:
            enter(netns)
        except OSError as e:
            send({"id": m["id"], "done": True, "error": "cannot enter network namespace %s: %s" % (netns, e.strerror)})
            return
    try:
        for i, s in enumerate(m["sockets"]):
            try:
                opened.append((i, s, make(s)))
            except OSError as e:
                errors.append({"index": i, "message": describe(s, e)})
            except (ValueError, TypeError, OverflowError, KeyError) as e:
                errors.append({"index": i, "message": "invalid socket request %s: %s" % (json.dumps(s), e)})
    finally:
        if netns is not None:
            leave()
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

def handle(m):
    kind = m.get("kind")
    if kind not in ("run", "sockets"):
        return  # Node's own messages ({"cmd": "NODE_..."}, e.g. a late acknowledgement)
    try:
        if kind == "sockets":
            open_sockets(m)
        else:
            start_run(m)
    except Exception as e:
        send({"id": m.get("id"), "error": "netns helper: %s: %s" % (type(e).__name__, e)})

${PYTHON_REQUIREMENTS_PY}

sel.register(ch, selectors.EVENT_READ, None)
send({"ready": True})
while True:
    while lines:
        handle(lines.pop(0))
    deadlines = [r.deadline for r in runs.values() if not r.killed and not r.exited]
    deadlines += [r.pipes_deadline for r in runs.values() if r.pipes_deadline is not None]
    timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
    for key, _ in sel.select(timeout):
        if key.data is None:
            pump()
        else:
            on_run_event(key.data[0], key.data[1], key.fileobj)
    now = time.monotonic()
    for r in list(runs.values()):
        if now >= r.deadline and not r.exited and not r.killed:
            r.killed = True
            r.p.kill()
        elif r.pipes_deadline is not None and now >= r.pipes_deadline:
            cut_pipes(r)
`;

const PYTHONS = ["/usr/bin/python3", "/usr/local/bin/python3"];

/** The python3 the helper runs with (a distribution's, not a version manager's shim), if any. */
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

/** A request the helper never saw: the caller may send it elsewhere. */
export class HelperUnavailable extends Error {
  override name = "HelperUnavailable";
}

type Answer = {
  ready?: boolean;
  id?: number;
  result?: CommandResult;
  error?: string;
  index?: number;
  done?: boolean;
  errors?: { index: number; message: string }[];
};

interface Pending {
  resolve: (v: never) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
  /** Socket requests: the asked-for sockets and those received so far. */
  requests?: SocketRequest[];
  sockets?: OpenedSocket[];
}

/** How long past a command's own timeout the helper has to report it. */
const RUN_GRACE_MS = 2000;

export class NetnsHelper {
  private pending = new Map<number, Pending>();
  private id = 0;
  private ready = false;
  private dead = false;
  private stderr = "";

  private constructor(
    private readonly child: ChildProcess,
    private readonly log: (m: string) => void,
  ) {
    child.on("message", (m: Answer, handle: unknown) => this.onMessage(m, handle));
    child.stderr!.on("data", (b: Buffer) => (this.stderr = (this.stderr + b.toString()).slice(-2000)));
    child.on("exit", (code, signal) => {
      const why = () => `netns helper exited (${signal ?? code})${this.stderr.trim() ? `: ${this.stderr.trim().split("\n").slice(-1)[0]}` : ""}`;
      // Answers still in the channel come first (a "ready" among them decides whether requests ran).
      if (child.connected) child.once("disconnect", () => this.fail(why()));
      else this.fail(why());
    });
    child.on("error", (e) => this.fail(`netns helper: ${e.message}`));
  }

  /**
   * Starts the helper, or undefined without python3. Requests may be sent at once; if the helper
   * fails before it is ready, they reject with HelperUnavailable (they never ran).
   */
  static start(opts: { python?: string; log?: (m: string) => void } = {}): NetnsHelper | undefined {
    const python = opts.python ?? findPython();
    if (!python) return undefined;
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(python, ["-I", "-S", "-c", NETNS_HELPER_PY], { stdio: ["ignore", "ignore", "pipe", "ipc"], serialization: "json", env });
    return new NetnsHelper(child, opts.log ?? (() => {}));
  }

  /** Still taking requests (false once it failed or was closed). */
  get alive(): boolean {
    return !this.dead;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(cmd: string, args: string[], opts: RunOptions = {}): Promise<CommandResult> {
    if (this.dead) return Promise.reject(new HelperUnavailable("netns helper is not running"));
    const id = ++this.id;
    // As the helper reads it: 0 or none is 10 s.
    const timeoutMs = opts.timeoutMs || 10_000;
    return new Promise<CommandResult>((resolve, reject) => {
      // The helper bounds the command; this bounds the helper, should it stop answering (its
      // requests would wait forever): it is stopped, and later requests go elsewhere.
      const timer = setTimeout(() => this.fail(`netns helper did not answer within ${timeoutMs + RUN_GRACE_MS} ms running ${cmd}`), timeoutMs + RUN_GRACE_MS);
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, timer });
      this.child.send({ id, kind: "run", cmd, args, input: opts.input, env: opts.env, timeoutMs });
    });
  }

  /** Opens sockets inside `netns` (or in the helper's own namespace, the daemon's, when omitted). Time-bounded. */
  openSockets(netns: string | undefined, requests: SocketRequest[], timeoutMs = 10_000): Promise<OpenSocketsResult> {
    if (requests.length === 0) return Promise.resolve({ sockets: [], errors: [] });
    if (netns !== undefined && !NETNS_NAME.test(netns)) return Promise.reject(new Error(`invalid network namespace name "${netns}"`));
    if (this.dead) return Promise.reject(new HelperUnavailable("netns helper is not running"));
    const id = ++this.id;
    return new Promise<OpenSocketsResult>((resolve, reject) => {
      // A helper stuck on one request blocks every later one: stop it; later requests go elsewhere.
      const timer = setTimeout(() => this.fail(`netns helper timed out after ${timeoutMs} ms making sockets in ${netns ?? "the daemon's namespace"}`), timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, timer, requests, sockets: [] });
      this.child.send({ id, kind: "sockets", netns, sockets: requests.map((r) => ({ protocol: r.protocol, host: r.host, port: r.port })) });
    });
  }

  private onMessage(m: Answer, handle: unknown): void {
    if (m.ready) {
      this.ready = true;
      return;
    }
    const p = m.id === undefined ? undefined : this.pending.get(m.id);
    if (!p) {
      if (handle) closeHandle(handle);
      return;
    }
    if (p.requests) {
      if (m.index !== undefined && handle) {
        const req = p.requests[m.index];
        if (req?.protocol === "UDP") p.sockets!.push({ ...req, protocol: "UDP", socket: handle as Socket });
        else if (req) p.sockets!.push({ ...req, protocol: "TCP", server: handle as Server });
        else closeHandle(handle);
        return;
      }
      if (!m.done && !m.error) return;
    }
    this.pending.delete(m.id!);
    if (p.timer) clearTimeout(p.timer);
    if (m.error) {
      for (const s of p.sockets ?? []) closeOpened(s);
      p.reject(new Error(m.error));
    } else if (p.requests) {
      p.resolve({ sockets: p.sockets, errors: (m.errors ?? []).map((e) => ({ request: p.requests![e.index], message: e.message })) } as OpenSocketsResult as never);
    } else {
      p.resolve(m.result as never);
    }
  }

  private fail(why: string): void {
    if (this.dead) return;
    this.dead = true;
    if (!this.ready) this.log(`netns helper not used: ${why}`);
    else this.log(why);
    this.rejectAll(() => (this.ready ? new Error(why) : new HelperUnavailable(why)));
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  /** Closes the channel; the helper exits (programs it started keep running to their end). */
  close(): void {
    if (this.dead) return;
    this.dead = true;
    this.rejectAll(() => new Error("netns helper closed"));
    if (this.child.connected) this.child.disconnect();
  }

  /** Rejects every pending request, closing the sockets already handed over for it. */
  private rejectAll(error: () => Error): void {
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      for (const s of p.sockets ?? []) closeOpened(s);
      p.reject(error());
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
