// One behaviour suite, two backends: the same Services and packets go through the iptables
// and the nftables rules, and must get the same verdicts (upstream's packet-flow cases from
// pkg/proxy/iptables/proxier_test.go, re-stated here as data).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { planProxy, type ProxyPlan } from "../proxy/plan.js";
import { renderIptables } from "../proxy/iptables/render.js";
import { renderNftables } from "../proxy/nftables/render.js";
import { traceIptables, traceNftables, type TracePacket, type TraceResult } from "./evaluate.js";
import { makeService, makeSlice, testInput, TEST_NODE } from "../proxy/test-fixtures.js";
import type { Service, EndpointSlice } from "../api/types.js";
import { planNftablesUpdate, planIptablesUpdate } from "../proxy/changes.js";

const NODE_IP = "192.168.0.2";
const NODE_IP_ALT = "192.168.1.2";
const LOCAL = [NODE_IP, NODE_IP_ALT, "192.168.99.11"];
const EXT = "203.0.113.2";
const EXT_BLOCKED = "203.0.113.130";

const MODES: { name: string; trace: (plan: ProxyPlan, p: TracePacket) => TraceResult }[] = [
  { name: "iptables", trace: (plan, p) => traceIptables(renderIptables(plan), p) },
  { name: "iptables, restore order", trace: (plan, p) => traceIptables(renderIptables(plan, { order: "restore" }), p) },
  { name: "nftables", trace: (plan, p) => traceNftables(renderNftables(plan), p) },
];

interface Flow {
  name: string;
  src: string;
  dst: string;
  dport: number;
  proto?: "tcp" | "udp" | "sctp";
  origin?: "pod" | "local" | "external";
  /** "ip:port, ip:port" (sorted), or a verdict word, or "" for not a service. */
  output: string;
  /** Where the modes differ by design (nftables rejects unknown ports of a ClusterIP). */
  nftOutput?: string;
  masq?: boolean;
}

interface Scenario {
  name: string;
  services: Service[];
  slices: EndpointSlice[];
  flows: Flow[];
}

const tcp = (name: string, port: number) => ({ name, port, protocol: "TCP" as const });

