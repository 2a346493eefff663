// The coredns/ci Kubernetes integration tables (test/kubernetes: address, srv, ptr, nsexposure,
// endpoints, fallthrough) against answerQuestion, over the objects of their cluster manifest
// (build/kubernetes/dns-test.yaml) as the API would hold them: its Services, Endpoints and
// namespaces, plus the EndpointSlices the controller makes for test-3's Deployments. The
// wildcard cases of older CoreDNS releases are asked as plain names (CoreDNS 1.9 removed `*`).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Endpoints, KubeObject } from "../api/types.js";
import { answerQuestion, reverseZonesOfCidr, type ZoneOptions } from "./answer.js";
import { DnsRecords } from "./records.js";
import { namespace, runCases, service, slice } from "./fixtures.test-util.js";

const SERIAL = 1502313310;
const soa = (zone: string) => `${zone}. 5 IN SOA ns.dns.${zone}. hostmaster.${zone}. ${SERIAL} 7200 1800 86400 5`;
const SOA = soa("cluster.local");

function endpoints(ns: string, name: string, ips: string[], ports: { name: string; port: number; protocol: "TCP" | "UDP" }[]): Endpoints {
  return { apiVersion: "v1", kind: "Endpoints", metadata: { namespace: ns, name }, subsets: [{ addresses: ips.map((ip) => ({ ip })), ports }] };
}
const c1234 = [{ name: "c-port", port: 1234, protocol: "UDP" as const }];
const http = [{ name: "http", port: 80, protocol: "TCP" as const }];
const LONG_POD = "test-name-longer-than-63-characters-making-it-an-invalid-dns-label-5d8f9c7b6-x2x9z";

function ciCluster(): KubeObject[] {
  return [
    namespace("test-1"),
    namespace("test-2"),
    namespace("test-3"),
    service("test-1", "svc-1-a", { clusterIP: "10.96.0.100", ports: [{ name: "http", port: 80, protocol: "TCP" }, { name: "https", port: 443, protocol: "TCP" }] }),
    endpoints("test-1", "svc-1-a", ["172.17.0.253"], [{ name: "http", port: 80, protocol: "TCP" }, { name: "https", port: 443, protocol: "TCP" }]),
    service("test-1", "svc-1-b", { selector: { app: "app-1-b" }, clusterIP: "10.96.0.110", ports: [{ name: "http", port: 80, protocol: "TCP" }] }),
    service("test-1", "svc-c", { selector: { app: "app-c" }, clusterIP: "10.96.0.115", ports: c1234 }),
    service("test-2", "svc-c", { selector: { app: "app-c" }, clusterIP: "10.96.0.120", ports: c1234 }),
    service("test-2", "svc-d", { clusterIP: "10.96.0.121", ports: c1234 }),
    endpoints("test-2", "svc-d", ["172.17.0.252"], c1234),
    service("test-1", "svc-unready", { selector: { app: "app-unready" }, clusterIP: "None", ports: c1234 }),
    service("test-1", "headless-svc", { clusterIP: "None", ports: c1234 }),
    endpoints("test-1", "headless-svc", ["172.17.0.255", "172.17.0.254", "1234:abcd::1", "1234:abcd::2"], c1234),
    service("test-1", "ext-svc", { type: "ExternalName", externalName: "example.net", ports: c1234 }),
    service("test-2", "upriver", { type: "ExternalName", externalName: "up.river.local", ports: c1234 }),
    service("test-3", "headless-1", { selector: { app: "headless-1" }, clusterIP: "None", ports: [{ name: "http", port: 80, protocol: "TCP" }] }),
    slice("test-3", "headless-1", "headless-1-abcde", "IPv4", [{ ip: "10.244.1.7", pod: "test-name-5d8f9c7b6-q7w8e" }], http),
    service("test-3", "headless-2", { selector: { app: "headless-2" }, clusterIP: "None", ports: [{ name: "http", port: 80, protocol: "TCP" }] }),
    slice("test-3", "headless-2", "headless-2-abcde", "IPv4", [{ ip: "10.244.1.8", pod: LONG_POD }], http),
  ];
}

const build = (keepPodNames = false) => DnsRecords.fromObjects(ciCluster(), { implicitNamespaces: false, keepPodNames, clock: () => SERIAL });

