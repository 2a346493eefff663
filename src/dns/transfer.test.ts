// CoreDNS transfer_test.go (TestKubernetesAXFR, TestKubernetesIXFRFallback, TestKubernetesIXFRCurrent)
// over the handler_test.go cluster, and AXFR through the server over TCP.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import dnsPacket, { type DecodedPacket as Packet } from "dns-packet";

type DecodedPacket = Packet & { rcode?: string };
import type { ZoneOptions } from "./answer.js";
import { DnsRecords } from "./records.js";
import { startDnsServer } from "./server.js";
import { zoneTransfer } from "./transfer.js";
import { formatRR } from "./zone-file.js";
import { corednsCluster, norm } from "./fixtures.test-util.js";

const SERIAL = 1499347823;
const opts: ZoneOptions = { zone: "cluster.local", podsMode: "disabled", nsIPs: ["10.0.0.10"], namespaces: ["testns"] };
const build = () => DnsRecords.fromObjects(corednsCluster(), { implicitNamespaces: false, clock: () => SERIAL });
const SOA = `cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. ${SERIAL} 7200 1800 86400 5`;

const z = "testns.svc.cluster.local.";
const clusterIP = (svc: string, ...ips: string[]) => [
  ...ips.map((ip) => `${svc}.${z} 5 IN ${ip.includes(":") ? "AAAA" : "A"} ${ip}`),
  `${svc}.${z} 5 IN SRV 0 100 80 ${svc}.${z}`,
  `_http._tcp.${svc}.${z} 5 IN SRV 0 100 80 ${svc}.${z}`,
];
const EXPECTED = [
  "cluster.local. 5 IN NS ns.dns.cluster.local.",
  "ns.dns.cluster.local. 5 IN A 10.0.0.10",
  `external.${z} 5 IN CNAME ext.interwebs.test.`,
  `external-to-service.${z} 5 IN CNAME svc1.testns.svc.cluster.local.`,
  // hdls1: its IPv4 slice (4 ready addresses: weight 25) and its IPv6 slice (2: weight 50).
  ...["172.0.0.2", "172.0.0.3", "172.0.0.4", "172.0.0.5"].map((ip) => `hdls1.${z} 5 IN A ${ip}`),
  `172-0-0-2.hdls1.${z} 5 IN A 172.0.0.2`,
  `172-0-0-3.hdls1.${z} 5 IN A 172.0.0.3`,
  `dup-name.hdls1.${z} 5 IN A 172.0.0.4`,
  `dup-name.hdls1.${z} 5 IN A 172.0.0.5`,
  ...["172-0-0-2", "172-0-0-3", "dup-name"].map((h) => `_http._tcp.hdls1.${z} 5 IN SRV 0 25 80 ${h}.hdls1.${z}`),
  `hdls1.${z} 5 IN AAAA 5678:abcd::1`,
  `hdls1.${z} 5 IN AAAA 5678:abcd::2`,
  `5678-abcd--1.hdls1.${z} 5 IN AAAA 5678:abcd::1`,
  `5678-abcd--2.hdls1.${z} 5 IN AAAA 5678:abcd::2`,
  ...["5678-abcd--1", "5678-abcd--2"].map((h) => `_http._tcp.hdls1.${z} 5 IN SRV 0 50 80 ${h}.hdls1.${z}`),
  // Headless without ports: addresses, no SRV.
  `hdlsprtls.${z} 5 IN A 172.0.0.20`,
  `172-0-0-20.hdlsprtls.${z} 5 IN A 172.0.0.20`,
  ...clusterIP("svc-dual-stack", "10.0.0.3", "10::3"),
  ...clusterIP("svc1", "10.0.0.1"),
  ...clusterIP("svc6", "1234:abcd::1"),
  ...clusterIP("svcempty", "10.0.0.1"),
  ...clusterIP("svcrev", "192.168.1.100"),
].map(norm);

