import { test } from "node:test";
import assert from "node:assert/strict";
import { answerQuestion, completeChase, type PodsMode, type ZoneOptions } from "./answer.js";
import { DnsRecords } from "./records.js";
import { corednsCluster, formatRRs, norm, pod, runCases, service, slice, type Case } from "./fixtures.test-util.js";

const SOA = "cluster.local.\t5\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5";
const opts = (podsMode: PodsMode = "disabled"): ZoneOptions => ({ zone: "cluster.local", podsMode, nsIPs: ["10.0.0.10"] });

function build(objs = corednsCluster(), trackPods = true): DnsRecords {
  return DnsRecords.fromObjects(objs, { trackPods, implicitNamespaces: false, clock: () => 1499347823 });
}
/** One question checked as runCases checks a table's. */
const check = (records: DnsRecords, c: Case, o: ZoneOptions) => runCases(records, [c], o);

// Ported from coredns/coredns plugin/kubernetes/handler_test.go (dnsTestCases).
const serveCases: Case[] = [
  { q: "svc1.testns.svc.cluster.local.", t: "A", answer: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"] },
  { q: "svcempty.testns.svc.cluster.local.", t: "A", answer: ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"] },
  {
    q: "svc1.testns.svc.cluster.local.", t: "SRV",
    answer: ["svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."],
    extra: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"],
  },
  {
    q: "svcempty.testns.svc.cluster.local.", t: "SRV",
    answer: ["svcempty.testns.svc.cluster.local. 5 IN SRV 0 100 80 svcempty.testns.svc.cluster.local."],
    extra: ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"],
  },
  {
    q: "svc6.testns.svc.cluster.local.", t: "SRV",
    answer: ["svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local."],
    extra: ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"],
  },
  {
    q: "_http._tcp.svc1.testns.svc.cluster.local.", t: "SRV",
    answer: ["_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."],
    extra: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"],
  },
  {
    q: "_http._tcp.svcempty.testns.svc.cluster.local.", t: "SRV",
    answer: ["_http._tcp.svcempty.testns.svc.cluster.local. 5 IN SRV 0 100 80 svcempty.testns.svc.cluster.local."],
    extra: ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"],
  },
  {
    q: "hdls1.testns.svc.cluster.local.", t: "A",
    answer: ["172.0.0.2", "172.0.0.3", "172.0.0.4", "172.0.0.5"].map((ip) => `hdls1.testns.svc.cluster.local. 5 IN A ${ip}`),
  },
  { q: "hdlsprtls.testns.svc.cluster.local.", t: "A", answer: ["hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"] },
  { q: "172-0-0-20.hdlsprtls.testns.svc.cluster.local.", t: "A", answer: ["172-0-0-20.hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"] },
  { q: "172-0-0-2.hdls1.testns.svc.cluster.local.", t: "A", answer: ["172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2"] },
  { q: "172-0-0-3.hdls1.testns.svc.cluster.local.", t: "A", answer: ["172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3"] },
  {
    q: "dup-name.hdls1.testns.svc.cluster.local.", t: "A",
    answer: ["dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4", "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5"],
  },
  {
    q: "_http._tcp.hdls1.testns.svc.cluster.local.", t: "SRV",
    answer: ["172-0-0-2", "172-0-0-3", "5678-abcd--1", "5678-abcd--2", "dup-name"].map(
      (h) => `_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 ${h}.hdls1.testns.svc.cluster.local.`,
    ),
    extra: [
      "172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2",
      "172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3",
      "5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1",
      "5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2",
      "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4",
      "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5",
    ],
  },
  { q: "5678-abcd--2.hdls1.testns.svc.cluster.local", t: "AAAA", answer: ["5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2"] },
  { q: "external.testns.svc.cluster.local.", t: "CNAME", answer: ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."] },
  // The A lookup of an ExternalName outside the zone goes upstream (see the chase test below).
  { q: "external.testns.svc.cluster.local.", t: "A", ns: [SOA], chase: "ext.interwebs.test" },
  {
    q: "external-to-service.testns.svc.cluster.local", t: "A",
    answer: ["external-to-service.testns.svc.cluster.local. 5 IN CNAME svc1.testns.svc.cluster.local.", "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"],
  },
  { q: "svc1.testns.svc.cluster.local.", t: "AAAA", ns: [SOA] },
  { q: "svc0.testns.svc.cluster.local.", t: "AAAA", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "svc0.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "svc0.svc-nons.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "dns-version.cluster.local.", t: "TXT", answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'] },
  { q: "bogusendpoint.hdls1.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "bogusendpoint.svc0.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "svc6.testns.svc.cluster.local.", t: "AAAA", answer: ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"] },
  {
    q: "_http._tcp.svc6.testns.svc.cluster.local.", t: "SRV",
    answer: ["_http._tcp.svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local."],
    extra: ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"],
  },
  {
    q: "hdls1.testns.svc.cluster.local.", t: "AAAA",
    answer: ["hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1", "hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2"],
  },
  { q: "5678-abcd--1.hdls1.testns.svc.cluster.local.", t: "AAAA", answer: ["5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1"] },
  { q: "svc.cluster.local.", t: "A", ns: [SOA] },
  { q: "pod.cluster.local.", t: "A", ns: [SOA] },
  { q: "testns.svc.cluster.local.", t: "A", ns: [SOA] },
  { q: "svc.cluster.local.", t: "NS", ns: [SOA] },
  { q: "testns.svc.cluster.local.", t: "NS", ns: [SOA] },
  { q: "foo.cluster.local.", t: "NS", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "foo.svc.cluster.local.", t: "NS", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "svc-dual-stack.testns.svc.cluster.local.", t: "A", answer: ["svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3"] },
  { q: "svc-dual-stack.testns.svc.cluster.local.", t: "AAAA", answer: ["svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3"] },
  {
    q: "svc-dual-stack.testns.svc.cluster.local.", t: "SRV",
    answer: ["svc-dual-stack.testns.svc.cluster.local. 5 IN SRV 0 50 80 svc-dual-stack.testns.svc.cluster.local."],
    extra: ["svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3", "svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3"],
  },
  { q: "svc1.testns.svc.cluster.local.", t: "SOA", ns: [SOA] },
  { q: "endpoint.external.testns.svc.cluster.local.", t: "CNAME", rcode: "NXDOMAIN", ns: [SOA] },
  // handler_case_test.go: matching ignores case, answers keep the question's.
  { q: "SvC1.TeStNs.SvC.cLuStEr.LoCaL.", t: "A", answer: ["SvC1.TeStNs.SvC.cLuStEr.LoCaL. 5 IN A 10.0.0.1"] },
  // SRV targets keep the zone as the question spells it (the service part is the object's name).
  {
    q: "_HTTP._TCP.svc1.testns.svc.CLUSTER.local.", t: "SRV",
    answer: ["_HTTP._TCP.svc1.testns.svc.CLUSTER.local. 5 IN SRV 0 100 80 svc1.testns.svc.CLUSTER.local."],
    extra: ["svc1.testns.svc.CLUSTER.local. 5 IN A 10.0.0.1"],
  },
  // kubernetes_apex_test.go / ns_test.go: apex SOA and NS, ns.dns A.
  { q: "cluster.local.", t: "SOA", answer: [SOA] },
  { q: "cluster.local.", t: "HINFO", ns: [SOA] },
  { q: "cluster.local.", t: "NS", answer: ["cluster.local. 5 IN NS ns.dns.cluster.local."], extra: ["ns.dns.cluster.local. 5 IN A 10.0.0.10"] },
  { q: "ns.dns.cluster.local.", t: "A", answer: ["ns.dns.cluster.local. 5 IN A 10.0.0.10"] },
  { q: "ns.dns.cluster.local.", t: "AAAA", ns: [SOA] },
  { q: "cluster.local.", t: "A", ns: [SOA] },
  { q: "dns.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
  // Other types: NODATA when the name exists, NXDOMAIN when not; TXT is NODATA anywhere but dns-version.
  { q: "svc1.testns.svc.cluster.local.", t: "MX", ns: [SOA] },
  { q: "svc0.testns.svc.cluster.local.", t: "HINFO", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "svc1.testns.svc.cluster.local.", t: "TXT", ns: [SOA] },
  { q: "svc1.testns.svc.cluster.local.", t: "PTR", ns: [SOA] },
  // Named-port SRV that does not exist; ExternalName has no SRV; unnamed ports have none.
  { q: "_https._tcp.svc1.testns.svc.cluster.local.", t: "SRV", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "_http._udp.svc1.testns.svc.cluster.local.", t: "SRV", rcode: "NXDOMAIN", ns: [SOA] },
  // kubernetes.go findServices: an ExternalName has no port/protocol names at all.
  { q: "_http._tcp.external.testns.svc.cluster.local.", t: "SRV", rcode: "NXDOMAIN", ns: [SOA] },
  // A port/proto name also answers A (CoreDNS), an endpoint of a ClusterIP service too.
  { q: "_http._tcp.svc1.testns.svc.cluster.local.", t: "A", answer: ["_http._tcp.svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"] },
  { q: "ep1a.svc1.testns.svc.cluster.local.", t: "A", answer: ["ep1a.svc1.testns.svc.cluster.local. 5 IN A 172.0.0.1"] },
  // Too many labels, wildcards (removed in CoreDNS 1.9): NXDOMAIN.
  { q: "a.b.c.svc1.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "*.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
  { q: "svc1.*.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
  // Not-ready endpoints are left out.
  { q: "10-0-0-101.svcrev.testns.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
];

test("CoreDNS handler_test cases", () => {
  const r = build();
  runCases(r, serveCases, opts());
});

test("pods insecure / verified / disabled (handler_pod_*_test.go)", () => {
  const r = build();
  const table: { mode: PodsMode; cases: Case[] }[] = [
    {
      mode: "insecure",
      cases: [
        { q: "10-240-0-1.podns.pod.cluster.local.", t: "A", answer: ["10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"] },
        { q: "172-0-0-2.podns.pod.cluster.local.", t: "A", answer: ["172-0-0-2.podns.pod.cluster.local. 5 IN A 172.0.0.2"] },
        { q: "172-0-0-2.podns.pod.cluster.local.", t: "AAAA", ns: [SOA] },
        { q: "1234-abcd--1.podns.pod.cluster.local.", t: "AAAA", answer: ["1234-abcd--1.podns.pod.cluster.local. 5 IN AAAA 1234:abcd::1"] },
        { q: "blah.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
        { q: "blah.podns.pod.cluster.local.", t: "AAAA", rcode: "NXDOMAIN", ns: [SOA] },
        { q: "blah.podns.pod.cluster.local.", t: "HINFO", rcode: "NXDOMAIN", ns: [SOA] },
        { q: "blah.pod-nons.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
        { q: "10-240-0-1.pod-nons.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
        { q: "podns.pod.cluster.local.", t: "A", ns: [SOA] },
        { q: "999-0-0-1.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      ],
    },
    {
      mode: "verified",
      cases: [
        { q: "10-240-0-1.podns.pod.cluster.local.", t: "A", answer: ["10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"] },
        { q: "172-0-0-2.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
        { q: "10-240-0-1.testns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
        { q: "blah.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      ],
    },
    {
      mode: "disabled",
      cases: [
        { q: "10-240-0-1.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
        { q: "172-0-0-2.podns.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      ],
    },
  ];
  for (const { mode, cases } of table) runCases(r, cases, opts(mode));
});

test("PTR for ClusterIPs and endpoints, v4 and nibble v6 (reverse_test.go)", () => {
  const r = build();
  const cases: Case[] = [
    { q: "100.0.0.10.in-addr.arpa.", t: "PTR", answer: ["100.0.0.10.in-addr.arpa. 5 IN PTR ep1a.svcrev.testns.svc.cluster.local."] },
    { q: "100.1.168.192.in-addr.arpa.", t: "PTR", answer: ["100.1.168.192.in-addr.arpa. 5 IN PTR svcrev.testns.svc.cluster.local."] },
    {
      q: "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", t: "PTR",
      answer: ["2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa. 5 IN PTR ep1b.svcrev.testns.svc.cluster.local."],
    },
    {
      q: "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.", t: "PTR",
      answer: ["a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa. 5 IN PTR ip6svc1ex.svcrev.testns.svc.cluster.local."],
    },
    {
      q: "6.a.b.9.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.", t: "PTR",
      answer: ["6.a.b.9.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa. 5 IN PTR ip6svc1in.svcrev.testns.svc.cluster.local."],
    },
    {
      q: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", t: "PTR",
      answer: ["1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa. 5 IN PTR svc6.testns.svc.cluster.local."],
    },
    { q: "2.0.0.172.in-addr.arpa.", t: "PTR", answer: ["2.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-2.hdls1.testns.svc.cluster.local."] },
    { q: "3.0.0.10.in-addr.arpa.", t: "PTR", answer: ["3.0.0.10.in-addr.arpa. 5 IN PTR svc-dual-stack.testns.svc.cluster.local."] },
  ];
  runCases(r, cases, opts());
  // Unknown addresses, not-ready endpoints, partial names and other types are not ours: forwarded.
  for (const [q, t] of [
    ["101.0.0.10.in-addr.arpa.", "PTR"],
    ["0.10.in-addr.arpa.", "PTR"],
    ["100.1.168.192.in-addr.arpa.", "A"],
    ["example.org.", "A"],
  ])
    assert.equal(answerQuestion(r, q, t, opts()), null, `${q} ${t}`);
});

test("ExternalName chase merges the upstream answer, CNAME first", () => {
  const r = build();
  const o = opts();
  const a = answerQuestion(r, "External.testns.svc.cluster.local.", "A", o)!;
  assert.deepEqual(a.chase?.type, "A");
  const done = completeChase(a, { answers: [{ name: "ext.interwebs.test", type: "A", ttl: 60, class: "IN", data: "1.2.3.4" }], truncated: true }, o, r.serial);
  assert.deepEqual(formatRRs(done.answers), ["External.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test.", "ext.interwebs.test. 60 IN A 1.2.3.4"].map(norm).sort());
  assert.equal(done.answers[0].type, "CNAME");
  assert.equal(done.truncated, true);
  assert.deepEqual(done.authority, []);
  const failed = completeChase(a, null, o, r.serial);
  assert.deepEqual(failed.answers, []);
  assert.equal(failed.rcode, "NOERROR");
  assert.equal(formatRRs(failed.authority)[0], norm(SOA));
});

test("headless: NXDOMAIN without ready endpoints; only the ready condition counts (as CoreDNS reads slices)", () => {
  // The EndpointSlice controller marks endpoints of publishNotReadyAddresses services ready;
  // CoreDNS looks at the ready condition only, so a not-ready endpoint is never answered.
  const objs = [
    service("default", "db", { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] }),
    slice("default", "db", "db-1", "IPv4", [{ ip: "10.244.1.2", hostname: "db-0", ready: false }], [{ name: "pg", port: 5432, protocol: "TCP" }]),
    service("default", "pub", { clusterIP: "None", publishNotReadyAddresses: true }),
    slice("default", "pub", "pub-1", "IPv4", [{ ip: "10.244.1.3", hostname: "p-0", ready: false }, { ip: "10.244.1.4", hostname: "p-0" }, { ip: "10.244.1.5" }, { ip: "10.244.1.6", hostname: "p-1" }], [{ name: "x", port: 1, protocol: "UDP" }]),
  ];
  const r = build(objs);
  const SOA0 = SOA;
  check(r, { q: "db.default.svc.cluster.local", t: "A", rcode: "NXDOMAIN", ns: [SOA0] }, opts());
  check(r, { q: "db-0.db.default.svc.cluster.local", t: "A", rcode: "NXDOMAIN", ns: [SOA0] }, opts());
  // Three ready addresses: weight floor(100/3) = 33 each.
  check(r, {
    q: "_x._udp.pub.default.svc.cluster.local", t: "SRV",
    answer: ["p-0", "10-244-1-5", "p-1"].map((h) => `_x._udp.pub.default.svc.cluster.local. 5 IN SRV 0 33 1 ${h}.pub.default.svc.cluster.local.`),
    extra: ["p-0.pub.default.svc.cluster.local. 5 IN A 10.244.1.4", "10-244-1-5.pub.default.svc.cluster.local. 5 IN A 10.244.1.5", "p-1.pub.default.svc.cluster.local. 5 IN A 10.244.1.6"],
  }, opts());
  check(r, { q: "pub.default.svc.cluster.local", t: "A", answer: ["10.244.1.4", "10.244.1.5", "10.244.1.6"].map((ip) => `pub.default.svc.cluster.local. 5 IN A ${ip}`) }, opts());
  assert.equal(answerQuestion(r, "3.1.244.10.in-addr.arpa", "PTR", opts()), null);
  // Becoming ready is visible after one incremental update.
  r.apply("MODIFIED", slice("default", "db", "db-1", "IPv4", [{ ip: "10.244.1.2", hostname: "db-0" }], [{ name: "pg", port: 5432, protocol: "TCP" }]));
  check(r, { q: "db-0.db.default.svc.cluster.local", t: "A", answer: ["db-0.db.default.svc.cluster.local. 5 IN A 10.244.1.2"] }, opts());
  check(r, { q: "2.1.244.10.in-addr.arpa", t: "PTR", answer: ["2.1.244.10.in-addr.arpa. 5 IN PTR db-0.db.default.svc.cluster.local."] }, opts());
  // And deleting the slice removes it again, the reverse entry too.
  r.apply("DELETED", slice("default", "db", "db-1", "IPv4", [], null));
  check(r, { q: "db.default.svc.cluster.local", t: "A", rcode: "NXDOMAIN", ns: [SOA0] }, opts());
  assert.equal(answerQuestion(r, "2.1.244.10.in-addr.arpa", "PTR", opts()), null);
});

test("bare-name SRV lists every port; Endpoints are used when a service has no slices", () => {
  const objs = [
    service("default", "my-service", { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, protocol: "TCP" }, { name: "https", port: 443, protocol: "TCP" }] }),
    service("default", "external-db", { clusterIP: "None" }),
    { apiVersion: "v1", kind: "Endpoints", metadata: { namespace: "default", name: "external-db" }, subsets: [{ addresses: [{ ip: "203.0.113.42" }], ports: [{ port: 9376 }] }] },
  ];
  const r = build(objs);
  check(r, {
    q: "my-service.default.svc.cluster.local", t: "SRV",
    answer: ["my-service.default.svc.cluster.local. 5 IN SRV 0 50 80 my-service.default.svc.cluster.local.", "my-service.default.svc.cluster.local. 5 IN SRV 0 50 443 my-service.default.svc.cluster.local."],
    extra: ["my-service.default.svc.cluster.local. 5 IN A 10.96.0.20"],
  }, opts());
  check(r, { q: "external-db.default.svc.cluster.local", t: "A", answer: ["external-db.default.svc.cluster.local. 5 IN A 203.0.113.42"] }, opts());
});

test("incremental service and namespace updates; deleting a namespace makes its names NXDOMAIN", () => {
  const r = build([]);
  check(r, { q: "a.prod.svc.cluster.local", t: "A", rcode: "NXDOMAIN", ns: [SOA] }, opts());
  r.apply("ADDED", { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } });
  check(r, { q: "prod.svc.cluster.local", t: "A", ns: [SOA] }, opts());
  r.apply("ADDED", service("prod", "a", { clusterIP: "10.96.0.5", ports: [{ port: 80 }] }));
  check(r, { q: "a.prod.svc.cluster.local", t: "A", answer: ["a.prod.svc.cluster.local. 5 IN A 10.96.0.5"] }, opts());
  r.apply("MODIFIED", service("prod", "a", { clusterIP: "10.96.0.6", ports: [{ port: 80 }] }));
  check(r, { q: "a.prod.svc.cluster.local", t: "A", answer: ["a.prod.svc.cluster.local. 5 IN A 10.96.0.6"] }, opts());
  assert.equal(answerQuestion(r, "5.0.96.10.in-addr.arpa", "PTR", opts()), null);
  r.apply("DELETED", service("prod", "a", { clusterIP: "10.96.0.6" }));
  r.apply("DELETED", { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } });
  check(r, { q: "prod.svc.cluster.local", t: "A", rcode: "NXDOMAIN", ns: [SOA] }, opts());
  // Pods: verified mode sees a Pod only while it exists.
  r.apply("ADDED", pod("default", "p", "10.244.1.5"));
  check(r, { q: "10-244-1-5.default.pod.cluster.local", t: "A", answer: ["10-244-1-5.default.pod.cluster.local. 5 IN A 10.244.1.5"] }, opts("verified"));
  r.apply("DELETED", pod("default", "p", "10.244.1.5"));
  check(r, { q: "10-244-1-5.default.pod.cluster.local", t: "A", rcode: "NXDOMAIN", ns: [SOA] }, opts("verified"));
});

test("names outside the zone are not answered here", () => {
  const r = build();
  assert.equal(answerQuestion(r, "example.com", "A", opts()), null);
  assert.equal(answerQuestion(r, "local", "A", opts()), null);
  assert.equal(answerQuestion(r, "xcluster.local", "A", opts()), null);
  assert.ok(answerQuestion(r, "svc1.testns.svc.cluster.local", "A", { ...opts(), zone: "Cluster.Local." }));
});