const base: ZoneOptions = { zone: "cluster.local", podsMode: "disabled", nsIPs: [] };

test("ci address_test.go (kubernetes cluster.local 10.in-addr.arpa { namespaces test-1 })", () => {
  const r = build();
  const o: ZoneOptions = { ...base, reverseZones: ["10.in-addr.arpa"], fallthrough: [], namespaces: ["test-1"] };
  runCases(
    r,
    [
      { q: "svc-1-a.test-1.svc.cluster.local.", t: "A", answer: ["svc-1-a.test-1.svc.cluster.local. 5 IN A 10.96.0.100"] },
      { q: "headless-svc.test-1.svc.cluster.local.", t: "A", answer: ["172.17.0.254", "172.17.0.255"].map((ip) => `headless-svc.test-1.svc.cluster.local. 5 IN A ${ip}`) },
      { q: "bogusservice.test-1.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "bogusendpoint.svc-1-a.test-1.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      // Formerly wildcards: now names that do not exist, namespace "*" included.
      { q: "svc-1-a.*.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "*.test-2.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      // Pod records are off by default.
      { q: "10-20-0-101.test-1.pod.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "dns-version.cluster.local.", t: "TXT", answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'] },
      { q: "headless-svc.test-1.svc.cluster.local.", t: "AAAA", answer: ["1234:abcd::1", "1234:abcd::2"].map((ip) => `headless-svc.test-1.svc.cluster.local. 5 IN AAAA ${ip}`) },
      // A headless service whose Pods never become ready has no records at all.
      { q: "svc-unready.test-1.svc.cluster.local.", t: "A", rcode: "NXDOMAIN", ns: [SOA] },
      // 10.in-addr.arpa is served: a ClusterIP's PTR, and NXDOMAIN (no fallthrough) for others.
      { q: "100.0.96.10.in-addr.arpa.", t: "PTR", answer: ["100.0.96.10.in-addr.arpa. 5 IN PTR svc-1-a.test-1.svc.cluster.local."] },
      { q: "99.0.96.10.in-addr.arpa.", t: "PTR", rcode: "NXDOMAIN", ns: [soa("10.in-addr.arpa")] },
    ],
    o,
  );
  // The ExternalName outside the zone is resolved upstream (the server chases it).
  assert.equal(answerQuestion(r, "ext-svc.test-1.svc.cluster.local.", "A", o)?.chase?.target, "example.net");
  // "New Objects": a Service and its Endpoints added later answer at once.
  r.apply("ADDED", service("test-1", "new-svc", { clusterIP: "10.96.0.222", ports: [{ name: "http", port: 80, protocol: "TCP" }] }));
  r.apply("ADDED", endpoints("test-1", "new-svc", ["172.17.0.222"], [{ name: "http", port: 80, protocol: "TCP" }]));
  runCases(
    r,
    [
      { q: "new-svc.test-1.svc.cluster.local.", t: "A", answer: ["new-svc.test-1.svc.cluster.local. 5 IN A 10.96.0.222"] },
      { q: "172-17-0-222.new-svc.test-1.svc.cluster.local.", t: "A", answer: ["172-17-0-222.new-svc.test-1.svc.cluster.local. 5 IN A 172.17.0.222"] },
    ],
    o,
  );
});

test("ci srv_test.go (kubernetes cluster.local { namespaces test-1 })", () => {
  const r = build();
  const o: ZoneOptions = { ...base, namespaces: ["test-1"] };
  const A = "svc-1-a.test-1.svc.cluster.local. 5 IN A 10.96.0.100";
  runCases(
    r,
    [
      {
        q: "svc-1-a.test-1.svc.cluster.local.", t: "SRV",
        answer: ["0 50 443", "0 50 80"].map((x) => `svc-1-a.test-1.svc.cluster.local. 5 IN SRV ${x} svc-1-a.test-1.svc.cluster.local.`),
        extra: [A],
      },
      { q: "_https._TcP.svc-1-a.test-1.svc.cluster.local.", t: "SRV", answer: ["_https._TcP.svc-1-a.test-1.svc.cluster.local. 5 IN SRV 0 100 443 svc-1-a.test-1.svc.cluster.local."], extra: [A] },
      { q: "*._not-udp-or-tcp.svc-1-a.test-1.svc.cluster.local.", t: "SRV", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "*.*.bogusservice.test-1.svc.cluster.local.", t: "SRV", rcode: "NXDOMAIN", ns: [SOA] },
      { q: "*.*.any.test-2.svc.cluster.local.", t: "SRV", rcode: "NXDOMAIN", ns: [SOA] },
      // An endpoint of a ClusterIP service, every port.
      {
        q: "172-17-0-253.svc-1-a.test-1.svc.cluster.local.", t: "SRV",
        answer: ["0 50 443", "0 50 80"].map((x) => `172-17-0-253.svc-1-a.test-1.svc.cluster.local. 5 IN SRV ${x} 172-17-0-253.svc-1-a.test-1.svc.cluster.local.`),
        extra: ["172-17-0-253.svc-1-a.test-1.svc.cluster.local. 5 IN A 172.17.0.253"],
      },
      // A ClusterIP service without endpoints still has its SRV record.
      { q: "_c-port._UDP.svc-c.test-1.svc.cluster.local.", t: "SRV", answer: ["_c-port._UDP.svc-c.test-1.svc.cluster.local. 5 IN SRV 0 100 1234 svc-c.test-1.svc.cluster.local."], extra: ["svc-c.test-1.svc.cluster.local. 5 IN A 10.96.0.115"] },
      {
        q: "_c-port._udp.headless-svc.test-1.svc.cluster.local.", t: "SRV",
        answer: ["172-17-0-254", "172-17-0-255", "1234-abcd--1", "1234-abcd--2"].map((h) => `_c-port._udp.headless-svc.test-1.svc.cluster.local. 5 IN SRV 0 25 1234 ${h}.headless-svc.test-1.svc.cluster.local.`),
        extra: [
          "172-17-0-254.headless-svc.test-1.svc.cluster.local. 5 IN A 172.17.0.254",
          "172-17-0-255.headless-svc.test-1.svc.cluster.local. 5 IN A 172.17.0.255",
          "1234-abcd--1.headless-svc.test-1.svc.cluster.local. 5 IN AAAA 1234:abcd::1",
          "1234-abcd--2.headless-svc.test-1.svc.cluster.local. 5 IN AAAA 1234:abcd::2",
        ],
      },
      // The ExternalName has no SRV records, and its port name is no name either.
      { q: "ext-svc.test-1.svc.cluster.local.", t: "SRV", ns: [SOA] },
      { q: "_c-port._udp.ext-svc.test-1.svc.cluster.local.", t: "SRV", rcode: "NXDOMAIN", ns: [SOA] },
    ],
    o,
  );
});

test("ci ptr_test.go (kubernetes cluster.local 10.96.0.0/24 172.17.0.0/24 1234:abcd::0/64 { namespaces test-1 })", () => {
  const r = build();
  const o: ZoneOptions = { ...base, reverseZones: ["10.96.0.0/24", "172.17.0.0/24", "1234:abcd::0/64"], fallthrough: [], namespaces: ["test-1"] };
  const v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.";
  runCases(
    r,
    [
      { q: "100.0.96.10.in-addr.arpa.", t: "PTR", answer: ["100.0.96.10.in-addr.arpa. 5 IN PTR svc-1-a.test-1.svc.cluster.local."] },
      { q: "253.0.17.172.in-addr.arpa.", t: "PTR", answer: ["253.0.17.172.in-addr.arpa. 5 IN PTR 172-17-0-253.svc-1-a.test-1.svc.cluster.local."] },
      { q: v6, t: "PTR", answer: [`${v6} 5 IN PTR 1234-abcd--1.headless-svc.test-1.svc.cluster.local.`] },
      // Services and endpoints of a namespace that is not exposed have no PTR.
      { q: "120.0.96.10.in-addr.arpa.", t: "PTR", rcode: "NXDOMAIN", ns: [soa("0.96.10.in-addr.arpa")] },
      { q: "252.0.17.172.in-addr.arpa.", t: "PTR", rcode: "NXDOMAIN", ns: [soa("0.17.172.in-addr.arpa")] },
      { q: "200.0.17.172.in-addr.arpa.", t: "PTR", rcode: "NXDOMAIN", ns: [soa("0.17.172.in-addr.arpa")] },
    ],
    o,
  );
  // 10.96.1.x is outside 10.96.0.0/24: not ours.
  assert.equal(answerQuestion(r, "100.1.96.10.in-addr.arpa.", "PTR", o), null);
  assert.deepEqual(reverseZonesOfCidr("1234:abcd::0/64"), ["0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa"]);
  assert.equal(reverseZonesOfCidr("10.96.0.0/12").length, 16);
  // An embedded IPv4 tail (it threw "Cannot convert ... to a BigInt").
  assert.deepEqual(reverseZonesOfCidr("::ffff:10.0.0.0/104"), ["a.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa"]);
  assert.throws(() => reverseZonesOfCidr("10.96.0.0/33"), /invalid CIDR "10\.96\.0\.0\/33": want ADDRESS\/PREFIX, the prefix at most 32 \(IPv4\) or 128 \(IPv6\)/);
});

test("ci nsexposure_test.go (kubernetes cluster.local: every namespace)", () => {
  const r = build();
  runCases(
    r,
    [
      { q: "svc-1-a.test-1.svc.cluster.local.", t: "A", answer: ["svc-1-a.test-1.svc.cluster.local. 5 IN A 10.96.0.100"] },
      { q: "svc-c.test-2.svc.cluster.local.", t: "A", answer: ["svc-c.test-2.svc.cluster.local. 5 IN A 10.96.0.120"] },
    ],
    base,
  );
});

test("ci endpoints_test.go (endpoint_pod_names { namespaces test-3 })", () => {
  const r = build(true);
  const o: ZoneOptions = { ...base, namespaces: ["test-3"], endpointPodNames: true };
  runCases(
    r,
    [
      {
        q: "headless-1.test-3.svc.cluster.local.", t: "SRV",
        answer: ["headless-1.test-3.svc.cluster.local. 5 IN SRV 0 100 80 test-name-5d8f9c7b6-q7w8e.headless-1.test-3.svc.cluster.local."],
        extra: ["test-name-5d8f9c7b6-q7w8e.headless-1.test-3.svc.cluster.local. 5 IN A 10.244.1.7"],
      },
      // A Pod name too long for a label falls back to the dashed address.
      {
        q: "headless-2.test-3.svc.cluster.local.", t: "SRV",
        answer: ["headless-2.test-3.svc.cluster.local. 5 IN SRV 0 100 80 10-244-1-8.headless-2.test-3.svc.cluster.local."],
        extra: ["10-244-1-8.headless-2.test-3.svc.cluster.local. 5 IN A 10.244.1.8"],
      },
      { q: "test-name-5d8f9c7b6-q7w8e.headless-1.test-3.svc.cluster.local.", t: "A", answer: ["test-name-5d8f9c7b6-q7w8e.headless-1.test-3.svc.cluster.local. 5 IN A 10.244.1.7"] },
      { q: "7.1.244.10.in-addr.arpa.", t: "PTR", answer: ["7.1.244.10.in-addr.arpa. 5 IN PTR test-name-5d8f9c7b6-q7w8e.headless-1.test-3.svc.cluster.local."] },
    ],
    o,
  );
  // Without the option the same endpoint is named by its address.
  runCases(
    r,
    [{ q: "headless-1.test-3.svc.cluster.local.", t: "SRV", answer: ["headless-1.test-3.svc.cluster.local. 5 IN SRV 0 100 80 10-244-1-7.headless-1.test-3.svc.cluster.local."], extra: ["10-244-1-7.headless-1.test-3.svc.cluster.local. 5 IN A 10.244.1.7"] }],
    { ...o, endpointPodNames: false },
  );
});

test("ci fallthrough_test.go (fallthrough: what the plugin does not know goes to the next source)", () => {
  const r = build();
  const o: ZoneOptions = { ...base, namespaces: ["test-1"], fallthrough: ["."] };
  assert.equal(answerQuestion(r, "ext-svc.test-1.svc.cluster.local.", "A", o)?.chase?.target, "example.net");
  assert.equal(answerQuestion(r, "f.b.svc.cluster.local.", "A", o), null);
  assert.equal(answerQuestion(r, "foo.cluster.local.", "A", o), null);
  // Existing names without that type stay NODATA here.
  assert.equal(answerQuestion(r, "svc-1-a.test-1.svc.cluster.local.", "AAAA", o)?.rcode, "NOERROR");
});
