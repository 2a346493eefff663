// Packet-flow cases ported from kubernetes/kubernetes pkg/proxy/iptables/proxier_test.go
// (the tests that call runPacketFlowTests). The Services and EndpointSlices are built here
// from what each upstream test sets up; the flows (source, destination, expected output and
// masquerade) are upstream's. Each flow is traced through our rendered iptables rules with
// traceIptables, and through the nftables rules with traceNftables.
//
// Upstream's output is the DNAT destinations ("ip:port, ip:port", in endpoint order) or the
// filter verdict ("ACCEPT", "DROP", "REJECT") or "" when no rule applies; masq is whether the
// packet was marked for masquerading. Our tracer walks the kernel's hooks instead, so the
// packet's origin comes from its source the way upstream's test conventions assign them:
// node IPs and 127.0.0.0/8 are the node itself, 10.0.0.0/8 are pods, anything else arrives
// from outside.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { planProxy, type ProxyInput } from "../proxy/plan.js";
import { renderIptables } from "../proxy/iptables/render.js";
import { renderNftables } from "../proxy/nftables/render.js";
import { traceIptables, traceNftables, type TracePacket, type TraceResult } from "./evaluate.js";
import { makeService, makeSlice, testInput, TEST_NODE, TEST_NODE_IPS, UPSTREAM_TEST_RENDER, upstreamTestConfig, iptablesJumpProblems, overallIPTablesInput, nodePortsTestInput, TEST_NODE_IPV6, TEST_NODE_IPV6_ALT } from "../proxy/test-fixtures.js";
import { inCIDR } from "../proxy/ip.js";
import type { Endpoint, EndpointSlice, Service } from "../api/types.js";

const NODE_IP = "192.168.0.2";
const NODE_IP_ALT = "192.168.1.2";
const EXT = "203.0.113.2";
const EXT_BLOCKED = "203.0.113.130";

interface Flow {
  name: string;
  src: string;
  dst: string;
  dport: number;
  proto?: "tcp" | "udp" | "sctp";
  output: string;
  masq?: boolean;
  /** nftables mode's answer where it differs from the iptables one by design (why in a comment). */
  nft?: { output?: string; masq?: boolean };
}

interface Step {
  input: ProxyInput;
  flows: Flow[];
}

interface Case {
  /** The upstream test (and sub-test) the flows come from. */
  name: string;
  steps: Step[];
  /** false: the case depends on iptables-only behaviour; nftables is not traced. */
  nftables?: boolean;
}

// Where kube-proxy's nftables mode differs from its iptables mode (so do our two renderers):
// nftables mode has no localhost NodePorts (its NodePort rule says "ip daddr != 127.0.0.0/8"),
const NFT_NO_LOCALHOST_NODEPORTS = { output: "", masq: false };
// it writes no ACCEPT rule for health check node ports (it blocks nothing else on INPUT),
const NFT_NO_HEALTHCHECK_ACCEPT = { output: "" };
// and its no-endpoint-services check also runs on OUTPUT before DNAT (filter-output, priority
// dstnat-10), where iptables checks KUBE-EXTERNAL-SERVICES only on INPUT and FORWARD.
const NFT_DROPS_LOCAL_WITHOUT_LOCAL_ENDPOINTS = { output: "DROP", masq: false };

const tcp = (name: string, port: number) => ({ name, port, protocol: "TCP" as const });
const f = (name: string, src: string, dst: string, dport: number, output: string, masq = false, extra: Partial<Flow> = {}): Flow => ({ name, src, dst, dport, output, masq, ...extra });

/** Upstream's testNodeIPs: the IPv4 ones (TEST_NODE_IPS) and two IPv6 addresses. */
const LOCAL_IPS = [...TEST_NODE_IPS, TEST_NODE_IPV6, TEST_NODE_IPV6_ALT];

function originOf(src: string): TracePacket["origin"] {
  if (src.startsWith("127.") || src === "::1" || LOCAL_IPS.includes(src)) return "local";
  if (inCIDR("10.0.0.0/8", src) || inCIDR("fd00:10::/64", src)) return "pod";
  return "external";
}

/** Upstream's runPacketFlowTests output: endpoints in order, or the verdict, or "". */
function outputOf(r: TraceResult): string {
  if (r.verdict === "DNAT") return [...r.destinations].sort(compareEndpoints).join(", ");
  if (r.verdict === "NONE") return "";
  return r.verdict;
}

function compareEndpoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Tracer = (input: ProxyInput, p: TracePacket) => TraceResult;
const RESTORE_ORDER = { ...UPSTREAM_TEST_RENDER, order: "restore" as const };
const MODES: { name: "iptables" | "iptables, restore order" | "nftables"; trace: Tracer; restore?: (input: ProxyInput) => string }[] = [
  { name: "iptables", trace: (input, p) => traceIptables(renderIptables(planProxy(input), UPSTREAM_TEST_RENDER), p), restore: (input) => renderIptables(planProxy(input), UPSTREAM_TEST_RENDER) },
  { name: "iptables, restore order", trace: (input, p) => traceIptables(renderIptables(planProxy(input), RESTORE_ORDER), p), restore: (input) => renderIptables(planProxy(input), RESTORE_ORDER) },
  { name: "nftables", trace: (input, p) => traceNftables(renderNftables(planProxy(input)), p) },
];

