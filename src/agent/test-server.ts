// The built-in test server every declared containerPort runs: HTTP on TCP ports answering
// JSON that names the Pod and what the server saw (so tests and users can tell which Pod
// answered, and from which source address: NAT made visible); UDP ports echo.
// Control: `POST /readiness` with body `fail` or `ok` switches what GET /healthz answers,
// so a readiness probe pointed at /healthz can make the Pod unready on demand.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Server, Socket as NetSocket } from "node:net";
import type { Socket as UdpSocket } from "node:dgram";

export interface TestServerIdentity {
  pod: string;
  namespace: string;
  node: string;
  podIP: string;
}

export interface TestServerAnswer extends TestServerIdentity {
  port: number;
  client: string;
  clientPort: number;
  method: string;
  host: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RunningTestServer {
  close(): void;
}

/** Serves HTTP on an already-listening TCP server (handed over from the Pod's namespace). */
export function serveHttp(listener: Server, port: number, id: TestServerIdentity, state: { healthy: boolean } = { healthy: true }): RunningTestServer {
  const http = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    if (path === "/readiness" && req.method === "POST") {
      let body = "";
      req.on("data", (b: Buffer) => (body += b.toString()));
      req.on("end", () => {
        state.healthy = body.trim() !== "fail";
        res.writeHead(200, { "content-type": "text/plain" }).end(state.healthy ? "ok\n" : "fail\n");
      });
      return;
    }
    if (path === "/healthz") {
      res.writeHead(state.healthy ? 200 : 503, { "content-type": "text/plain" }).end(state.healthy ? "ok\n" : "unhealthy\n");
      return;
    }
    const answer: TestServerAnswer = {
      ...id,
      // A server on several addresses (the external network) reports the one it was reached at.
      podIP: id.podIP || stripV4Mapped(req.socket.localAddress ?? ""),
      port,
      client: stripV4Mapped(req.socket.remoteAddress ?? ""),
      clientPort: req.socket.remotePort ?? 0,
      method: req.method ?? "",
      host: req.headers.host ?? "",
      path,
      headers: req.headers,
    };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer) + "\n");
    req.resume();
  });
  http.keepAliveTimeout = 5000;
  const onConn = (s: NetSocket) => http.emit("connection", s);
  listener.on("connection", onConn);
  return {
    close() {
      listener.off("connection", onConn);
      listener.close();
      http.close();
      http.closeAllConnections();
    },
  };
}

/** UDP echo: each datagram goes back to its sender unchanged. */
export function serveUdpEcho(sock: UdpSocket): RunningTestServer {
  sock.on("message", (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
  sock.on("error", () => {}); // e.g. ICMP unreachable for a sender gone away
  return { close: () => sock.close() };
}

function stripV4Mapped(a: string): string {
  return a.startsWith("::ffff:") ? a.slice(7) : a;
}
