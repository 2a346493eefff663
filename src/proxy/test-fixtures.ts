// Builders for Services and EndpointSlices in tests, shaped like upstream's makeTestService /
// makeTestEndpointSlice helpers (so ported cases read the same).
import type { EndpointSlice, Service, Endpoint, EndpointPort, ServicePort } from "../api/types.js";
import { defaultKubeProxyConfiguration, type KubeProxyConfiguration } from "./config.js";
import type { ProxyInput, ProxyPlan } from "./plan.js";
import { parseRestore } from "./iptables/chain-edits.js";
import { renderIptables, type IptablesRenderOptions } from "./iptables/render.js";

export function makeService(namespace: string, name: string, mutate: (s: Service) => void): Service {
  const s: Service = { apiVersion: "v1", kind: "Service", metadata: { namespace, name }, spec: { type: "ClusterIP", sessionAffinity: "None" }, status: {} };
  mutate(s);
  return s;
}

export function makeSlice(namespace: string, service: string, n: number, endpoints: Endpoint[], ports: EndpointPort[]): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace, name: `${service}-${n}`, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints,
    ports,
  };
}

/** Upstream's test conventions: pods 10.0.0.0/8, node test-node at 192.168.0.2. */
export const TEST_NODE = "test-node";
export const TEST_NODE_IPS = ["192.168.0.2", "192.168.1.2", "192.168.99.11"];
/** Upstream's testNodeIPv6 and testNodeIPv6Alt (its testNodeIPs hold both families). */
export const TEST_NODE_IPV6 = "2001:db8::1";
export const TEST_NODE_IPV6_ALT = "2001:db8:1::2";

export function upstreamTestConfig(): KubeProxyConfiguration {
  return defaultKubeProxyConfiguration("10.0.0.0/8");
}

export function testInput(services: Service[], endpointSlices: EndpointSlice[], config = upstreamTestConfig()): ProxyInput {
  return { services, endpointSlices, nodeName: TEST_NODE, nodeIPs: TEST_NODE_IPS, config };
}

/** Upstream's fake proxier: no --random-fully, nfacct counters present. */
export const UPSTREAM_TEST_HOST = { randomFully: false, nfacct: true, conntrackTCPLiberal: false };
/** Render options reproducing upstream's NewFakeProxier (its masqueradeMark is the literal "0x4000"). */
export const UPSTREAM_TEST_RENDER = { host: UPSTREAM_TEST_HOST, masqueradeMark: "0x4000" };