function runCase(c: Case, mode: (typeof MODES)[number]): void {
  const failures: string[] = [];
  for (const step of c.steps) {
    // Every full restore these cases render is consistent (upstream's checkIPTablesRuleJumps).
    if (mode.restore) failures.push(...iptablesJumpProblems(mode.restore(step.input)));
    for (const fl of step.flows) {
      const pkt: TracePacket = { src: fl.src, dst: fl.dst, dport: fl.dport, proto: fl.proto ?? "tcp", origin: originOf(fl.src), localAddresses: LOCAL_IPS };
      const r = mode.trace(step.input, pkt);
      const wantOutput = mode.name === "nftables" && fl.nft?.output !== undefined ? fl.nft.output : fl.output;
      const wantMasq = mode.name === "nftables" && fl.nft?.masq !== undefined ? fl.nft.masq : fl.masq ?? false;
      const got = outputOf(r);
      if (got !== wantOutput || r.masquerade !== wantMasq) {
        failures.push(`${fl.name} (${pkt.origin} ${fl.src} -> ${fl.dst}:${fl.dport}): want ${JSON.stringify(wantOutput)} masq ${wantMasq}, got ${JSON.stringify(got)} masq ${r.masquerade}\n    ${r.rules.join("\n    ")}`);
      }
    }
  }
  assert.deepEqual(failures, []);
}

// --- inputs -------------------------------------------------------------------------------


function lbService(mutate: (s: Service) => void): Service {
  return makeService("ns1", "svc1", (s) => {
    s.spec.type = "LoadBalancer";
    s.spec.clusterIP = "172.30.0.41";
    s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }];
    mutate(s);
  });
}

/** A one-port ("" name) Service in ns1/svc1 at 172.30.1.1 with the given endpoints. */
function slice1(endpoints: Endpoint[]): EndpointSlice {
  return makeSlice("ns1", "svc1", 1, endpoints, [tcp("", 80)]);
}

const ep = (ip: string, nodeName?: string, conditions?: Endpoint["conditions"]): Endpoint => ({ addresses: [ip], ...(nodeName ? { nodeName } : {}), ...(conditions ? { conditions } : {}) });
const READY = { ready: true, serving: true, terminating: false };
const SERVING_TERMINATING = { ready: false, serving: true, terminating: true };
const TERMINATING = { ready: false, serving: false, terminating: true };

// --- cases --------------------------------------------------------------------------------

const cases: Case[] = [];

cases.push({
  name: "TestTracePacket (on TestOverallIPTablesRules' Services)",
  steps: [{
    input: overallIPTablesInput({ sessionAffinity: true }), // TestTracePacket traces upstream's rendering of these
    flows: [
      f("no match", "10.0.0.2", "10.0.0.3", 80, ""),
      f("single endpoint", "10.0.0.2", "172.30.0.41", 80, "10.180.0.1:80"),
      f("multiple endpoints", "10.0.0.2", "172.30.0.44", 80, "10.180.0.4:80, 10.180.0.5:80"),
      f("LOCAL, KUBE-MARK-MASQ", NODE_IP, "192.168.99.22", 80, "10.180.0.2:80", true, { nft: NFT_DROPS_LOCAL_WITHOUT_LOCAL_ENDPOINTS }),
      f("DROP", EXT, "192.168.99.22", 80, "DROP"),
      f("ACCEPT (NodePortHealthCheck)", NODE_IP, NODE_IP, 30000, "ACCEPT", false, { nft: NFT_NO_HEALTHCHECK_ACCEPT }),
      f("REJECT", "10.0.0.2", "172.30.0.46", 80, "REJECT"),
    ],
  }],
});

{
  const svc = lbService((s) => {
    s.spec.externalIPs = ["192.168.99.11"];
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
  });
  cases.push({
    name: "TestNoEndpointsReject",
    steps: [{
      input: testInput([svc], []),
      flows: [
        f("pod to cluster IP with no endpoints", "10.0.0.2", "172.30.0.41", 80, "REJECT"),
        f("external to external IP with no endpoints", EXT, "192.168.99.11", 80, "REJECT"),
        f("pod to NodePort with no endpoints", "10.0.0.2", NODE_IP, 3001, "REJECT"),
        f("external to NodePort with no endpoints", EXT, NODE_IP, 3001, "REJECT"),
        f("pod to LoadBalancer IP with no endpoints", "10.0.0.2", "1.2.3.4", 80, "REJECT"),
        f("external to LoadBalancer IP with no endpoints", EXT, "1.2.3.4", 80, "REJECT"),
      ],
    }],
  });
}