const scenarios: Scenario[] = [
  {
    name: "ClusterIP general (TestClusterIPGeneral)",
    services: [
      makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [{ name: "http", port: 80, protocol: "TCP" }]; }),
      makeService("ns2", "svc2", (s) => {
        s.spec.clusterIP = "172.30.0.42";
        s.spec.ports = [
          { name: "http", port: 80, protocol: "TCP" },
          { name: "https", port: 443, protocol: "TCP", targetPort: 8443 },
          { name: "dns-udp", port: 53, protocol: "UDP" },
          { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 5353 },
          { name: "dns-sctp", port: 53, protocol: "SCTP" },
        ];
      }),
    ],
    slices: [
      makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.0.1"], nodeName: TEST_NODE }], [tcp("http", 80)]),
      makeSlice("ns2", "svc2", 1, [{ addresses: ["10.180.0.1"], nodeName: TEST_NODE }, { addresses: ["10.180.2.1"], nodeName: "node2" }], [
        tcp("http", 80), tcp("https", 8443), { name: "dns-udp", port: 53, protocol: "UDP" }, tcp("dns-tcp", 5353), { name: "dns-sctp", port: 53, protocol: "SCTP" },
      ]),
    ],
    flows: [
      { name: "simple clusterIP", src: "10.180.0.2", dst: "172.30.0.41", dport: 80, output: "10.180.0.1:80", masq: false },
      { name: "hairpin to cluster IP", src: "10.180.0.1", dst: "172.30.0.41", dport: 80, output: "10.180.0.1:80", masq: true },
      { name: "clusterIP with multiple endpoints", src: "10.180.0.2", dst: "172.30.0.42", dport: 80, output: "10.180.0.1:80, 10.180.2.1:80", masq: false },
      { name: "clusterIP with TargetPort", src: "10.180.0.2", dst: "172.30.0.42", dport: 443, output: "10.180.0.1:8443, 10.180.2.1:8443", masq: false },
      { name: "same port, TCP", src: "10.180.0.2", dst: "172.30.0.42", dport: 53, proto: "tcp", output: "10.180.0.1:5353, 10.180.2.1:5353", masq: false },
      { name: "same port, UDP", src: "10.180.0.2", dst: "172.30.0.42", dport: 53, proto: "udp", output: "10.180.0.1:53, 10.180.2.1:53", masq: false },
      { name: "same port, SCTP", src: "10.180.0.2", dst: "172.30.0.42", dport: 53, proto: "sctp", output: "10.180.0.1:53, 10.180.2.1:53", masq: false },
      { name: "TCP-only port does not match UDP traffic", src: "10.180.0.2", dst: "172.30.0.42", dport: 80, proto: "udp", output: "", nftOutput: "REJECT" },
      { name: "svc1 does not accept svc2's ports", src: "10.180.0.2", dst: "172.30.0.41", dport: 443, output: "", nftOutput: "REJECT" },
      { name: "off-cluster source to ClusterIP is masqueraded", src: EXT, dst: "172.30.0.41", dport: 80, origin: "external", output: "10.180.0.1:80", masq: true },
    ],
  },
  {
    name: "LoadBalancer with source ranges (TestLoadBalancer)",
    services: [makeService("ns1", "svc1", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.clusterIP = "172.30.0.41";
      s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3001 }];
      s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }, { ip: "5.6.7.8" }] } };
      s.spec.loadBalancerSourceRanges = ["192.168.0.0/24", " 203.0.113.0/25"];
    })],
    slices: [makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.0.1"] }], [tcp("p80", 80)])],
    flows: [
      { name: "pod to cluster IP", src: "10.0.0.2", dst: "172.30.0.41", dport: 80, output: "10.180.0.1:80", masq: false },
      { name: "external to nodePort", src: EXT, dst: NODE_IP, dport: 3001, origin: "external", output: "10.180.0.1:80", masq: true },
      { name: "nodePort bypasses LoadBalancerSourceRanges", src: EXT_BLOCKED, dst: NODE_IP, dport: 3001, origin: "external", output: "10.180.0.1:80", masq: true },
      { name: "accepted external to LB1", src: EXT, dst: "1.2.3.4", dport: 80, origin: "external", output: "10.180.0.1:80", masq: true },
      { name: "accepted external to LB2", src: EXT, dst: "5.6.7.8", dport: 80, origin: "external", output: "10.180.0.1:80", masq: true },
      { name: "blocked external to LB1", src: EXT_BLOCKED, dst: "1.2.3.4", dport: 80, origin: "external", output: "DROP" },
      { name: "blocked external to LB2", src: EXT_BLOCKED, dst: "5.6.7.8", dport: 80, origin: "external", output: "DROP" },
      { name: "pod to LB1 (blocked by LoadBalancerSourceRanges)", src: "10.0.0.2", dst: "1.2.3.4", dport: 80, output: "DROP" },
      { name: "node to LB1 (allowed by LoadBalancerSourceRanges)", src: NODE_IP, dst: "1.2.3.4", dport: 80, origin: "local", output: "10.180.0.1:80", masq: true },
      { name: "same node to LB2, SNATted to LB2 (implicitly allowed)", src: "5.6.7.8", dst: "5.6.7.8", dport: 80, origin: "external", output: "10.180.0.1:80", masq: true },
    ],
  },
  {
    name: "no endpoints reject (TestNoEndpointsReject)",
    services: [makeService("ns1", "svc1", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.clusterIP = "172.30.0.41";
      s.spec.externalIPs = ["192.168.99.11"];
      s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3001 }];
      s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
    })],
    slices: [],
    flows: [
      { name: "pod to cluster IP with no endpoints", src: "10.0.0.2", dst: "172.30.0.41", dport: 80, output: "REJECT" },
      { name: "external to external IP with no endpoints", src: EXT, dst: "192.168.99.11", dport: 80, origin: "external", output: "REJECT" },
      { name: "pod to NodePort with no endpoints", src: "10.0.0.2", dst: NODE_IP, dport: 3001, output: "REJECT" },
      { name: "external to NodePort with no endpoints", src: EXT, dst: NODE_IP, dport: 3001, origin: "external", output: "REJECT" },
      { name: "pod to LoadBalancer IP with no endpoints", src: "10.0.0.2", dst: "1.2.3.4", dport: 80, output: "REJECT" },
      { name: "external to LoadBalancer IP with no endpoints", src: EXT, dst: "1.2.3.4", dport: 80, origin: "external", output: "REJECT" },
    ],
  },
  {
    name: "externalTrafficPolicy Local (TestExternalTrafficPolicyLocal)",
    services: [makeService("ns1", "svc1", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.externalTrafficPolicy = "Local";
      s.spec.clusterIP = "172.30.0.41";
      s.spec.externalIPs = ["192.168.99.11"];
      s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3001 }];
      s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
    })],
    slices: [makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.0.1"], nodeName: TEST_NODE }, { addresses: ["10.180.2.1"], nodeName: "host2" }], [tcp("p80", 80)])],
    flows: [
      { name: "pod to cluster IP hits both endpoints, unmasqueraded", src: "10.0.0.2", dst: "172.30.0.41", dport: 80, output: "10.180.0.1:80, 10.180.2.1:80", masq: false },
      { name: "pod to external IP hits both endpoints (short-circuit)", src: "10.0.0.2", dst: "192.168.99.11", dport: 80, output: "10.180.0.1:80, 10.180.2.1:80", masq: false },
      { name: "external to external IP hits only local endpoint, unmasqueraded", src: EXT, dst: "192.168.99.11", dport: 80, origin: "external", output: "10.180.0.1:80", masq: false },
      { name: "pod to LB IP hits both endpoints", src: "10.0.0.2", dst: "1.2.3.4", dport: 80, output: "10.180.0.1:80, 10.180.2.1:80", masq: false },
      { name: "external to LB IP hits only local endpoint", src: EXT, dst: "1.2.3.4", dport: 80, origin: "external", output: "10.180.0.1:80", masq: false },
      { name: "pod to NodePort hits both endpoints", src: "10.0.0.2", dst: NODE_IP, dport: 3001, output: "10.180.0.1:80, 10.180.2.1:80", masq: false },
      { name: "external to NodePort hits only local endpoint", src: EXT, dst: NODE_IP, dport: 3001, origin: "external", output: "10.180.0.1:80", masq: false },
      { name: "node to NodePort hits both endpoints, masqueraded", src: NODE_IP, dst: NODE_IP, dport: 3001, origin: "local", output: "10.180.0.1:80, 10.180.2.1:80", masq: true },
    ],
  },
  {
    name: "internalTrafficPolicy Local without local endpoints",
    services: [makeService("ns1", "svc1", (s) => { s.spec.internalTrafficPolicy = "Local"; s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }]; })],
    slices: [makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.2.1"], nodeName: "host2" }], [tcp("p80", 80)])],
    flows: [{ name: "pod to ClusterIP is dropped", src: "10.0.0.2", dst: "172.30.0.41", dport: 80, output: "DROP" }],
  },
  {
    name: "terminating endpoints and session affinity",
    services: [
      makeService("ns1", "term", (s) => { s.spec.clusterIP = "172.30.0.50"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }]; }),
      makeService("ns1", "sticky", (s) => {
        s.spec.clusterIP = "172.30.0.51";
        s.spec.sessionAffinity = "ClientIP";
        s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 300 } };
        s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }];
      }),
    ],
    slices: [
      makeSlice("ns1", "term", 1, [
        { addresses: ["10.180.0.1"], conditions: { ready: false, serving: true, terminating: true } },
        { addresses: ["10.180.0.2"], conditions: { ready: false, serving: false, terminating: true } },
      ], [tcp("p80", 80)]),
      makeSlice("ns1", "sticky", 1, [{ addresses: ["10.180.0.3"] }, { addresses: ["10.180.0.4"] }, { addresses: ["10.180.0.5"] }], [tcp("p80", 80)]),
    ],
    flows: [
      { name: "only serving terminating endpoint is used when none is ready", src: "10.0.0.2", dst: "172.30.0.50", dport: 80, output: "10.180.0.1:80", masq: false },
      { name: "affinity: a new client spreads over all endpoints", src: "10.0.0.2", dst: "172.30.0.51", dport: 80, output: "10.180.0.3:80, 10.180.0.4:80, 10.180.0.5:80", masq: false },
    ],
  },
];

