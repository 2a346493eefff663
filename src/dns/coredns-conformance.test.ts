// CoreDNS's own kubernetes plugin tests, table by table, against answerQuestion: handler_test.go
// (commonDnsTestCases, dnsTestCases, nsTestCases), handler_case_test.go, handler_pod_*_test.go,
// handler_ignore_emptyservice_test.go, kubernetes_apex_test.go, reverse_test.go, ns_test.go,
// kubernetes_test.go, parse_test.go and zonal_test.go. Each upstream fake
// API connection is written as the Kubernetes objects that would produce it. Expected answers are
// the upstream ones; where upstream says "TTL 303" (do not care) our TTL, 5, is written.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../api/types.js";
import { addressFromReverse, answerQuestion, parseRequest, type ZoneOptions } from "./answer.js";
import { DnsRecords, endpointLabel, ipKey } from "./records.js";
import { corednsCluster, formatRRs, namespace, runCases, service, slice } from "./fixtures.test-util.js";

const SERIAL = 1499347823;
const soa = (zone: string, ttl = 5) => `${zone}. ${Math.min(ttl, 300)} IN SOA ns.dns.${zone}. hostmaster.${zone}. ${SERIAL} 7200 1800 86400 ${ttl}`;
const SOA = soa("cluster.local");

function build(objs: KubeObject[]): DnsRecords {
  return DnsRecords.fromObjects(objs, { trackPods: true, implicitNamespaces: false, clock: () => SERIAL });
}

// The fake API of handler_test.go (APIConnServeTest): its namespaces all exist except
// pod-nons and nsnoexist; svcns is asked for by the verified-pods table.
const serveCluster = () => [...corednsCluster(), namespace("svcns"), namespace("unexposedns"), service("unexposedns", "svc1", { clusterIP: "10.0.0.2", ports: [{ name: "http", port: 80, protocol: "TCP" }] })];
const serveOpts = (o: Partial<ZoneOptions> = {}): ZoneOptions => ({ zone: "cluster.local", podsMode: "disabled", nsIPs: ["10.0.0.10"], namespaces: ["testns"], ...o });