{
  const services = [
    makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [tcp("http", 80)]; }),
    makeService("ns2", "svc2", (s) => {
      s.spec.clusterIP = "172.30.0.42";
      s.spec.ports = [
        tcp("http", 80),
        { ...tcp("https", 443), targetPort: 8443 },
        { name: "dns-udp", port: 53, protocol: "UDP" },
        { ...tcp("dns-tcp", 53), targetPort: 5353 },
        { name: "dns-sctp", port: 53, protocol: "SCTP" },
      ];
    }),
  ];
  const slices = [
    makeSlice("ns1", "svc1", 1, [ep("10.180.0.1", TEST_NODE)], [tcp("http", 80)]),
    makeSlice("ns2", "svc2", 1, [ep("10.180.0.1", TEST_NODE), ep("10.180.2.1", "node2")], [
      tcp("http", 80), tcp("https", 8443), { name: "dns-udp", port: 53, protocol: "UDP" }, tcp("dns-tcp", 5353), { name: "dns-sctp", port: 53, protocol: "SCTP" },
    ]),
  ];
  // nftables mode rejects every other port of a ClusterIP (upstream's nftables
  // "no endpoint services" / cluster-ips set), where iptables mode lets it pass.
  const nftReject = { nft: { output: "REJECT" } };
  cases.push({
    name: "TestClusterIPGeneral",
    steps: [{
      input: testInput(services, slices),
      flows: [
        f("simple clusterIP", "10.180.0.2", "172.30.0.41", 80, "10.180.0.1:80"),
        f("hairpin to cluster IP", "10.180.0.1", "172.30.0.41", 80, "10.180.0.1:80", true),
        f("clusterIP with multiple endpoints", "10.180.0.2", "172.30.0.42", 80, "10.180.0.1:80, 10.180.2.1:80"),
        f("clusterIP with TargetPort", "10.180.0.2", "172.30.0.42", 443, "10.180.0.1:8443, 10.180.2.1:8443"),
        f("clusterIP with TCP, UDP, and SCTP on same port (TCP)", "10.180.0.2", "172.30.0.42", 53, "10.180.0.1:5353, 10.180.2.1:5353", false, { proto: "tcp" }),
        f("clusterIP with TCP, UDP, and SCTP on same port (UDP)", "10.180.0.2", "172.30.0.42", 53, "10.180.0.1:53, 10.180.2.1:53", false, { proto: "udp" }),
        f("clusterIP with TCP, UDP, and SCTP on same port (SCTP)", "10.180.0.2", "172.30.0.42", 53, "10.180.0.1:53, 10.180.2.1:53", false, { proto: "sctp" }),
        f("TCP-only port does not match UDP traffic", "10.180.0.2", "172.30.0.42", 80, "", false, { proto: "udp", ...nftReject }),
        f("svc1 does not accept svc2's ports", "10.180.0.2", "172.30.0.41", 443, "", false, nftReject),
      ],
    }],
  });
}

{
  const svc = lbService((s) => {
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }, { ip: "5.6.7.8" }] } };
    s.spec.loadBalancerSourceRanges = ["192.168.0.0/24", " 203.0.113.0/25"];
  });
  const out = "10.180.0.1:80";
  cases.push({
    name: "TestLoadBalancer",
    steps: [{
      input: testInput([svc], [makeSlice("ns1", "svc1", 1, [ep("10.180.0.1")], [tcp("p80", 80)])]),
      flows: [
        f("pod to cluster IP", "10.0.0.2", "172.30.0.41", 80, out, false),
        f("external to nodePort", EXT, NODE_IP, 3001, out, true),
        f("nodePort bypasses LoadBalancerSourceRanges", EXT_BLOCKED, NODE_IP, 3001, out, true),
        f("accepted external to LB1", EXT, "1.2.3.4", 80, out, true),
        f("accepted external to LB2", EXT, "5.6.7.8", 80, out, true),
        f("blocked external to LB1", EXT_BLOCKED, "1.2.3.4", 80, "DROP"),
        f("blocked external to LB2", EXT_BLOCKED, "5.6.7.8", 80, "DROP"),
        f("pod to LB1 (blocked by LoadBalancerSourceRanges)", "10.0.0.2", "1.2.3.4", 80, "DROP"),
        f("pod to LB2 (blocked by LoadBalancerSourceRanges)", "10.0.0.2", "5.6.7.8", 80, "DROP"),
        f("node to LB1 (allowed by LoadBalancerSourceRanges)", NODE_IP, "1.2.3.4", 80, out, true),
        f("node to LB2 (allowed by LoadBalancerSourceRanges)", NODE_IP, "5.6.7.8", 80, out, true),
        f("same node to LB1, SNATted to LB1 (implicitly allowed)", "1.2.3.4", "1.2.3.4", 80, out, true),
        f("same node to LB2, SNATted to LB2 (implicitly allowed)", "5.6.7.8", "5.6.7.8", 80, out, true),
      ],
    }],
  });
}

