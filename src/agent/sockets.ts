// Daemon side of the socket hand-off: runs the socket helper inside a namespace and collects
// the listening sockets it sends back (see socket-helper.ts).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Server } from "node:net";
import type { Socket } from "node:dgram";
import { netnsArgv } from "../lab/exec.js";

export interface SocketRequest {
  protocol: "TCP" | "UDP";
  host: string;
  port: number;
}

export type OpenedSocket = (SocketRequest & { protocol: "TCP"; server: Server }) | (SocketRequest & { protocol: "UDP"; socket: Socket });

export interface OpenSocketsResult {
  sockets: OpenedSocket[];
  errors: { request: SocketRequest; message: string }[];
}

/** Closes a handed-over socket; one its consumer already closed is left alone. */
export function closeOpened(s: OpenedSocket): void {
  try {
    if (s.protocol === "TCP") s.server.close();
    else s.socket.close();
  } catch {
    // already closed
  }
}

const HELPER = fileURLToPath(new URL("./socket-helper.js", import.meta.url));

/** Opens sockets inside `netns` (or in the daemon's namespace when omitted). Time-bounded. */
export function openSockets(netns: string | undefined, requests: SocketRequest[], timeoutMs = 10_000): Promise<OpenSocketsResult> {
  if (requests.length === 0) return Promise.resolve({ sockets: [], errors: [] });
  return new Promise((resolve, reject) => {
    const [cmd, args] = netns ? netnsArgv(netns, process.execPath, [HELPER]) : [process.execPath, [HELPER]];
    // Without NODE_EXTRA_CA_CERTS: parsing a CA bundle costs the helper ~100 ms of startup and it makes no TLS connection.
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const child = spawn(cmd, args as string[], { stdio: ["ignore", "ignore", "pipe", "ipc"], serialization: "json", env });
    const sockets: OpenedSocket[] = [];
    let stderr = "";
    let finished = false;
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(new Error(`socket helper in ${netns ?? "the daemon's namespace"} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (err?: Error, errors: { id: string; message: string }[] = []) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (err) {
        for (const s of sockets) closeOpened(s);
        reject(err);
        return;
      }
      resolve({ sockets, errors: errors.map((e) => ({ request: requests[Number(e.id)], message: e.message })) });
    };
    child.on("message", (msg: { id?: string; done?: boolean; errors?: { id: string; message: string }[] }, handle: unknown) => {
      if (msg.done) {
        if (child.connected) child.disconnect();
        return finish(undefined, msg.errors);
      }
      const req = requests[Number(msg.id)];
      if (!req || !handle) return;
      if (req.protocol === "UDP") sockets.push({ ...req, protocol: "UDP", socket: handle as Socket });
      else sockets.push({ ...req, protocol: "TCP", server: handle as Server });
    });
    child.on("error", (e) => finish(new Error(`cannot start socket helper: ${e.message}`, { cause: e })));
    child.on("exit", (code) => {
      if (!finished) finish(new Error(`socket helper in ${netns ?? "the daemon's namespace"} exited (${code}) before handing over its sockets: ${stderr.trim()}`));
    });
    child.send({ sockets: requests.map((r, i) => ({ id: String(i), ...r })) });
  });
}