test("handler_test.go commonDnsTestCases + dnsTestCases (namespaces testns)", () => {
  const r = build(serveCluster());
  const a = (q: string, ...ips: string[]) => ips.map((ip) => `${q} 5 IN ${ip.includes(":") ? "AAAA" : "A"} ${ip}`);
  runCases(
    r,
    [
      { q: "svc1.testns.svc.cluster.local.", t: "A", answer: a("svc1.testns.svc.cluster.local.", "10.0.0.1") },
      { q: "svcempty.testns.svc.cluster.local.", t: "A", answer: a("svcempty.testns.svc.cluster.local.", "10.0.0.1") },
      { q: "svc1.testns.svc.cluster.local.", t: "SRV", answer: ["svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."], extra: a("svc1.testns.svc.cluster.local.", "10.0.0.1") },
      { q: "svcempty.testns.svc.cluster.local.", t: "SRV", answer: ["svcempty.testns.svc.cluster.local. 5 IN SRV 0 100 80 svcempty.testns.svc.cluster.local."], extra: a("svcempty.testns.svc.cluster.local.", "10.0.0.1") },
      { q: "svc6.testns.svc.cluster.local.", t: "SRV", answer: ["svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local."], extra: a("svc6.testns.svc.cluster.local.", "1234:abcd::1") },
      { q: "_http._tcp.svc1.testns.svc.cluster.local.", t: "SRV", answer: ["_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."], extra: a("svc1.testns.svc.cluster.local.", "10.0.0.1") },
      { q: "_http._tcp.svcempty.testns.svc.cluster.local.", t: "SRV", answer: ["_http._tcp.svcempty.testns.svc.cluster.local. 5 IN SRV 0 100 80 svcempty.testns.svc.cluster.local."], extra: a("svcempty.testns.svc.cluster.local.", "10.0.0.1") },
      { q: "hdls1.testns.svc.cluster.local.", t: "A", answer: a("hdls1.testns.svc.cluster.local.", "172.0.0.2", "172.0.0.3", "172.0.0.4", "172.0.0.5") },
      { q: "hdlsprtls.testns.svc.cluster.local.", t: "A", answer: a("hdlsprtls.testns.svc.cluster.local.", "172.0.0.20") },
      { q: "svc1.testns.svc.cluster.local.", t: "AAAA", ns: [SOA] },
      { q: "svc0.testns.svc.cluster.local.", t: "AAAA", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "svc0.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "svc0.svc-nons.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "dns-version.cluster.local.", t: "TXT", answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'] },
      // A TXT record does not exist but another record for the same name does: NODATA ...
      { q: "svc1.testns.svc.cluster.local.", t: "TXT", ns: [SOA] },
      // ... and neither does: NXDOMAIN.
      { q: "svc0.svc-nons.svc.cluster.local.", t: "TXT", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "bogusendpoint.hdls1.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "bogusendpoint.svc0.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "svc6.testns.svc.cluster.local.", t: "AAAA", answer: a("svc6.testns.svc.cluster.local.", "1234:abcd::1") },
      { q: "_http._tcp.svc6.testns.svc.cluster.local.", t: "SRV", answer: ["_http._tcp.svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local."], extra: a("svc6.testns.svc.cluster.local.", "1234:abcd::1") },
      { q: "hdls1.testns.svc.cluster.local.", t: "AAAA", answer: a("hdls1.testns.svc.cluster.local.", "5678:abcd::1", "5678:abcd::2") },
      { q: "svc.cluster.local.", t: "A", ns: [SOA] },
      { q: "pod.cluster.local.", t: "A", ns: [SOA] },
      { q: "testns.svc.cluster.local.", t: "A", ns: [SOA] },
      { q: "svc.cluster.local.", t: "NS", ns: [SOA] },
      { q: "testns.svc.cluster.local.", t: "NS", ns: [SOA] },
      { q: "foo.cluster.local.", t: "NS", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "foo.svc.cluster.local.", t: "NS", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "svc-dual-stack.testns.svc.cluster.local.", t: "A", answer: a("svc-dual-stack.testns.svc.cluster.local.", "10.0.0.3") },
      { q: "svc-dual-stack.testns.svc.cluster.local.", t: "AAAA", answer: a("svc-dual-stack.testns.svc.cluster.local.", "10::3") },
      {
        q: "svc-dual-stack.testns.svc.cluster.local.", t: "SRV",
        answer: ["svc-dual-stack.testns.svc.cluster.local. 5 IN SRV 0 50 80 svc-dual-stack.testns.svc.cluster.local."],
        extra: a("svc-dual-stack.testns.svc.cluster.local.", "10.0.0.3", "10::3"),
      },
      { q: "svc1.testns.svc.cluster.local.", t: "SOA", ns: [SOA] },
      { q: "endpoint.external.testns.svc.cluster.local.", t: "CNAME", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "subdomain.subdomain.external.testns.svc.cluster.local.", t: "CNAME", rcode: "NXDOMAIN", ns: [SOA] },
      // dnsTestCases (the non-multicluster half)
      {
        q: "_http._tcp.hdls1.testns.svc.cluster.local.", t: "SRV",
        answer: ["172-0-0-2", "172-0-0-3", "5678-abcd--1", "5678-abcd--2", "dup-name"].map((h) => `_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 ${h}.hdls1.testns.svc.cluster.local.`),
        extra: [
          ...a("172-0-0-2.hdls1.testns.svc.cluster.local.", "172.0.0.2"),
          ...a("172-0-0-3.hdls1.testns.svc.cluster.local.", "172.0.0.3"),
          ...a("5678-abcd--1.hdls1.testns.svc.cluster.local.", "5678:abcd::1"),
          ...a("5678-abcd--2.hdls1.testns.svc.cluster.local.", "5678:abcd::2"),
          ...a("dup-name.hdls1.testns.svc.cluster.local.", "172.0.0.4", "172.0.0.5"),
        ],
      },
      { q: "5678-abcd--2.hdls1.testns.svc.cluster.local", t: "AAAA", answer: a("5678-abcd--2.hdls1.testns.svc.cluster.local.", "5678:abcd::2") },
      { q: "5678-abcd--1.hdls1.testns.svc.cluster.local.", t: "AAAA", answer: a("5678-abcd--1.hdls1.testns.svc.cluster.local.", "5678:abcd::1") },
      { q: "172-0-0-20.hdlsprtls.testns.svc.cluster.local.", t: "A", answer: a("172-0-0-20.hdlsprtls.testns.svc.cluster.local.", "172.0.0.20") },
      { q: "172-0-0-2.hdls1.testns.svc.cluster.local.", t: "A", answer: a("172-0-0-2.hdls1.testns.svc.cluster.local.", "172.0.0.2") },
      { q: "172-0-0-3.hdls1.testns.svc.cluster.local.", t: "A", answer: a("172-0-0-3.hdls1.testns.svc.cluster.local.", "172.0.0.3") },
      { q: "dup-name.hdls1.testns.svc.cluster.local.", t: "A", answer: a("dup-name.hdls1.testns.svc.cluster.local.", "172.0.0.4", "172.0.0.5") },
      { q: "external.testns.svc.cluster.local.", t: "CNAME", answer: ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."] },
      {
        q: "external-to-service.testns.svc.cluster.local", t: "A",
        answer: ["external-to-service.testns.svc.cluster.local. 5 IN CNAME svc1.testns.svc.cluster.local.", ...a("svc1.testns.svc.cluster.local.", "10.0.0.1")],
      },
      // Only testns is exposed: a service in another existing namespace does not exist.
      { q: "svc1.unexposedns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "kubedns.kube-system.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
    ],
    serveOpts(),
  );
  // "CNAME External Truncated Lookup": the A answer for an ExternalName outside the zone is the
  // upstream's, asked by the server (answer.test.ts checks the merge and the TC bit).
  const ext = answerQuestion(r, "external.testns.svc.cluster.local.", "A", serveOpts());
  assert.equal(ext?.chase?.target, "ext.interwebs.test");
  assert.deepEqual(formatRRs(ext!.chase!.cnames), ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."]);
});

test("handler_test.go nsTestCases: every namespace exposed when none is listed", () => {
  const r = build(serveCluster());
  runCases(
    r,
    [
      { q: "svc1.testns.svc.cluster.local.", t: "A", answer: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"] },
      { q: "svc1.nsnoexist.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "svc1.unexposedns.svc.cluster.local.", t: "A", answer: ["svc1.unexposedns.svc.cluster.local. 5 IN A 10.0.0.2"] },
    ],
    serveOpts({ namespaces: undefined }),
  );
});

test("handler_case_test.go: the answer keeps the question's case, the zone's spelling too", () => {
  const r = build(serveCluster());
  runCases(
    r,
    [
      { q: "not-a-service.testns.svc.ClUsTeR.lOcAl.", t: "A", rcode: "NXDOMAIN", ns: [soa("ClUsTeR.lOcAl")] },
      { q: "SvC1.TeStNs.SvC.cLuStEr.LoCaL.", t: "A", answer: ["SvC1.TeStNs.SvC.cLuStEr.LoCaL. 5 IN A 10.0.0.1"] },
      {
        q: "_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL.", t: "SRV",
        answer: ["_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL. 5 IN SRV 0 100 80 svc1.testns.svc.cLuStEr.LoCaL."],
        extra: ["svc1.testns.svc.cLuStEr.LoCaL. 5 IN A 10.0.0.1"],
      },
      { q: "Cluster.local.", t: "SOA", answer: [soa("Cluster.local")] },
    ],
    serveOpts({ namespaces: undefined, ignoreEmptyService: true }),
  );
});

test("handler_ignore_emptyservice_test.go: ignore empty_service", () => {
  const r = build(serveCluster());
  runCases(
    r,
    [
      { q: "svcempty.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "external.testns.svc.cluster.local.", t: "CNAME", answer: ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."] },
      // Services with ready endpoints and headless ones are unaffected.
      { q: "svc1.testns.svc.cluster.local.", t: "A", answer: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"] },
      { q: "hdlsprtls.testns.svc.cluster.local.", t: "A", answer: ["hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"] },
    ],
    serveOpts({ namespaces: undefined, ignoreEmptyService: true }),
  );
});

test("handler_pod_{insecure,verified,disabled}_test.go", () => {
  const r = build(serveCluster());
  const o = (podsMode: ZoneOptions["podsMode"]) => serveOpts({ namespaces: undefined, podsMode });
  runCases(
    r,
    [
      { q: "10-240-0-1.podns.pod.cluster.local.", t: "A", answer: ["10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"] },
      { q: "172-0-0-2.podns.pod.cluster.local.", t: "A", answer: ["172-0-0-2.podns.pod.cluster.local. 5 IN A 172.0.0.2"] },
      { q: "blah.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "blah.podns.pod.cluster.local.", t: "AAAA", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "blah.podns.pod.cluster.local.", t: "HINFO", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "blah.pod-nons.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      // The empty pod name in an existing namespace is NODATA (kubernetes.go findPods).
      { q: "podns.pod.cluster.local.", t: "A", ns: [SOA] },
    ],
    o("insecure"),
  );
  runCases(
    r,
    [
      { q: "10-240-0-1.podns.pod.cluster.local.", t: "A", answer: ["10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"] },
      { q: "podns.pod.cluster.local.", t: "A", ns: [SOA] },
      { q: "svcns.svc.cluster.local.", t: "A", ns: [SOA] },
      { q: "pod-nons.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "172-0-0-2.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
    ],
    o("verified"),
  );
  runCases(
    r,
    [
      { q: "10-240-0-1.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "172-0-0-2.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
    ],
    o("disabled"),
  );
});

test("kubernetes_apex_test.go: apex SOA, NODATA for other types, NS at the local address", () => {
  const r = build(serveCluster());
  runCases(
    r,
    [
      { q: "cluster.local.", t: "SOA", answer: [SOA] },
      { q: "cluster.local.", t: "HINFO", ns: [SOA] },
      { q: "cluster.local.", t: "NS", answer: ["cluster.local. 5 IN NS ns.dns.cluster.local."], extra: ["ns.dns.cluster.local. 5 IN A 127.0.0.1"] },
    ],
    // 127.0.0.1 is no endpoint of any service: ns.dns.<zone> at that address.
    serveOpts({ namespaces: undefined, localIPs: ["127.0.0.1"] }),
  );
});

// reverse_test.go's fake API: svc1 (ClusterIP 192.168.1.100) with three slices (one repeating
// 10.0.0.100, as during EndpointSlice skew) and svc2 sharing the endpoint 10.0.0.99.
const http = [{ name: "http", port: 80, protocol: "TCP" as const }];
const reverseCluster = () => [
  namespace("testns"),
  service("testns", "svc1", { clusterIP: "192.168.1.100", ports: http }),
  slice("testns", "svc1", "svc1-slice1", "IPv4", [{ ip: "10.0.0.100", hostname: "ep1a" }, { ip: "10.0.0.99", hostname: "double-ep" }], http),
  slice("testns", "svc1", "svc1-slice2", "IPv6", [{ ip: "1234:abcd::1", hostname: "ep1b" }, { ip: "fd00:77:30::a", hostname: "ip6svc1ex" }, { ip: "fd00:77:30::2:9ba6", hostname: "ip6svc1in" }], http),
  slice("testns", "svc1", "svc1-ccccc", "IPv4", [{ ip: "10.0.0.100", hostname: "ep1a" }], http),
  service("testns", "svc2", { clusterIP: "None", ports: http }),
  slice("testns", "svc2", "svc2-slice1", "IPv4", [{ ip: "10.0.0.99", hostname: "double-ep" }], http),
];
const REVERSE_ZONES = ["0.10.in-addr.arpa.", "168.192.in-addr.arpa.", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa."];

test("reverse_test.go: PTR in reverse zones served without fallthrough", () => {
  const r = build(reverseCluster());
  const v6a = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.";
  const v6b = "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.";
  const v6c = "6.a.b.9.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.";
  runCases(
    r,
    [
      { q: "100.0.0.10.in-addr.arpa.", t: "PTR", answer: ["100.0.0.10.in-addr.arpa. 5 IN PTR ep1a.svc1.testns.svc.cluster.local."] },
      { q: "100.1.168.192.in-addr.arpa.", t: "PTR", answer: ["100.1.168.192.in-addr.arpa. 5 IN PTR svc1.testns.svc.cluster.local."] },
      { q: v6a, t: "PTR", answer: [`${v6a} 5 IN PTR ep1b.svc1.testns.svc.cluster.local.`] },
      { q: v6b, t: "PTR", answer: [`${v6b} 5 IN PTR ip6svc1ex.svc1.testns.svc.cluster.local.`] },
      { q: v6c, t: "PTR", answer: [`${v6c} 5 IN PTR ip6svc1in.svc1.testns.svc.cluster.local.`] },
      { q: "101.0.0.10.in-addr.arpa.", t: "PTR", rcode: "NXDOMAIN", ns: [soa("0.10.in-addr.arpa")] },
      { q: "example.org.cluster.local.", t: "PTR", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "svc1.testns.svc.cluster.local.", t: "PTR", ns: [SOA] },
      { q: "svc1.testns.svc.0.10.in-addr.arpa.", t: "A", rcode: "NXDOMAIN", ns: [soa("0.10.in-addr.arpa")] },
      { q: "100.0.0.10.cluster.local.", t: "PTR", rcode: "NXDOMAIN", ns: [SOA] },
      {
        q: "99.0.0.10.in-addr.arpa.", t: "PTR",
        answer: ["99.0.0.10.in-addr.arpa. 5 IN PTR double-ep.svc1.testns.svc.cluster.local.", "99.0.0.10.in-addr.arpa. 5 IN PTR double-ep.svc2.testns.svc.cluster.local."],
      },
      // The reverse zone's own apex: its SOA; a partial name there is NODATA or NXDOMAIN like any other.
      { q: "0.10.in-addr.arpa.", t: "SOA", answer: [soa("0.10.in-addr.arpa")] },
      { q: "0.10.in-addr.arpa.", t: "PTR", ns: [soa("0.10.in-addr.arpa")] },
      { q: "0.0.10.in-addr.arpa.", t: "PTR", rcode: "NXDOMAIN", ns: [soa("0.10.in-addr.arpa")] },
    ],
    { zone: "cluster.local", podsMode: "disabled", nsIPs: [], reverseZones: REVERSE_ZONES, fallthrough: [] },
  );
  // Outside every configured zone: not ours.
  assert.equal(answerQuestion(r, "1.1.1.1.in-addr.arpa.", "PTR", { zone: "cluster.local", podsMode: "disabled", nsIPs: [], reverseZones: REVERSE_ZONES, fallthrough: [] }), null);
});

test("reverse zones with kubeadm's Corefile defaults: names that do not exist fall through", () => {
  const r = build(reverseCluster());
  const o: ZoneOptions = { zone: "cluster.local", podsMode: "disabled", nsIPs: [] };
  runCases(r, [{ q: "99.0.0.10.in-addr.arpa.", t: "PTR", answer: ["99.0.0.10.in-addr.arpa. 5 IN PTR double-ep.svc1.testns.svc.cluster.local.", "99.0.0.10.in-addr.arpa. 5 IN PTR double-ep.svc2.testns.svc.cluster.local."] }], o);
  for (const [q, t] of [["101.0.0.10.in-addr.arpa.", "PTR"], ["svc1.testns.svc.0.10.in-addr.arpa.", "A"], ["2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", "PTR"]])
    assert.equal(answerQuestion(r, q, t, o), null, `${q} ${t}`);
  // fallthrough for every zone: the cluster zone's NXDOMAIN goes upstream too.
  assert.equal(answerQuestion(r, "svc0.testns.svc.cluster.local.", "A", { ...o, fallthrough: ["."] }), null);
  assert.equal(answerQuestion(r, "svc0.testns.svc.cluster.local.", "A", o)?.rcode, "NXDOMAIN");
  // Only exposed namespaces get PTRs.
  assert.equal(answerQuestion(r, "100.1.168.192.in-addr.arpa.", "PTR", { ...o, namespaces: ["other"] }), null);
});

test("ns_test.go TestNsAddrs: NS names are the services the server's own address is an endpoint of", () => {
  const objs = [
    namespace("kube-system"),
    service("kube-system", "dns-service", { clusterIP: "10.0.0.111" }),
    service("kube-system", "hdls-dns-service", { clusterIP: "None" }),
    service("kube-system", "dns6-service", { clusterIP: "10::111" }),
    slice("kube-system", "dns-service", "dns-service-slice1", "IPv4", [{ ip: "10.244.0.20" }], null),
    slice("kube-system", "hdls-dns-service", "hdls-dns-service-slice1", "IPv4", [{ ip: "10.244.0.20" }], null),
    slice("kube-system", "dns6-service", "dns6-service-slice1", "IPv4", [{ ip: "10.244.0.20" }], null),
  ];
  const r = build(objs);
  const z = "inter.webs.test";
  const o: ZoneOptions = { zone: z, podsMode: "disabled", nsIPs: [], localIPs: ["10.244.0.20"] };
  const names = ["dns-service.kube-system.svc.inter.webs.test.", "10-244-0-20.hdls-dns-service.kube-system.svc.inter.webs.test.", "dns6-service.kube-system.svc.inter.webs.test."];
  runCases(
    r,
    [
      {
        q: `${z}.`, t: "NS",
        answer: names.map((n) => `${z}. 5 IN NS ${n}`),
        extra: [`${names[0]} 5 IN A 10.0.0.111`, `${names[1]} 5 IN A 10.244.0.20`, `${names[2]} 5 IN AAAA 10::111`],
      },
      { q: `ns.dns.${z}.`, t: "A", answer: [`ns.dns.${z}. 5 IN A 10.0.0.111`, `ns.dns.${z}. 5 IN A 10.244.0.20`] },
      { q: `ns.dns.${z}.`, t: "AAAA", answer: [`ns.dns.${z}. 5 IN AAAA 10::111`] },
      // ns.dns has addresses only: no SRV, no TXT (Records knows no such name).
      { q: `ns.dns.${z}.`, t: "SRV", ns: [soa(z)] },
      { q: `ns.dns.${z}.`, t: "TXT", rcode: "NXDOMAIN", ns: [soa(z)] },
    ],
    o,
  );
});

test("ns.go nsAddrs: a dual-stack DNS service gives its address of each family (every ClusterIP)", () => {
  const objs = [
    namespace("kube-system"),
    service("kube-system", "dns-service", { clusterIP: "10.0.0.111", clusterIPs: ["10.0.0.111", "10::111"] }),
    slice("kube-system", "dns-service", "dns-service-slice1", "IPv4", [{ ip: "10.244.0.20" }], null),
  ];
  const z = "inter.webs.test";
  const name = "dns-service.kube-system.svc.inter.webs.test.";
  runCases(
    build(objs),
    [
      { q: `${z}.`, t: "NS", answer: [`${z}. 5 IN NS ${name}`], extra: [`${name} 5 IN A 10.0.0.111`, `${name} 5 IN AAAA 10::111`] },
      { q: `ns.dns.${z}.`, t: "AAAA", answer: [`ns.dns.${z}. 5 IN AAAA 10::111`] },
    ],
    { zone: z, podsMode: "disabled", nsIPs: [], localIPs: ["10.244.0.20"] },
  );
});

test("kubernetes_test.go TestServicesAuthority: ns.dns at the local addresses when they are no endpoint", () => {
  const r = build([namespace("testns")]);
  const z = "interwebs.test";
  const o = (localIPs: string[]): ZoneOptions => ({ zone: z, podsMode: "disabled", nsIPs: [], localIPs });
  runCases(r, [{ q: `ns.dns.${z}.`, t: "A", answer: [`ns.dns.${z}. 5 IN A 1.2.3.4`] }, { q: `ns.dns.${z}.`, t: "AAAA", ns: [soa(z)] }], o(["1.2.3.4"]));
  runCases(r, [{ q: `ns.dns.${z}.`, t: "A", ns: [soa(z)] }, { q: `ns.dns.${z}.`, t: "AAAA", answer: [`ns.dns.${z}. 5 IN AAAA 1:2::3:4`] }], o(["1:2::3:4"]));
  runCases(
    r,
    [{ q: `${z}.`, t: "NS", answer: [`${z}. 5 IN NS ns.dns.${z}.`], extra: [`ns.dns.${z}. 5 IN A 1.2.3.4`, `ns.dns.${z}. 5 IN AAAA 1:2::3:4`] }],
    o(["1.2.3.4", "1:2::3:4"]),
  );
});

test("kubernetes_test.go TestServices: ClusterIP, endpoint of a ClusterIP service, dual stack, ExternalName, headless", () => {
  const objs = [
    namespace("testns"),
    service("testns", "svc1", { clusterIP: "10.0.0.1", ports: http }),
    slice("testns", "svc1", "svc1-slice1", "IPv4", [{ ip: "172.0.0.1", hostname: "ep1a" }], http),
    service("testns", "svc-dual-stack", { clusterIP: "10.0.0.2", clusterIPs: ["10.0.0.2", "10::2"], ports: http }),
    service("testns", "hdls1", { clusterIP: "None" }),
    slice("testns", "hdls1", "hdls1-slice1", "IPv4", [{ ip: "172.0.0.2" }], http),
    slice("testns", "hdls1", "hdls1-slice2", "IPv4", [{ ip: "172.0.0.2" }], http),
    service("testns", "external", { type: "ExternalName", externalName: "coredns.io", ports: http }),
  ];
  const r = build(objs);
  const z = "interwebs.test";
  runCases(
    r,
    [
      { q: `svc1.testns.svc.${z}.`, t: "A", answer: [`svc1.testns.svc.${z}. 5 IN A 10.0.0.1`] },
      { q: `_http._tcp.svc1.testns.svc.${z}.`, t: "SRV", answer: [`_http._tcp.svc1.testns.svc.${z}. 5 IN SRV 0 100 80 svc1.testns.svc.${z}.`], extra: [`svc1.testns.svc.${z}. 5 IN A 10.0.0.1`] },
      { q: `ep1a.svc1.testns.svc.${z}.`, t: "A", answer: [`ep1a.svc1.testns.svc.${z}. 5 IN A 172.0.0.1`] },
      {
        q: `_http._tcp.svc-dual-stack.testns.svc.${z}.`, t: "SRV",
        answer: [`_http._tcp.svc-dual-stack.testns.svc.${z}. 5 IN SRV 0 50 80 svc-dual-stack.testns.svc.${z}.`],
        extra: [`svc-dual-stack.testns.svc.${z}. 5 IN A 10.0.0.2`, `svc-dual-stack.testns.svc.${z}. 5 IN AAAA 10::2`],
      },
      { q: `external.testns.svc.${z}.`, t: "CNAME", answer: [`external.testns.svc.${z}. 5 IN CNAME coredns.io.`] },
      // The same address in two slices is one A record.
      { q: `hdls1.testns.svc.${z}.`, t: "A", answer: [`hdls1.testns.svc.${z}. 5 IN A 172.0.0.2`] },
    ],
    { zone: z, podsMode: "disabled", nsIPs: [] },
  );
});

test("kubernetes_test.go TestEndpointHostname (without endpoint_pod_names)", () => {
  assert.equal(endpointLabel("10.11.12.13", ""), "10-11-12-13");
  assert.equal(endpointLabel("10.11.12.13", "epname"), "epname");
  assert.equal(endpointLabel("1234:abcd::1", ""), "1234-abcd--1");
  // A label may not end in "-": an address ending in "::" gets a "0".
  assert.equal(endpointLabel("fd00:1::", ""), "fd00-1--0");
  const r = build([
    namespace("ns"),
    service("ns", "h", { clusterIP: "None" }),
    slice("ns", "h", "h-1", "IPv6", [{ ip: "fd00:1::" }], http),
  ]);
  runCases(r, [{ q: "fd00-1--0.h.ns.svc.cluster.local.", t: "AAAA", answer: ["fd00-1--0.h.ns.svc.cluster.local. 5 IN AAAA fd00:1::"] }], { zone: "cluster.local", podsMode: "disabled", nsIPs: [] });
});

test("parse_test.go TestParseRequest / TestParseInvalidRequest (zone inter.webs.tests)", () => {
  const str = (q: string) => {
    const base = q.replace(/\.?inter\.webs\.tests\.$/, "");
    const r = parseRequest(base);
    assert.ok(r, q);
    // port.protocol.endpoint.cluster.service.namespace.podOrSvc, as recordRequest.String()
    return [r.port, r.protocol, r.endpoint, "", r.service, r.namespace, r.podOrSvc].join(".");
  };
  assert.equal(str("_http._tcp.webs.mynamespace.svc.inter.webs.tests."), "http.tcp...webs.mynamespace.svc");
  assert.equal(str("1-2-3-4.webs.mynamespace.svc.inter.webs.tests."), "..1-2-3-4..webs.mynamespace.svc");
  assert.equal(str("inter.webs.tests."), "......");
  assert.equal(str("svc.inter.webs.tests."), "......");
  assert.equal(str("pod.inter.webs.tests."), "......");
  assert.equal(str("..webs.mynamespace.svc.inter.webs.tests."), "....webs.mynamespace.svc");
  // Without the zonal option a _zone name reads as port and protocol.
  assert.equal(str("us-west-2a._zone.webs.mynamespace.svc.inter.webs.tests."), "us-west-2a.zone...webs.mynamespace.svc");
  assert.equal(str("us-west-2a._zone.webs.mynamespace.pod.inter.webs.tests."), "us-west-2a.zone...webs.mynamespace.pod");
  for (const q of ["webs.mynamespace.pood", "too.long.for.what.I.am.trying.to.pod"]) assert.equal(parseRequest(q.toLowerCase()), null, q);
});

// zonal_test.go's fake API: a headless service with endpoints in us-west-2a and -2b, a ClusterIP
// service, and us-west-2c occupied by some other endpoint (here another service's).
function zonalCluster(): KubeObject[] {
  return [
    namespace("testns"),
    service("testns", "hdls", { clusterIP: "None" }),
    slice("testns", "hdls", "hdls-slice", "IPv4", [{ ip: "172.0.0.1", zone: "us-west-2a" }, { ip: "172.0.0.2", zone: "us-west-2b" }, { ip: "172.0.0.3", zone: "us-west-2b" }], http),
    service("testns", "clstr", { clusterIP: "10.0.0.10", ports: http }),
    service("testns", "elsewhere", { clusterIP: "None" }),
    slice("testns", "elsewhere", "elsewhere-slice", "IPv4", [{ ip: "172.0.0.9", zone: "us-west-2c" }], http),
  ];
}

test("zonal names: a zone written in capitals is found (names are case-insensitive)", () => {
  const objs = zonalCluster().map((o) => (o.metadata?.name === "hdls-slice" ? { ...o, endpoints: [{ addresses: ["172.0.0.1"], conditions: { ready: true }, zone: "US-West-2A" }] } : o));
  const r = DnsRecords.fromObjects(objs as KubeObject[], { implicitNamespaces: false, keepZones: true, clock: () => SERIAL });
  const q = "us-west-2a._zone.hdls.testns.svc.cluster.local.";
  runCases(r, [{ q, t: "A", answer: [`${q} 5 IN A 172.0.0.1`] }], { zone: "cluster.local", podsMode: "disabled", nsIPs: [], zonal: true });
});

test("zonal_test.go zonalTestCases: topozone._zone names of headless services (zonal)", () => {
  const r = DnsRecords.fromObjects(zonalCluster(), { implicitNamespaces: false, keepZones: true, clock: () => SERIAL });
  const q = (zone: string, svc = "hdls") => `${zone}._zone.${svc}.testns.svc.cluster.local.`;
  runCases(
    r,
    [
      { q: q("us-west-2a"), t: "A", answer: [`${q("us-west-2a")} 5 IN A 172.0.0.1`] },
      { q: q("us-west-2b"), t: "A", answer: [`${q("us-west-2b")} 5 IN A 172.0.0.2`, `${q("us-west-2b")} 5 IN A 172.0.0.3`] },
      // A zone the service has no endpoints in: NODATA, not NXDOMAIN.
      { q: q("us-west-2c"), t: "A", ns: [SOA] },
      // A label that is no zone keeps its NXDOMAIN.
      { q: q("db"), t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      // Headless services only.
      { q: q("us-west-2a", "clstr"), t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: q("us-west-2c"), t: "TXT", ns: [SOA] },
      { q: q("db"), t: "TXT", rcode: "NXDOMAIN", ns: [SOA] },
      {
        q: q("us-west-2b"), t: "SRV",
        answer: ["172-0-0-2", "172-0-0-3"].map((h) => `${q("us-west-2b")} 5 IN SRV 0 50 80 ${h}.hdls.testns.svc.cluster.local.`),
        extra: ["172-0-0-2.hdls.testns.svc.cluster.local. 5 IN A 172.0.0.2", "172-0-0-3.hdls.testns.svc.cluster.local. 5 IN A 172.0.0.3"],
      },
    ],
    serveOpts({ zonal: true }),
  );
  // The zone set is add-only: a zone drained of endpoints stays known (NODATA, not NXDOMAIN).
  r.apply("DELETED", slice("testns", "elsewhere", "elsewhere-slice", "IPv4", [], null));
  runCases(r, [{ q: q("us-west-2c"), t: "A", ns: [SOA] }], serveOpts({ zonal: true }));
});

test("zonal_test.go zonalDisabledTestCases: without zonal a _zone name is a port/protocol no service has", () => {
  const r = DnsRecords.fromObjects(zonalCluster(), { implicitNamespaces: false, keepZones: false, clock: () => SERIAL });
  runCases(r, [{ q: "us-west-2a._zone.hdls.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] }], serveOpts());
  // parse_test.go: _zone under pod, or without the option, reads as port and protocol.
  assert.deepEqual(parseRequest("us-west-2a._zone.webs.mynamespace.svc", true)?.zone, "us-west-2a");
  assert.deepEqual(parseRequest("us-west-2a._zone.webs.mynamespace.pod", true)?.port, "us-west-2a");
  assert.deepEqual(parseRequest("us-west-2a._zone.webs.mynamespace.svc", false)?.protocol, "zone");
});

test("ttl option: every answer's TTL and the SOA minimum; the SOA's own TTL at most 300", () => {
  const r = build(serveCluster());
  runCases(
    r,
    [
      { q: "svc1.testns.svc.cluster.local.", t: "A", answer: ["svc1.testns.svc.cluster.local. 30 IN A 10.0.0.1"] },
      { q: "svc0.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [soa("cluster.local", 30)] },
      { q: "dns-version.cluster.local.", t: "TXT", answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'] },
    ],
    serveOpts({ ttl: 30 }),
  );
  // Written out: the SOA's own TTL stays at 300 while its minimum is the option's 3600.
  runCases(r, [{ q: "cluster.local.", t: "SOA", answer: [`cluster.local. 300 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. ${SERIAL} 7200 1800 86400 3600`] }], serveOpts({ ttl: 3600 }));
});

test("dnsutil ExtractAddressFromReverse", () => {
  assert.equal(addressFromReverse("1.0.168.192.in-addr.arpa."), "192.168.0.1");
  assert.equal(addressFromReverse("0.0.0.0.in-addr.arpa"), "0.0.0.0");
  assert.equal(addressFromReverse("1.0.168.in-addr.arpa."), "");
  assert.equal(addressFromReverse("256.0.168.192.in-addr.arpa."), "");
  assert.equal(addressFromReverse("01.0.168.192.in-addr.arpa."), "");
  assert.equal(addressFromReverse("1.0.168.192.in-addr.arpa.example."), "");
  const v6 = addressFromReverse("b.a.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.");
  assert.equal(ipKey(v6), ipKey("::123:4567:89ab"));
  assert.equal(addressFromReverse("b.a.9.ip6.arpa."), "");
});