// TestNodePorts: the IPv4 rows (the planner and tracers here are IPv4-only, see the report).
for (const tc of [
  { name: "ipv4, localhost-nodeports enabled", localhostNodePorts: true, nodePortAddresses: [] as string[], allowAltNodeIP: true },
  { name: "ipv4, localhost-nodeports disabled", localhostNodePorts: false, nodePortAddresses: [], allowAltNodeIP: true },
  { name: "ipv4, localhost-nodeports disabled, localhost in nodeport-addresses", localhostNodePorts: false, nodePortAddresses: ["192.168.0.0/24", "127.0.0.1/32"], allowAltNodeIP: false },
  { name: "ipv4, localhost-nodeports enabled, multiple nodeport-addresses", localhostNodePorts: false, nodePortAddresses: ["192.168.0.0/24", "192.168.1.0/24", "2001:db8::/64"], allowAltNodeIP: true },
]) {
  const out = "10.180.0.1:80, 10.180.2.1:80";
  cases.push({
    name: `TestNodePorts: ${tc.name}`,
    steps: [{
      input: nodePortsTestInput("IPv4", tc),
      flows: [
        f("pod to cluster IP", "10.0.0.2", "172.30.0.41", 80, out, false),
        f("external to nodePort", EXT, NODE_IP, 3001, out, true),
        f("node to nodePort", NODE_IP, NODE_IP, 3001, out, true),
        tc.localhostNodePorts
          ? f("localhost to nodePort gets masqueraded", "127.0.0.1", "127.0.0.1", 3001, out, true, { nft: NFT_NO_LOCALHOST_NODEPORTS })
          : f("localhost to nodePort is ignored", "127.0.0.1", "127.0.0.1", 3001, ""),
        tc.allowAltNodeIP
          ? f("external to nodePort on secondary IP", EXT, NODE_IP_ALT, 3001, out, true)
          : f("secondary nodeIP ignores NodePorts", EXT, NODE_IP_ALT, 3001, ""),
      ],
    }],
  });
}

// TestNodePorts: the IPv6 rows (an IPv6 plan; localhost NodePorts never apply to IPv6).
for (const tc of [
  { name: "ipv6, localhost-nodeports enabled", localhostNodePorts: true, nodePortAddresses: [] as string[], allowAltNodeIP: true },
  { name: "ipv6, localhost-nodeports disabled", localhostNodePorts: false, nodePortAddresses: [], allowAltNodeIP: true },
  { name: "ipv6, localhost-nodeports disabled, multiple nodeport-addresses", localhostNodePorts: false, nodePortAddresses: ["192.168.0.0/24", "192.168.1.0/24", "2001:db8::/64"], allowAltNodeIP: false },
]) {
  const out = "[fd00:10:180::1]:80, [fd00:10:180::2:1]:80";
  const ext6 = "2600:5200::1";
  cases.push({
    name: `TestNodePorts: ${tc.name}`,
    steps: [{
      input: nodePortsTestInput("IPv6", tc),
      flows: [
        f("pod to cluster IP", "fd00:10::2", "fd00:172:30::41", 80, out, false),
        f("external to nodePort", ext6, TEST_NODE_IPV6, 3001, out, true),
        f("node to nodePort", TEST_NODE_IPV6, TEST_NODE_IPV6, 3001, out, true),
        f("localhost to nodePort is ignored", "::1", "::1", 3001, ""),
        tc.allowAltNodeIP
          ? f("external to nodePort on secondary IP", ext6, TEST_NODE_IPV6_ALT, 3001, out, true)
          : f("secondary nodeIP ignores NodePorts", ext6, TEST_NODE_IPV6_ALT, 3001, ""),
      ],
    }],
  });
}

{
  const config = upstreamTestConfig();
  config.nodePortAddresses = ["127.0.0.0/8"];
  const svc = makeService("ns1", "svc1", (s) => {
    s.spec.type = "LoadBalancer";
    s.spec.clusterIP = "172.30.0.42";
    s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }];
    s.spec.healthCheckNodePort = 30000;
    s.spec.externalTrafficPolicy = "Local";
  });
  cases.push({
    name: "TestHealthCheckNodePort",
    steps: [
      { input: testInput([svc], [], config), flows: [f("firewall accepts HealthCheckNodePort", "1.2.3.4", NODE_IP, 30000, "ACCEPT", false, { nft: NFT_NO_HEALTHCHECK_ACCEPT })] },
      { input: testInput([], [], config), flows: [f("HealthCheckNodePort no longer has any rule", "1.2.3.4", NODE_IP, 30000, "")] },
    ],
  });
}

