// The internet's DNS server in the external namespace (the cluster DNS's upstream): it
// answers A queries for the names the lab knows (ExternalName targets, a few fixed names)
// with an address of the external network, NXDOMAIN otherwise. Pure answer function + a
// server over handed-over sockets.
import dnsPacket from "dns-packet";
import type { Socket as UdpSocket } from "node:dgram";
import type { Server, Socket } from "node:net";

export interface ExternalZone {
  /** lower-case name without trailing dot -> IPv4 address */
  names: Map<string, string>;
}

export function answerExternal(zone: ExternalZone, query: Buffer): Buffer | null {
  let q: dnsPacket.DecodedPacket;
  try {
    q = dnsPacket.decode(query);
  } catch {
    return null; // not DNS: drop, as a server does
  }
  const question = q.questions?.[0];
  const base = { id: q.id, type: "response" as const, questions: q.questions ?? [] };
  if (!question) return dnsPacket.encode({ ...base, flags: 1, answers: [] }); // rcode 1: FORMERR
  const name = question.name.toLowerCase().replace(/\.$/, "");
  const addr = zone.names.get(name);
  const flags = dnsPacket.AUTHORITATIVE_ANSWER | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE;
  if (!addr) return dnsPacket.encode({ ...base, flags: flags | 3, answers: [] }); // rcode 3: NXDOMAIN
  const answers = question.type === "A" ? [{ type: "A" as const, name: question.name, ttl: 300, class: "IN" as const, data: addr }] : [];
  return dnsPacket.encode({ ...base, flags, answers });
}

export function serveExternalDns(zone: ExternalZone, udp: UdpSocket | undefined, tcp: Server | undefined): { close(): void } {
  udp?.on("message", (msg, rinfo) => {
    const r = answerExternal(zone, msg);
    if (r) udp.send(r, rinfo.port, rinfo.address);
  });
  udp?.on("error", () => {});
  const onConn = (s: Socket) => {
    let buf = Buffer.alloc(0);
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const r = answerExternal(zone, buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        if (r) {
          const hdr = Buffer.alloc(2);
          hdr.writeUInt16BE(r.length);
          s.write(Buffer.concat([hdr, r]));
        }
      }
    });
    s.on("error", () => {});
    s.setTimeout(10_000, () => s.destroy());
  };
  tcp?.on("connection", onConn);
  return {
    close() {
      udp?.close();
      tcp?.close();
    },
  };
}