test("transfer_test.go TestKubernetesAXFR / IXFR fallback: SOA, NS and glue, every record of the exposed namespaces, SOA", () => {
  const r = build();
  for (const serial of [0, 1]) {
    const rrs = zoneTransfer(r, opts, "cluster.local.", serial)!;
    const lines = rrs.map((x) => norm(formatRR(x)));
    assert.equal(lines[0], norm(SOA));
    assert.equal(lines[lines.length - 1], norm(SOA));
    assert.deepEqual(lines.slice(1, -1).sort(), [...EXPECTED].sort(), `serial ${serial}`);
  }
  // kube-system is not exposed here; with every namespace exposed its service is listed.
  const all = zoneTransfer(r, { ...opts, namespaces: undefined }, "cluster.local")!.map((x) => norm(formatRR(x)));
  assert.ok(all.includes("kubedns.kube-system.svc.cluster.local. 5 IN A 10.0.0.10"));
  assert.ok(all.includes("_dns._udp.kubedns.kube-system.svc.cluster.local. 5 IN SRV 0 100 53 kubedns.kube-system.svc.cluster.local."));
});

test("transfer_test.go TestKubernetesIXFRCurrent: a current serial gets the SOA alone; other zones do not transfer", () => {
  const r = build();
  assert.deepEqual(zoneTransfer(r, opts, "cluster.local", SERIAL)!.map((x) => norm(formatRR(x))), [norm(SOA)]);
  assert.deepEqual(zoneTransfer(r, opts, "cluster.local", SERIAL + 1)!.length, 1);
  assert.equal(zoneTransfer(r, opts, "in-addr.arpa", 0), null);
  assert.equal(zoneTransfer(r, opts, "svc.cluster.local", 0), null);
});

function tcpExchange(port: number, q: Buffer, until: (msgs: DecodedPacket[]) => boolean): Promise<DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, "127.0.0.1");
    const msgs: DecodedPacket[] = [];
    let acc = Buffer.alloc(0);
    const t = setTimeout(() => (c.destroy(), reject(new Error("timeout"))), 3000);
    c.on("connect", () => {
      const f = Buffer.alloc(q.length + 2);
      f.writeUInt16BE(q.length, 0);
      q.copy(f, 2);
      c.write(f);
    });
    c.on("data", (d) => {
      acc = Buffer.concat([acc, d]);
      while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        msgs.push(dnsPacket.decode(acc.subarray(2, 2 + acc.readUInt16BE(0))));
        acc = acc.subarray(2 + acc.readUInt16BE(0));
      }
      if (until(msgs)) {
        clearTimeout(t);
        c.destroy();
        resolve(msgs);
      }
    });
    c.on("error", reject);
  });
}

test("AXFR through the server: TCP only, when allowed; the messages carry the whole zone between two SOAs", async () => {
  const axfr = dnsPacket.encode({ type: "query", id: 9, questions: [{ name: "cluster.local", type: "AXFR" }] });
  const allowed = await startDnsServer({ objects: corednsCluster(), listen: "127.0.0.1:0", podsMode: "disabled", dnsServiceIPs: ["10.0.0.10"], namespaces: ["testns"], transfer: true });
  const denied = await startDnsServer({ objects: corednsCluster(), listen: "127.0.0.1:0", podsMode: "disabled" });
  try {
    const soaCount = (ms: DecodedPacket[]) => ms.flatMap((m) => m.answers ?? []).filter((a) => a.type === "SOA").length;
    const msgs = await tcpExchange(allowed.tcpAddress!.port, axfr, (ms) => soaCount(ms) >= 2);
    const rrs = msgs.flatMap((m) => m.answers ?? []);
    assert.equal(rrs[0].type, "SOA");
    assert.equal(rrs[rrs.length - 1].type, "SOA");
    assert.equal(rrs.length, EXPECTED.length + 2);
    assert.ok(msgs.every((m) => m.id === 9 && m.rcode === "NOERROR"));
    // Over UDP, or without permission: REFUSED.
    const udp: DecodedPacket = dnsPacket.decode((await allowed.handle(axfr, false))!);
    assert.equal(udp.rcode, "REFUSED");
    const no = await tcpExchange(denied.tcpAddress!.port, axfr, (ms) => ms.length >= 1);
    assert.equal(no[0].rcode, "REFUSED");
  } finally {
    await allowed.close();
    await denied.close();
  }
});