{
  const svc = lbService((s) => {
    s.spec.externalTrafficPolicy = "Local";
    s.spec.externalIPs = ["192.168.99.11"];
    s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001, targetPort: 80 }];
    s.spec.healthCheckNodePort = 30000;
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
  });
  const slice = makeSlice("ns1", "svc1", 1, [ep("10.180.0.1"), ep("10.180.2.1", TEST_NODE)], [tcp("p80", 80)]);
  const both = "10.180.0.1:80, 10.180.2.1:80";
  const local = "10.180.2.1:80";
  cases.push({
    name: "TestExternalTrafficPolicyLocal",
    steps: [{
      input: testInput([svc], [slice]),
      flows: [
        f("pod to cluster IP hits both endpoints, unmasqueraded", "10.0.0.2", "172.30.0.41", 80, both),
        f("pod to external IP hits both endpoints, unmasqueraded", "10.0.0.2", "192.168.99.11", 80, both),
        f("external to external IP hits only local endpoint, unmasqueraded", EXT, "192.168.99.11", 80, local),
        f("pod to LB IP hits only both endpoints, unmasqueraded", "10.0.0.2", "1.2.3.4", 80, both),
        f("external to LB IP hits only local endpoint, unmasqueraded", EXT, "1.2.3.4", 80, local),
        f("pod to NodePort hits both endpoints, unmasqueraded", "10.0.0.2", NODE_IP, 3001, both),
        f("external to NodePort hits only local endpoint, unmasqueraded", EXT, NODE_IP, 3001, local),
      ],
    }],
  });
}

{
  const svc = lbService((s) => {
    s.spec.externalTrafficPolicy = "Cluster";
    s.spec.externalIPs = ["192.168.99.11"];
    s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001, targetPort: 80 }];
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
  });
  const slice = makeSlice("ns1", "svc1", 1, [ep("10.180.0.1"), ep("10.180.2.1", TEST_NODE)], [tcp("p80", 80)]);
  const both = "10.180.0.1:80, 10.180.2.1:80";
  cases.push({
    name: "TestExternalTrafficPolicyCluster",
    steps: [{
      input: testInput([svc], [slice]),
      flows: [
        f("pod to cluster IP hits both endpoints, unmasqueraded", "10.0.0.2", "172.30.0.41", 80, both, false),
        f("pod to external IP hits both endpoints, masqueraded", "10.0.0.2", "192.168.99.11", 80, both, true),
        f("external to external IP hits both endpoints, masqueraded", EXT, "192.168.99.11", 80, both, true),
        f("pod to LB IP hits both endpoints, masqueraded", "10.0.0.2", "1.2.3.4", 80, both, true),
        f("external to LB IP hits both endpoints, masqueraded", EXT, "1.2.3.4", 80, both, true),
        f("pod to NodePort hits both endpoints, masqueraded", "10.0.0.2", NODE_IP, 3001, both, true),
        f("external to NodePort hits both endpoints, masqueraded", EXT, NODE_IP, 3001, both, true),
      ],
    }],
  });
}

// TestInternalTrafficPolicy: each case, then the same Service with its EndpointSlice deleted.
for (const tc of [
  { name: "internalTrafficPolicy is cluster", itp: "Cluster" as const, eps: [["10.0.1.1", TEST_NODE], ["10.0.1.2", "node1"], ["10.0.1.3", "node2"]], flow: f("pod to ClusterIP hits all endpoints", "10.0.0.2", "172.30.1.1", 80, "10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80") },
  { name: "internalTrafficPolicy is local and there is one local endpoint", itp: "Local" as const, eps: [["10.0.1.1", TEST_NODE], ["10.0.1.2", "node1"], ["10.0.1.3", "node2"]], flow: f("pod to ClusterIP hits only local endpoint", "10.0.0.2", "172.30.1.1", 80, "10.0.1.1:80") },
  { name: "internalTrafficPolicy is local and there are multiple local endpoints", itp: "Local" as const, eps: [["10.0.1.1", TEST_NODE], ["10.0.1.2", TEST_NODE], ["10.0.1.3", "node2"]], flow: f("pod to ClusterIP hits all local endpoints", "10.0.0.2", "172.30.1.1", 80, "10.0.1.1:80, 10.0.1.2:80") },
  { name: "internalTrafficPolicy is local and there are no local endpoints", itp: "Local" as const, eps: [["10.0.1.1", "node0"], ["10.0.1.2", "node1"], ["10.0.1.3", "node2"]], flow: f("no endpoints", "10.0.0.2", "172.30.1.1", 80, "DROP") },
]) {
  const svc = makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.1.1"; s.spec.selector = { foo: "bar" }; s.spec.ports = [tcp("", 80)]; s.spec.internalTrafficPolicy = tc.itp; });
  const slice = slice1(tc.eps.map(([ip, node]) => ep(ip, node, { ready: true })));
  cases.push({
    name: `TestInternalTrafficPolicy: ${tc.name}`,
    steps: [
      { input: testInput([svc], [slice]), flows: [tc.flow] },
      { input: testInput([svc], []), flows: [f("endpoints deleted", "10.0.0.2", "172.30.1.1", 80, "REJECT")] },
    ],
  });
}

function terminatingService(etp: "Local" | "Cluster"): Service {
  return makeService("ns1", "svc1", (s) => {
    s.spec.clusterIP = "172.30.1.1";
    s.spec.type = "LoadBalancer";
    s.spec.externalTrafficPolicy = etp;
    s.spec.ports = [{ ...tcp("", 80), targetPort: 80 }];
    s.spec.healthCheckNodePort = 30000;
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
  });
}