export function dedent(s: string): string {
  const lines = s.replace(/^\n/, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join("\n").replace(/[ \t]+$/, "");
}

const TARGETS = new Set(["ACCEPT", "REJECT", "DROP", "MARK", "RETURN", "DNAT", "SNAT", "MASQUERADE"]);
const TOP_CHAINS = new Set(["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-FORWARD", "KUBE-MARK-MASQ", "KUBE-PROXY-FIREWALL", "KUBE-FIREWALL"]);

/**
 * Upstream's checkIPTablesRuleJumps for a full restore input: every jump goes to a chain the
 * input creates and fills, every filled chain is created, and every created chain (except
 * the top-level ones) is jumped to. Returns the problems (one per table), [] when consistent.
 */
export function iptablesJumpProblems(restore: string): string[] {
  const problems: string[] = [];
  for (const block of restore.split("COMMIT\n").filter((b) => b.trim())) {
    const lines = block.split("\n");
    const table = lines[0].replace(/^\*/, "");
    const created = new Set<string>();
    const filled = new Set<string>();
    const jumped = new Set<string>();
    const deleted = new Set<string>();
    for (const l of lines) {
      let m: RegExpExecArray | null;
      if ((m = /^:(\S+)/.exec(l))) created.add(m[1]);
      if ((m = /^-X (\S+)/.exec(l))) deleted.add(m[1]);
      if ((m = /^-A (\S+)/.exec(l))) filled.add(m[1]);
      if ((m = / -j (\S+)/.exec(l)) && !TARGETS.has(m[1])) jumped.add(m[1]);
    }
    for (const c of deleted) created.delete(c);
    const sorted = (s: Iterable<string>) => [...s].sort().join(" ");
    const missing = new Set([...jumped, ...filled].filter((c) => !created.has(c)));
    // Like upstream, a table reports its first kind of problem only.
    const empty = [...jumped].filter((c) => !filled.has(c) && c !== "KUBE-NODEPORTS");
    const extra = [...created].filter((c) => !jumped.has(c) && !TOP_CHAINS.has(c));
    if (missing.size) problems.push(`some chains in ${table} are used but were not created: [${sorted(missing)}]`);
    else if (empty.length) problems.push(`some chains in ${table} are jumped to but have no rules: [${sorted(empty)}]`);
    else if (extra.length) problems.push(`some chains in ${table} are created but not used: [${sorted(extra)}]`);
  }
  return problems;
}

/**
 * How the render for applying (order: "restore") differs from the sorted render of the same
 * plan: each table must declare the same chains and give each chain the same rules in the
 * same order, with every chain line before the first rule and the chain lines in descending
 * name order. [] when they agree.
 */
export function restoreOrderProblems(plan: ProxyPlan, opts: IptablesRenderOptions = {}): string[] {
  return restoreTextProblems(renderIptables(plan, { ...opts, order: "sorted" }), renderIptables(plan, { ...opts, order: "restore" }));
}

/** restoreOrderProblems for two restore inputs already rendered. */
export function restoreTextProblems(sortedText: string, restore: string): string[] {
  const sorted = parseRestore(sortedText);
  const problems: string[] = [];
  const got = parseRestore(restore);
  if ([...got.keys()].join() !== [...sorted.keys()].join()) problems.push(`tables: ${[...got.keys()]} (sorted: ${[...sorted.keys()]})`);
  for (const [name, want] of sorted) {
    const t = got.get(name);
    if (!t) continue;
    const chains = (c: string[]) => [...c].sort().join(" ");
    if (chains(t.chains) !== chains(want.chains)) problems.push(`${name}: chains ${chains(t.chains)} (sorted: ${chains(want.chains)})`);
    for (let i = 1; i < t.chains.length; i++) {
      if (t.chains[i - 1] < t.chains[i]) problems.push(`${name}: chain ${t.chains[i - 1]} before ${t.chains[i]}`);
    }
    for (const c of new Set([...t.rules.keys(), ...want.rules.keys()])) {
      const a = (t.rules.get(c) ?? []).join("\n");
      const b = (want.rules.get(c) ?? []).join("\n");
      if (a !== b) problems.push(`${name} ${c}: rules\n${a}\n(sorted:\n${b})`);
    }
    if (t.other.join() !== want.other.join()) problems.push(`${name}: ${t.other} (sorted: ${want.other})`);
  }
  for (const block of restore.split("COMMIT\n").filter((b) => b)) {
    const lines = block.split("\n");
    const firstRule = lines.findIndex((l) => l.startsWith("-"));
    const lastChain = lines.findLastIndex((l) => l.startsWith(":"));
    if (firstRule >= 0 && lastChain > firstRule) problems.push(`${lines[0]}: chain line ${lines[lastChain]} after rule ${lines[firstRule]}`);
  }
  return problems;
}

/**
 * The Services and EndpointSlices of upstream's TestOverallIPTablesRules (every rule family:
 * ClusterIP, LoadBalancer with Local policy, NodePort, externalIPs, source ranges, no endpoints).
 * sessionAffinity: svc5 with ClientIP affinity, as the current test has it (the 1.28-cycle
 * TestOverallIPTablesRulesWithMultipleServices has none).
 */
export function overallIPTablesInput(opts: { sessionAffinity?: boolean } = {}): ProxyInput {
  const p80 = (extra: Partial<ServicePort> = {}): ServicePort[] => [{ name: "p80", port: 80, protocol: "TCP", ...extra }];
  const services = [
    makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.0.41"; s.spec.ports = p80(); }),
    makeService("ns2", "svc2", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.externalTrafficPolicy = "Local";
      s.spec.clusterIP = "172.30.0.42";
      s.spec.ports = p80({ nodePort: 3001 });
      s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
      s.spec.externalIPs = ["192.168.99.22"];
      s.spec.healthCheckNodePort = 30000;
    }),
    makeService("ns3", "svc3", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = "172.30.0.43"; s.spec.ports = p80({ nodePort: 3003 }); }),
    makeService("ns4", "svc4", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = "172.30.0.44"; s.spec.externalIPs = ["192.168.99.33"]; s.spec.ports = p80({ targetPort: 80 }); }),
    makeService("ns5", "svc5", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.externalTrafficPolicy = "Cluster";
      s.spec.clusterIP = "172.30.0.45";
      s.spec.ports = p80({ nodePort: 3002 });
      s.status = { loadBalancer: { ingress: [{ ip: "5.6.7.8" }] } };
      s.spec.healthCheckNodePort = 30000;
      s.spec.loadBalancerSourceRanges = [" 203.0.113.0/25"];
      if (opts.sessionAffinity) {
        s.spec.sessionAffinity = "ClientIP";
        s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
      }
    }),
    makeService("ns6", "svc6", (s) => { s.spec.clusterIP = "172.30.0.46"; s.spec.ports = p80({ targetPort: 80 }); }),
  ];
  const ports: EndpointPort[] = [{ name: "p80", port: 80, protocol: "TCP" }];
  const slices = [
    makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.0.1"] }], ports),
    makeSlice("ns2", "svc2", 1, [{ addresses: ["10.180.0.2"] }], ports),
    makeSlice("ns3", "svc3", 1, [{ addresses: ["10.180.0.3"] }], ports),
    makeSlice("ns4", "svc4", 1, [{ addresses: ["10.180.0.4"] }, { addresses: ["10.180.0.5"], nodeName: TEST_NODE }], ports),
    makeSlice("ns5", "svc5", 1, [{ addresses: ["10.180.0.3"] }], ports),
  ];
  return testInput(services, slices);
}

