// Test fixtures: CoreDNS's kubernetes plugin test cluster (handler_test.go, reverse_test.go)
// written as Kubernetes objects.
import assert from "node:assert/strict";
import type { EndpointSlice, KubeObject, Namespace, Pod, Service } from "../api/types.js";
import { answerQuestion, type DnsAnswer, type ZoneOptions } from "./answer.js";
import type { DnsRecords } from "./records.js";
import { formatRR } from "./zone-file.js";

export function service(ns: string, name: string, spec: Service["spec"]): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name }, spec };
}
export function slice(
  ns: string,
  svc: string,
  name: string,
  addressType: "IPv4" | "IPv6",
  /** pod: the endpoint's targetRef (a Pod of that name); zone: its topology zone. */
  endpoints: { ip: string; hostname?: string; ready?: boolean; pod?: string; zone?: string }[],
  ports: { name?: string; port: number; protocol?: "TCP" | "UDP" }[] | null,
): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: ns, name, labels: { "kubernetes.io/service-name": svc } },
    addressType,
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      hostname: e.hostname,
      conditions: { ready: e.ready ?? true },
      ...(e.pod ? { targetRef: { kind: "Pod", namespace: ns, name: e.pod } } : {}),
      ...(e.zone ? { zone: e.zone } : {}),
    })),
    ports,
  };
}
export function namespace(name: string): Namespace {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}
export function pod(ns: string, name: string, ip: string): Pod {
  return { apiVersion: "v1", kind: "Pod", metadata: { namespace: ns, name }, spec: { containers: [{ name: "c" }] }, status: { phase: "Running", podIP: ip, podIPs: [{ ip }] } };
}

const http = [{ name: "http", port: 80, protocol: "TCP" as const }];

export function corednsCluster(): KubeObject[] {
  return [
    namespace("testns"),
    namespace("podns"),
    service("kube-system", "kubedns", { clusterIP: "10.0.0.10", clusterIPs: ["10.0.0.10"], ports: [{ name: "dns", port: 53, protocol: "UDP" }] }),
    slice("kube-system", "kubedns", "kubedns-1", "IPv4", [{ ip: "172.0.0.100" }], [{ name: "dns", port: 53, protocol: "UDP" }]),
    service("testns", "svc1", { clusterIP: "10.0.0.1", ports: http }),
    slice("testns", "svc1", "svc1-slice1", "IPv4", [{ ip: "172.0.0.1", hostname: "ep1a" }], http),
    service("testns", "svcempty", { clusterIP: "10.0.0.1", ports: http }),
    slice("testns", "svcempty", "svcempty-slice1", "IPv4", [], http),
    service("testns", "svc6", { clusterIP: "1234:abcd::1", ports: http }),
    service("testns", "hdls1", { clusterIP: "None" }),
    slice(
      "testns",
      "hdls1",
      "hdls1-slice1",
      "IPv4",
      [{ ip: "172.0.0.2" }, { ip: "172.0.0.3" }, { ip: "172.0.0.4", hostname: "dup-name" }, { ip: "172.0.0.5", hostname: "dup-name" }],
      http,
    ),
    slice("testns", "hdls1", "hdls1-slice2", "IPv6", [{ ip: "5678:abcd::1" }, { ip: "5678:abcd::2" }], http),
    service("testns", "external", { type: "ExternalName", externalName: "ext.interwebs.test", ports: http }),
    service("testns", "external-to-service", { type: "ExternalName", externalName: "svc1.testns.svc.cluster.local.", ports: http }),
    service("testns", "hdlsprtls", { clusterIP: "None" }),
    slice("testns", "hdlsprtls", "hdlsprtls-slice1", "IPv4", [{ ip: "172.0.0.20" }], null),
    service("testns", "svc-dual-stack", { clusterIP: "10.0.0.3", clusterIPs: ["10.0.0.3", "10::3"], ports: http }),
    // reverse_test.go
    service("testns", "svcrev", { clusterIP: "192.168.1.100", ports: http }),
    slice(
      "testns",
      "svcrev",
      "svcrev-1",
      "IPv6",
      [
        { ip: "1234:abcd::2", hostname: "ep1b" },
        { ip: "fd00:77:30::a", hostname: "ip6svc1ex" },
        { ip: "fd00:77:30::2:9ba6", hostname: "ip6svc1in" },
      ],
      http,
    ),
    slice("testns", "svcrev", "svcrev-2", "IPv4", [{ ip: "10.0.0.100", hostname: "ep1a" }, { ip: "10.0.0.101", ready: false }], http),
    pod("podns", "foo", "10.240.0.1"),
  ];
}

/** One question of a CoreDNS test table: expected rcode and sections as zone-file lines. */
export interface Case {
  q: string;
  t: string;
  rcode?: string;
  answer?: string[];
  ns?: string[];
  extra?: string[];
  /** The ExternalName target the server is to resolve upstream (none when absent). */
  chase?: string;
}

/** A zone-file line with its whitespace collapsed. */
export const norm = (s: string) => s.trim().split(/\s+/).join(" ");
/** A section as sorted zone-file lines, whitespace collapsed. */
export const formatRRs = (rrs: DnsAnswer["answers"]) => rrs.map((r) => norm(formatRR(r))).sort();

/**
 * Asks every question of a table and checks it as CoreDNS's test.SortAndCheck does: rcode,
 * authoritative answer, each section (in any order), no CNAME after a record of its target; and
 * the chased ExternalName target, if any.
 */
export function runCases(records: DnsRecords, cases: Case[], o: ZoneOptions): void {
  for (const c of cases) {
    const label = `${c.q} ${c.t}`;
    const a = answerQuestion(records, c.q, c.t, o);
    assert.ok(a, `${label}: answered here`);
    assert.equal(a.rcode, c.rcode ?? "NOERROR", label);
    assert.equal(a.authoritative, true, label + " AA");
    assert.deepEqual(formatRRs(a.answers), (c.answer ?? []).map(norm).sort(), label + " answer");
    assert.deepEqual(formatRRs(a.authority), (c.ns ?? []).map(norm).sort(), label + " authority");
    assert.deepEqual(formatRRs(a.additionals), (c.extra ?? []).map(norm).sort(), label + " additional");
    assert.equal(a.chase?.target, c.chase, label + " chase");
    a.answers.forEach((r, i) => {
      if (r.type !== "CNAME") return;
      const target = String((r as { data?: unknown }).data).toLowerCase();
      assert.ok(!a.answers.slice(0, i).some((x) => x.name.toLowerCase() === target), label + " CNAME order");
    });
  }
}
