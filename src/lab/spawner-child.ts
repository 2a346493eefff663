// The spawner: a small, long-lived child of the daemon that starts the short-lived processes
// (ip, CNI plugins, iptables-restore, nft, socket helpers) on the daemon's behalf. Node forks
// for every spawn, and forking the big daemon costs several ms of its main thread each time;
// forking this small process is cheaper and happens off the daemon's event loop.
// Messages: {id, kind:"run", cmd, args, input, env, timeoutMs} -> {id, result}
//           {id, kind:"sockets", netns, requests, timeoutMs} -> {id, index} + handle (each), then {id, done, errors}
import { systemRunner } from "./exec.js";
import { openSockets, type SocketRequest } from "../agent/sockets.js";

interface RunMsg {
  id: number;
  kind: "run";
  cmd: string;
  args: string[];
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}
interface SocketsMsg {
  id: number;
  kind: "sockets";
  netns?: string;
  requests: SocketRequest[];
  timeoutMs?: number;
}

function send(msg: unknown, handle?: unknown): Promise<void> {
  return new Promise((resolve) => process.send!(msg, handle as never, undefined, () => resolve()));
}

async function onSockets(m: SocketsMsg): Promise<void> {
  try {
    const r = await openSockets(m.netns, m.requests, m.timeoutMs);
    for (const s of r.sockets) {
      const index = m.requests.findIndex((q) => q.protocol === s.protocol && q.port === s.port && q.host === s.host);
      await send({ id: m.id, index }, s.protocol === "TCP" ? s.server : s.socket);
      // The daemon has its copy now; ours must go (a UDP socket would otherwise take half the datagrams).
      if (s.protocol === "TCP") s.server.close();
      else s.socket.close();
    }
    await send({ id: m.id, done: true, errors: r.errors.map((e) => ({ index: m.requests.indexOf(e.request), message: e.message })) });
  } catch (e) {
    await send({ id: m.id, done: true, error: (e as Error).message });
  }
}

process.on("message", (m: RunMsg | SocketsMsg) => {
  if (m.kind === "sockets") {
    void onSockets(m);
    return;
  }
  systemRunner.run(m.cmd, m.args, { input: m.input, env: m.env, timeoutMs: m.timeoutMs }).then(
    (result) => process.send!({ id: m.id, result }),
    (e: Error) => process.send!({ id: m.id, error: e.message }),
  );
});
process.on("disconnect", () => process.exit(0));