const afterDelete = [
  f("pod to clusterIP after endpoints deleted", "10.0.0.2", "172.30.1.1", 80, "REJECT"),
  f("external to LB after endpoints deleted", EXT, "1.2.3.4", 80, "REJECT"),
];

for (const tc of [
  {
    name: "ready endpoints exist",
    eps: [ep("10.0.1.1", TEST_NODE, READY), ep("10.0.1.2", TEST_NODE, READY), ep("10.0.1.3", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.4", TEST_NODE, TERMINATING), ep("10.0.1.5", "node-1", READY)],
    flows: [f("pod to clusterIP", "10.0.0.2", "172.30.1.1", 80, "10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80"), f("external to LB", EXT, "1.2.3.4", 80, "10.0.1.1:80, 10.0.1.2:80")],
  },
  {
    name: "only terminating endpoints exist",
    eps: [ep("10.0.1.2", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.3", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.4", TEST_NODE, TERMINATING), ep("10.0.1.5", "node-1", READY)],
    flows: [f("pod to clusterIP", "10.0.0.2", "172.30.1.1", 80, "10.0.1.5:80"), f("external to LB", EXT, "1.2.3.4", 80, "10.0.1.2:80, 10.0.1.3:80")],
  },
  {
    name: "terminating endpoints on remote node",
    eps: [ep("10.0.1.5", "node-1", SERVING_TERMINATING)],
    flows: [f("pod to clusterIP", "10.0.0.2", "172.30.1.1", 80, "10.0.1.5:80"), f("external to LB, no locally-usable endpoints", EXT, "1.2.3.4", 80, "DROP")],
  },
  {
    name: "no usable endpoints on any node",
    eps: [ep("10.0.1.5", TEST_NODE, TERMINATING), ep("10.0.1.5", "node-1", TERMINATING)],
    flows: [f("pod to clusterIP, no usable endpoints", "10.0.0.2", "172.30.1.1", 80, "REJECT"), f("external to LB, no usable endpoints", EXT, "1.2.3.4", 80, "REJECT")],
  },
]) {
  const svc = terminatingService("Local");
  cases.push({
    name: `TestTerminatingEndpointsTrafficPolicyLocal: ${tc.name}`,
    steps: [{ input: testInput([svc], [slice1(tc.eps)]), flows: tc.flows }, { input: testInput([svc], []), flows: afterDelete }],
  });
}

for (const tc of [
  {
    name: "ready endpoints exist",
    eps: [ep("10.0.1.1", TEST_NODE, READY), ep("10.0.1.2", TEST_NODE, READY), ep("10.0.1.3", "another-node", SERVING_TERMINATING), ep("10.0.1.4", "another-node", TERMINATING), ep("10.0.1.5", "another-node", READY)],
    flows: [f("pod to clusterIP", "10.0.0.2", "172.30.1.1", 80, "10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80"), f("external to LB", EXT, "1.2.3.4", 80, "10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80", true)],
  },
  {
    name: "only terminating endpoints exist",
    eps: [ep("10.0.1.2", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.3", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.4", "another-node", TERMINATING), ep("10.0.1.5", "another-node", SERVING_TERMINATING)],
    flows: [f("pod to clusterIP", "10.0.0.2", "172.30.1.1", 80, "10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80"), f("external to LB", EXT, "1.2.3.4", 80, "10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80", true)],
  },
  {
    name: "terminating endpoints on remote node",
    eps: [ep("10.0.1.5", "node-1", SERVING_TERMINATING)],
    flows: [f("pod to clusterIP", "10.0.0.2", "172.30.1.1", 80, "10.0.1.5:80"), f("external to LB", EXT, "1.2.3.4", 80, "10.0.1.5:80", true)],
  },
  {
    name: "no usable endpoints on any node",
    eps: [ep("10.0.1.5", TEST_NODE, TERMINATING), ep("10.0.1.5", "node-1", TERMINATING)],
    flows: [f("pod to clusterIP", "10.0.0.2", "172.30.1.1", 80, "REJECT"), f("external to LB", EXT, "1.2.3.4", 80, "REJECT")],
  },
]) {
  const svc = terminatingService("Cluster");
  cases.push({
    name: `TestTerminatingEndpointsTrafficPolicyCluster: ${tc.name}`,
    steps: [{ input: testInput([svc], [slice1(tc.eps)]), flows: tc.flows }, { input: testInput([svc], []), flows: afterDelete }],
  });
}

{
  const services = [
    lbService((s) => { s.spec.healthCheckNodePort = 30001; s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } }; }),
    makeService("ns2", "svc2", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.clusterIP = "172.30.0.42";
      s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3002 }];
      s.spec.healthCheckNodePort = 30002;
      s.spec.externalTrafficPolicy = "Local";
      s.status = { loadBalancer: { ingress: [{ ip: "5.6.7.8" }] } };
    }),
    makeService("ns3", "svc3", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.clusterIP = "172.30.0.43";
      s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3003 }];
      s.spec.healthCheckNodePort = 30003;
      s.spec.internalTrafficPolicy = "Local";
      s.status = { loadBalancer: { ingress: [{ ip: "9.10.11.12" }] } };
    }),
  ];
  const slices = [1, 2, 3].map((n) => makeSlice(`ns${n}`, `svc${n}`, 1, [ep(`10.180.0.${n}`, TEST_NODE), ep(`10.180.1.${n}`, "remote")], [tcp("p80", 80)]));
  const all1 = "10.180.0.1:80, 10.180.1.1:80";
  const all2 = "10.180.0.2:80, 10.180.1.2:80";
  const all3 = "10.180.0.3:80, 10.180.1.3:80";
  const base: Flow[] = [
    f("pod to ClusterIP", "10.0.0.2", "172.30.0.41", 80, all1, false),
    f("pod to NodePort", "10.0.0.2", NODE_IP, 3001, all1, true),
    f("pod to LB", "10.0.0.2", "1.2.3.4", 80, all1, true),
    f("node to ClusterIP", NODE_IP, "172.30.0.41", 80, all1, true),
    f("node to NodePort", NODE_IP, NODE_IP, 3001, all1, true),
    f("localhost to NodePort", "127.0.0.1", "127.0.0.1", 3001, all1, true, { nft: NFT_NO_LOCALHOST_NODEPORTS }),
    f("node to LB", NODE_IP, "1.2.3.4", 80, all1, true),
    f("external to ClusterIP", EXT, "172.30.0.41", 80, all1, true),
    f("external to NodePort", EXT, NODE_IP, 3001, all1, true),
    f("external to LB", EXT, "1.2.3.4", 80, all1, true),
    f("pod to ClusterIP with eTP:Local", "10.0.0.2", "172.30.0.42", 80, all2, false),
    f("pod to NodePort with eTP:Local", "10.0.0.2", NODE_IP, 3002, all2, false),
    f("pod to LB with eTP:Local", "10.0.0.2", "5.6.7.8", 80, all2, false),
    f("node to ClusterIP with eTP:Local", NODE_IP, "172.30.0.42", 80, all2, true),
    f("node to NodePort with eTP:Local", NODE_IP, NODE_IP, 3001, all1, true),
    f("localhost to NodePort with eTP:Local", "127.0.0.1", "127.0.0.1", 3002, all2, true, { nft: NFT_NO_LOCALHOST_NODEPORTS }),
    f("node to LB with eTP:Local", NODE_IP, "5.6.7.8", 80, all2, true),
    f("external to ClusterIP with eTP:Local", EXT, "172.30.0.42", 80, all2, true),
    f("external to NodePort with eTP:Local", EXT, NODE_IP, 3002, "10.180.0.2:80", false),
    f("external to LB with eTP:Local", EXT, "5.6.7.8", 80, "10.180.0.2:80", false),
    f("pod to ClusterIP with iTP:Local", "10.0.0.2", "172.30.0.43", 80, "10.180.0.3:80", false),
    f("pod to NodePort with iTP:Local", "10.0.0.2", NODE_IP, 3003, all3, true),
    f("pod to LB with iTP:Local", "10.0.0.2", "9.10.11.12", 80, all3, true),
    f("node to ClusterIP with iTP:Local", NODE_IP, "172.30.0.43", 80, "10.180.0.3:80", true),
    f("node to NodePort with iTP:Local", NODE_IP, NODE_IP, 3003, all3, true),
    f("localhost to NodePort with iTP:Local", "127.0.0.1", "127.0.0.1", 3003, all3, true, { nft: NFT_NO_LOCALHOST_NODEPORTS }),
    f("node to LB with iTP:Local", NODE_IP, "9.10.11.12", 80, all3, true),
    f("external to ClusterIP with iTP:Local", EXT, "172.30.0.43", 80, "10.180.0.3:80", true),
    f("external to NodePort with iTP:Local", EXT, NODE_IP, 3003, all3, true),
    f("external to LB with iTP:Local", EXT, "9.10.11.12", 80, all3, true),
  ];
  type Override = { output?: string; masq?: boolean };
  const noDetector: Record<string, Override> = {
    "node to ClusterIP": { masq: false },
    "node to ClusterIP with eTP:Local": { masq: false },
    "node to ClusterIP with iTP:Local": { masq: false },
    "external to ClusterIP": { masq: false },
    "external to ClusterIP with eTP:Local": { masq: false },
    "external to ClusterIP with iTP:Local": { masq: false },
    "pod to NodePort with eTP:Local": { output: "10.180.0.2:80" },
    "pod to LB with eTP:Local": { output: "10.180.0.2:80" },
  };
  const masqAll: Record<string, Override> = {
    "pod to ClusterIP": { masq: true },
    "pod to ClusterIP with eTP:Local": { masq: true },
    "pod to ClusterIP with iTP:Local": { masq: true },
  };
  for (const tc of [
    { name: "base", masqueradeAll: false, localDetector: true, overrides: {} as Record<string, Override> },
    { name: "no LocalTrafficDetector", masqueradeAll: false, localDetector: false, overrides: noDetector },
    { name: "masqueradeAll", masqueradeAll: true, localDetector: true, overrides: masqAll },
    {
      name: "masqueradeAll, no LocalTrafficDetector",
      masqueradeAll: true,
      localDetector: false,
      overrides: { ...masqAll, "pod to NodePort with eTP:Local": noDetector["pod to NodePort with eTP:Local"], "pod to LB with eTP:Local": noDetector["pod to LB with eTP:Local"] },
    },
  ]) {
    const config = upstreamTestConfig();
    config.iptables.masqueradeAll = tc.masqueradeAll;
    // No LocalTrafficDetector = no cluster CIDR to tell pod traffic by.
    if (!tc.localDetector) config.clusterCIDR = "";
    const flows = base.map((fl) => {
      const o = tc.overrides[fl.name];
      return o ? { ...fl, output: o.output ?? fl.output, masq: o.masq ?? fl.masq } : fl;
    });
    assert.equal(Object.keys(tc.overrides).filter((k) => !base.some((fl) => fl.name === k)).length, 0, "every override names a flow");
    cases.push({ name: `TestInternalExternalMasquerade: ${tc.name}`, steps: [{ input: testInput(services, slices, config), flows }] });
  }
}