function outputOf(r: TraceResult): string {
  if (r.verdict === "DNAT") return [...r.destinations].sort().join(", ");
  if (r.verdict === "NONE" || r.verdict === "ACCEPT") return "";
  return r.verdict;
}

for (const mode of MODES) {
  describe(`behaviour (${mode.name})`, () => {
    for (const sc of scenarios) {
      test(sc.name, () => {
        const plan = planProxy({ ...testInput(sc.services, sc.slices), nodeIPs: LOCAL });
        for (const f of sc.flows) {
          const r = mode.trace(plan, { src: f.src, dst: f.dst, dport: f.dport, proto: f.proto ?? "tcp", origin: f.origin ?? "pod", localAddresses: LOCAL });
          const want = mode.name === "nftables" && f.nftOutput !== undefined ? f.nftOutput : f.output;
          assert.equal(outputOf(r), want, `${f.name}: verdict ${r.verdict}\n  ${r.rules.join("\n  ")}`);
          if (f.masq !== undefined) assert.equal(r.masquerade, f.masq, `${f.name}: masquerade`);
          if (r.verdict === "DNAT") {
            const total = r.probabilities.reduce((a, b) => a + b, 0);
            assert.ok(Math.abs(total - 1) < 1e-9, `${f.name}: probabilities sum to ${total}`);
            for (const p of r.probabilities) assert.ok(Math.abs(p - 1 / r.destinations.length) < 1e-6, `${f.name}: uniform choice, got ${r.probabilities}`);
          }
        }
      });
    }
  });
}