/**
 * TestNodePorts' input, one per family as upstream builds it: NodePort svc1 (80, nodePort 3001)
 * with a remote endpoint and one on this node. An IPv6 plan has the pods in fd00:10::/64 and
 * the node's IPv6 addresses among its own.
 */
export function nodePortsTestInput(family: "IPv4" | "IPv6", o: { localhostNodePorts: boolean; nodePortAddresses: string[] }): ProxyInput {
  const v6 = family === "IPv6";
  const config = upstreamTestConfig();
  if (v6) config.clusterCIDR = "fd00:10::/64";
  config.iptables.localhostNodePorts = o.localhostNodePorts;
  config.nodePortAddresses = o.nodePortAddresses;
  const [svcIP, remoteIP, localIP] = v6 ? ["fd00:172:30::41", "fd00:10:180::1", "fd00:10:180::2:1"] : ["172.30.0.41", "10.180.0.1", "10.180.2.1"];
  const svc = makeService("ns1", "svc1", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = svcIP; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3001 }]; });
  const slice = { ...makeSlice("ns1", "svc1", 1, [{ addresses: [remoteIP] }, { addresses: [localIP], nodeName: TEST_NODE }], [{ name: "p80", port: 80, protocol: "TCP" }]), addressType: family };
  const input = testInput([svc], [slice], config);
  return v6 ? { ...input, ipFamily: "IPv6", nodeIPs: [...TEST_NODE_IPS, TEST_NODE_IPV6, TEST_NODE_IPV6_ALT] } : input;
}