// Flows from the kube-proxy 1.28 cycle's copies of these tests (their rules are in
// src/proxy/iptables/upstream-full-rules.test.ts).
{
  const svc = makeService("ns1", "svc1", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }]; });
  const out = "10.180.0.1:80";
  cases.push({
    name: "TestNodePort",
    steps: [{
      input: testInput([svc], [makeSlice("ns1", "svc1", 1, [ep("10.180.0.1")], [tcp("p80", 80)])]),
      flows: [
        f("pod to cluster IP", "10.0.0.2", "172.30.0.41", 80, out, false),
        f("external to nodePort", EXT, NODE_IP, 3001, out, true),
        f("node to nodePort", NODE_IP, NODE_IP, 3001, out, true),
        f("localhost to nodePort gets masqueraded", "127.0.0.1", "127.0.0.1", 3001, out, true, { nft: NFT_NO_LOCALHOST_NODEPORTS }),
      ],
    }],
  });
}

{
  const svc = makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.0.41"; s.spec.externalIPs = ["192.168.99.11"]; s.spec.ports = [{ ...tcp("p80", 80), targetPort: 80 }]; });
  const both = "10.180.0.1:80, 10.180.2.1:80";
  cases.push({
    name: "TestNonLocalExternalIPs",
    steps: [{
      input: testInput([svc], [makeSlice("ns1", "svc1", 1, [ep("10.180.0.1"), ep("10.180.2.1", TEST_NODE)], [tcp("p80", 80)])]),
      flows: [f("pod to cluster IP", "10.0.0.2", "172.30.0.41", 80, both, false), f("external to external IP", EXT, "192.168.99.11", 80, both, true)],
    }],
  });
}