test("nftables: a full render followed by an update transaction traces like a fresh render", () => {
  const svc = [makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }]; })];
  const before = planProxy(testInput(svc, [makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.0.1"] }, { addresses: ["10.180.0.2"] }], [tcp("p80", 80)])]));
  const after = planProxy(testInput(svc, [makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.0.2"] }, { addresses: ["10.180.0.3"] }], [tcp("p80", 80)])]));
  const u = planNftablesUpdate(before, after);
  const pkt: TracePacket = { src: "10.0.0.2", dst: "172.30.0.41", dport: 80, origin: "pod", localAddresses: LOCAL };
  const stepped = traceNftables([renderNftables(before), u.script], pkt);
  assert.deepEqual(stepped.destinations.sort(), ["10.180.0.2:80", "10.180.0.3:80"]);
  const ipt = planIptablesUpdate(before, after);
  assert.equal(ipt.kind, "partial");
});

test("iptables: the sock-shop chain gives each of four endpoints 1/4", () => {
  const services = [makeService("sock-shop", "front-end", (s) => { s.spec.clusterIP = "10.96.0.20"; s.spec.ports = [{ name: "http", port: 80, protocol: "TCP", targetPort: 8079 }]; })];
  const slices = [makeSlice("sock-shop", "front-end", 1, ["10.244.1.2", "10.244.2.2", "10.244.1.3", "10.244.2.3"].map((ip) => ({ addresses: [ip] })), [tcp("http", 8079)])];
  const plan = planProxy(testInput(services, slices));
  for (const mode of MODES) {
    const r = mode.trace(plan, { src: "10.0.0.9", dst: "10.96.0.20", dport: 80, origin: "pod", localAddresses: LOCAL });
    assert.deepEqual(r.probabilities.map((p) => p.toFixed(6)), ["0.250000", "0.250000", "0.250000", "0.250000"], mode.name);
  }
});
