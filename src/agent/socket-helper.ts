// Short-lived helper, started inside a network namespace (`nsenter --net=... node socket-helper.js`) with an IPC channel:
// it creates the listening sockets a Pod needs inside that namespace and hands each to the
// daemon with process.send(msg, handle), then exits. Sockets keep the namespace they were
// made in, so one daemon process can serve every Pod (DESIGN.md "Process model").
// Input: one message {sockets: [{id, protocol, host, port}]}. Output: one message per socket
// {id} with the handle, then {done: true, errors: [{id, message}]}.
import { createServer, type Server } from "node:net";
import { createSocket, type Socket } from "node:dgram";

interface SocketSpec {
  id: string;
  protocol: "TCP" | "UDP";
  host: string;
  port: number;
}

function send(msg: unknown, handle?: Server | Socket): Promise<void> {
  return new Promise((resolve, reject) => process.send!(msg, handle as Server, { keepOpen: false }, (e) => (e ? reject(e) : resolve())));
}

function openTcp(s: SocketSpec): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen({ host: s.host, port: s.port, backlog: 511 }, () => resolve(srv));
  });
}

function openUdp(s: SocketSpec): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type: "udp4" });
    sock.once("error", reject);
    sock.bind({ address: s.host, port: s.port, exclusive: true }, () => resolve(sock));
  });
}

async function handle(specs: SocketSpec[]): Promise<void> {
  const errors: { id: string; message: string }[] = [];
  for (const s of specs) {
    try {
      if (s.protocol === "UDP") {
        const sock = await openUdp(s);
        await send({ id: s.id }, sock);
        sock.close(); // the daemon has its own copy now; ours would otherwise keep receiving half the datagrams
      } else {
        const srv = await openTcp(s);
        await send({ id: s.id }, srv);
        srv.close();
      }
    } catch (e) {
      errors.push({ id: s.id, message: (e as Error).message });
    }
  }
  await send({ done: true, errors });
  // Stay until the daemon has taken every handle and disconnects (exiting earlier can drop queued handles).
  process.once("disconnect", () => process.exit(0));
}

if (!process.send) {
  process.stderr.write("socket-helper: must be started by the netlab daemon with an IPC channel\n");
  process.exit(2);
}
let started = false;
// A permanent listener keeps the IPC channel referenced (a `once` listener would let the process exit mid-hand-off).
process.on("message", (msg: { sockets?: SocketSpec[] }) => {
  if (started) return;
  started = true;
  handle(msg.sockets ?? []).catch((e: Error) => {
    process.stderr.write(`socket-helper: ${e.message}\n`);
    process.exit(1);
  });
});
