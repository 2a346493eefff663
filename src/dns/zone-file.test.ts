import { test } from "node:test";
import assert from "node:assert/strict";
import { DnsRecords } from "./records.js";
import { renderZone, zoneRecords } from "./zone-file.js";
import { pod, service, slice } from "./fixtures.test-util.js";

test("every record of a small cluster as aligned zone-file lines", () => {
  const r = DnsRecords.fromObjects(
    [
      service("kube-system", "kube-dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }] }),
      service("default", "web", { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, protocol: "TCP" }] }),
      slice("default", "web", "web-1", "IPv4", [{ ip: "10.244.1.5" }], [{ name: "http", port: 8080, protocol: "TCP" }]),
      service("default", "db", { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] }),
      slice("default", "db", "db-1", "IPv4", [{ ip: "10.244.1.6", hostname: "db-0" }], [{ name: "pg", port: 5432, protocol: "TCP" }]),
      service("prod", "ext", { type: "ExternalName", externalName: "my.database.example.com" }),
      pod("default", "web-1", "10.244.1.5"),
    ],
    { clock: () => 7 },
  );
  const text = renderZone(zoneRecords(r, { zone: "cluster.local", podsMode: "verified", nsIPs: ["10.96.0.10"] }));
  assert.equal(
    text,
    `cluster.local.                                    5     IN SOA   ns.dns.cluster.local. hostmaster.cluster.local. 7 7200 1800 86400 5
cluster.local.                                    5     IN NS    ns.dns.cluster.local.
10-244-1-5.default.pod.cluster.local.             5     IN A     10.244.1.5
10-244-1-5.web.default.svc.cluster.local.         5     IN A     10.244.1.5
10.0.96.10.in-addr.arpa.                          5     IN PTR   kube-dns.kube-system.svc.cluster.local.
20.0.96.10.in-addr.arpa.                          5     IN PTR   web.default.svc.cluster.local.
5.1.244.10.in-addr.arpa.                          5     IN PTR   10-244-1-5.web.default.svc.cluster.local.
6.1.244.10.in-addr.arpa.                          5     IN PTR   db-0.db.default.svc.cluster.local.
_dns._udp.kube-dns.kube-system.svc.cluster.local. 5     IN SRV   0 100 53 kube-dns.kube-system.svc.cluster.local.
_http._tcp.web.default.svc.cluster.local.         5     IN SRV   0 100 80 web.default.svc.cluster.local.
_pg._tcp.db.default.svc.cluster.local.            5     IN SRV   0 100 5432 db-0.db.default.svc.cluster.local.
db-0.db.default.svc.cluster.local.                5     IN A     10.244.1.6
db.default.svc.cluster.local.                     5     IN A     10.244.1.6
dns-version.cluster.local.                        28800 IN TXT   "1.1.0"
ext.prod.svc.cluster.local.                       5     IN CNAME my.database.example.com.
kube-dns.kube-system.svc.cluster.local.           5     IN A     10.96.0.10
ns.dns.cluster.local.                             5     IN A     10.96.0.10
web.default.svc.cluster.local.                    5     IN A     10.96.0.20
`,
  );
});

test("with endpoint_pod_names the listing names endpoints by their Pod, as the answers do", () => {
  const web = slice("default", "web", "web-1", "IPv4", [{ ip: "10.244.1.5", pod: "web-7d4b9-x2x9z" }], [{ name: "http", port: 8080, protocol: "TCP" }]);
  const r = DnsRecords.fromObjects([service("default", "web", { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, protocol: "TCP" }] }), web], { clock: () => 7 });
  const endpointLines = (endpointPodNames: boolean) =>
    renderZone(zoneRecords(r, { zone: "cluster.local", podsMode: "disabled", nsIPs: [], endpointPodNames }))
      .split("\n")
      .filter((l) => l.includes("10.244.1.5") || l.includes("PTR"))
      .map((l) => l.split(/\s+/).join(" "));
  assert.deepEqual(endpointLines(true), [
    "20.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local.",
    "5.1.244.10.in-addr.arpa. 5 IN PTR web-7d4b9-x2x9z.web.default.svc.cluster.local.",
    "web-7d4b9-x2x9z.web.default.svc.cluster.local. 5 IN A 10.244.1.5",
  ]);
  assert.deepEqual(endpointLines(false), [
    "10-244-1-5.web.default.svc.cluster.local. 5 IN A 10.244.1.5",
    "20.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local.",
    "5.1.244.10.in-addr.arpa. 5 IN PTR 10-244-1-5.web.default.svc.cluster.local.",
  ]);
});