for (const tc of [{ name: "TestOnlyLocalNodePorts", clusterCIDR: "10.0.0.0/8" }, { name: "TestOnlyLocalNodePortsNoClusterCIDR", clusterCIDR: "" }]) {
  const config = upstreamTestConfig();
  config.clusterCIDR = tc.clusterCIDR;
  config.iptables.localhostNodePorts = false;
  config.nodePortAddresses = ["192.168.0.0/24", "2001:db8::/64"];
  const svc = makeService("ns1", "svc1", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }]; s.spec.externalTrafficPolicy = "Local"; });
  const both = "10.180.0.1:80, 10.180.2.1:80";
  cases.push({
    name: tc.name,
    steps: [{
      input: testInput([svc], [makeSlice("ns1", "svc1", 1, [ep("10.180.0.1"), ep("10.180.2.1", TEST_NODE)], [tcp("p80", 80)])], config),
      flows: [
        f("pod to cluster IP hit both endpoints", "10.0.0.2", "172.30.0.41", 80, both, false),
        f("external to NodePort hits only local endpoint", EXT, NODE_IP, 3001, "10.180.2.1:80", false),
        f("pod to localhost doesn't work because localhost is not in nodePortAddresses", "10.0.0.2", "127.0.0.1", 3001, ""),
        tc.clusterCIDR
          ? f("pod to NodePort hits both endpoints", "10.0.0.2", NODE_IP, 3001, both, false)
          : f("pod to NodePort hits only local endpoint", "10.0.0.2", NODE_IP, 3001, "10.180.2.1:80", false),
      ],
    }],
  });
}

for (const mode of MODES) {
  describe(`upstream packet flows (${mode.name})`, () => {
    for (const c of cases) {
      if (mode.name === "nftables" && c.nftables === false) continue;
      test(c.name, () => runCase(c, mode));
    }
  });
}
