// Relays that keep the lab and the root namespace apart while letting them talk:
// - the API relay: a listener inside the lab (fabric, 172.18.0.1:6443) whose connections the
//   daemon pipes to its API server on loopback; the `kubernetes` Service points at it.
// - the DNS upstream relay: the cluster DNS server's forwarder (which makes its own socket
//   in the daemon's namespace) is pointed at a loopback address of the daemon; each query is
//   sent on from a UDP socket made inside the cluster DNS Pod's namespace, so it really
//   travels Pod -> node MASQUERADE -> fabric NAT -> the internet's DNS server.
import { connect, createServer, type Server, type Socket } from "node:net";
import { createSocket, type Socket as UdpSocket } from "node:dgram";

export function relayTcp(listener: Server, target: { host: string; port: number }): { close(): void } {
  const conns = new Set<Socket>();
  const onConn = (s: Socket) => {
    const up = connect(target.port, target.host);
    conns.add(s).add(up);
    const done = () => {
      s.destroy();
      up.destroy();
      conns.delete(s);
      conns.delete(up);
    };
    s.on("error", done).on("close", done);
    up.on("error", done).on("close", done);
    s.pipe(up).pipe(s);
  };
  listener.on("connection", onConn);
  return {
    close() {
      listener.off("connection", onConn);
      listener.close();
      for (const c of conns) c.destroy();
    },
  };
}

export interface DnsUpstreamRelay {
  /** "127.0.0.1:PORT" to give the DNS server as its upstream. */
  address: string;
  close(): void;
}

/** UDP and TCP on one loopback port. Port 0: the kernel's free UDP port may be taken for TCP (an outgoing connection's port), so a few tries; every failed try closes what it opened. */
async function bindLoopbackPair(port: number, onConnection: (s: Socket) => void): Promise<{ local: UdpSocket; tcp: Server }> {
  for (let attempt = 0; ; attempt++) {
    const local = createSocket("udp4");
    const tcp: Server = createServer(onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        local.once("error", reject);
        local.bind(port, "127.0.0.1", () => {
          local.off("error", reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(local.address().port, "127.0.0.1", () => {
          tcp.off("error", reject);
          resolve();
        });
      });
      return { local, tcp };
    } catch (e) {
      local.close();
      tcp.close();
      if (port !== 0 || attempt >= 5) throw new Error(`DNS upstream relay: cannot listen on 127.0.0.1:${port}: ${(e as Error).message}`);
    }
  }
}

/**
 * Loopback UDP+TCP listener -> queries sent from `labSocket` (made in a lab namespace) to `upstream`.
 * The relay owns labSocket from the call on: close() closes it, and so does a failed start.
 */
export async function startDnsUpstreamRelay(labSocket: UdpSocket, upstream: { host: string; port: number }, timeoutMs = 3000, port = 0): Promise<DnsUpstreamRelay> {
  const pending = new Map<number, { reply: (b: Buffer) => void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  // Ids are rewritten so concurrent queries from UDP and TCP clients never collide.
  const ask = (q: Buffer, reply: (b: Buffer) => void) => {
    if (q.length < 12) return;
    const origId = q.readUInt16BE(0);
    const id = nextId;
    nextId = (nextId % 65535) + 1;
    const out = Buffer.from(q);
    out.writeUInt16BE(id, 0);
    const timer = setTimeout(() => pending.delete(id), timeoutMs);
    pending.set(id, {
      reply: (b) => {
        const r = Buffer.from(b);
        r.writeUInt16BE(origId, 0);
        reply(r);
      },
      timer,
    });
    labSocket.send(out, upstream.port, upstream.host);
  };
  labSocket.on("message", (msg) => {
    if (msg.length < 12) return;
    const p = pending.get(msg.readUInt16BE(0));
    if (!p) return;
    pending.delete(msg.readUInt16BE(0));
    clearTimeout(p.timer);
    p.reply(msg);
  });
  labSocket.on("error", () => {});
  const onConnection = (s: Socket) => {
    let buf = Buffer.alloc(0);
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const q = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        ask(q, (r) => {
          const hdr = Buffer.alloc(2);
          hdr.writeUInt16BE(r.length);
          if (!s.destroyed) s.write(Buffer.concat([hdr, r]));
        });
      }
    });
    s.on("error", () => {});
    s.setTimeout(10_000, () => s.destroy());
    conns.add(s);
    s.on("close", () => conns.delete(s));
  };
  const conns = new Set<Socket>();
  let pair: { local: UdpSocket; tcp: Server };
  try {
    pair = await bindLoopbackPair(port, onConnection);
  } catch (e) {
    labSocket.close();
    throw e;
  }
  const { local, tcp } = pair;
  local.on("message", (msg, rinfo) => ask(msg, (r) => local.send(r, rinfo.port, rinfo.address)));
  return {
    address: `127.0.0.1:${local.address().port}`,
    close() {
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
      local.close();
      tcp.close();
      for (const c of conns) c.destroy();
      labSocket.close();
    },
  };
}
