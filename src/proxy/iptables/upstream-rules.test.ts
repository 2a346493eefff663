// Rule-text cases ported from kubernetes/kubernetes pkg/proxy/iptables/proxier_test.go that
// TestOverallIPTablesRules and TestSyncProxyRulesRepeated (render.test.ts, partial.test.ts) do
// not cover: whole restore inputs (assertIPTablesRulesEqual) and single chains
// (assertIPTablesChainEqual). Inputs are written here from each upstream test; the expected
// text is upstream's.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "../plan.js";
import { renderIptables } from "./render.js";
import { probability } from "../probability.js";
import { makeService, makeSlice, testInput, dedent, upstreamTestConfig, UPSTREAM_TEST_HOST, UPSTREAM_TEST_RENDER, iptablesJumpProblems, nodePortsTestInput, restoreOrderProblems } from "../test-fixtures.js";
import type { Endpoint, LoadBalancerIngress } from "../../api/types.js";

const tcp = (name: string, port: number) => ({ name, port, protocol: "TCP" as const });

/** The rules of one chain of one table, each "-A ..." line followed by a newline (upstream's assertIPTablesChainEqual). */
function chainRules(restore: string, table: string, chain: string): string {
  let current = "";
  let out = "";
  for (const line of restore.split("\n")) {
    if (line.startsWith("*")) current = line.slice(1);
    else if (current === table && line.startsWith(`-A ${chain} `)) out += line + "\n";
  }
  return out;
}

describe("TestDropInvalidRule", () => {
  const forwardRules = dedent(`
    -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
    -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  `);
  for (const tc of [
    { nfacct: false, tcpLiberal: false, dropRule: "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n" },
    { nfacct: true, tcpLiberal: false, dropRule: "-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP\n" },
    { nfacct: false, tcpLiberal: true, dropRule: "" },
  ]) {
    test(`tcpLiberal is ${tc.tcpLiberal} and nfacctEnsured is ${tc.nfacct}`, () => {
      const out = renderIptables(planProxy(testInput([], [])), { ...UPSTREAM_TEST_RENDER, host: { ...UPSTREAM_TEST_HOST, nfacct: tc.nfacct, conntrackTCPLiberal: tc.tcpLiberal } });
      assert.equal(chainRules(out, "filter", "KUBE-FORWARD"), tc.dropRule + forwardRules);
    });
  }
});

describe("TestMasqueradeRule", () => {
  for (const randomFully of [false, true]) {
    test(`randomFully ${randomFully}`, () => {
      const out = renderIptables(planProxy(testInput([], [])), { ...UPSTREAM_TEST_RENDER, host: { ...UPSTREAM_TEST_HOST, randomFully } });
      assert.equal(
        chainRules(out, "nat", "KUBE-POSTROUTING"),
        dedent(`
          -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
          -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
          -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${randomFully ? " --random-fully" : ""}
        `),
      );
    });
  }
});

// TestNodePorts' KUBE-FIREWALL check (its packet flows are in src/trace/upstream-flows.test.ts).
describe("TestNodePorts: KUBE-FIREWALL", () => {
  const firewall = `-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP\n`;
  for (const tc of [
    { name: "ipv4, localhost-nodeports enabled", localhostNodePorts: true, nodePortAddresses: [] as string[], expectFirewall: true },
    { name: "ipv4, localhost-nodeports disabled", localhostNodePorts: false, nodePortAddresses: [], expectFirewall: false },
    { name: "ipv4, localhost-nodeports disabled, localhost in nodeport-addresses", localhostNodePorts: false, nodePortAddresses: ["192.168.0.0/24", "127.0.0.1/32"], expectFirewall: false },
    { name: "ipv4, localhost-nodeports enabled, multiple nodeport-addresses", localhostNodePorts: false, nodePortAddresses: ["192.168.0.0/24", "192.168.1.0/24", "2001:db8::/64"], expectFirewall: false },
    { name: "ipv6, localhost-nodeports enabled", v6: true, localhostNodePorts: true, nodePortAddresses: [], expectFirewall: false },
    { name: "ipv6, localhost-nodeports disabled", v6: true, localhostNodePorts: false, nodePortAddresses: [], expectFirewall: false },
    { name: "ipv6, localhost-nodeports disabled, multiple nodeport-addresses", v6: true, localhostNodePorts: false, nodePortAddresses: ["192.168.0.0/24", "192.168.1.0/24", "2001:db8::/64"], expectFirewall: false },
  ]) {
    test(tc.name, () => {
      const out = renderIptables(planProxy(nodePortsTestInput("v6" in tc && tc.v6 ? "IPv6" : "IPv4", tc)), UPSTREAM_TEST_RENDER);
      assert.equal(chainRules(out, "filter", "KUBE-FIREWALL"), tc.expectFirewall ? firewall : "");
    });
  }
});

test("TestBadIPs: zero-padded addresses and CIDRs are written in canonical form", () => {
  const svc = makeService("ns1", "svc1", (s) => {
    s.spec.type = "LoadBalancer";
    s.spec.clusterIP = "172.30.0.041";
    s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }];
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.004" }] } };
    s.spec.externalIPs = ["192.168.099.022"];
    s.spec.loadBalancerSourceRanges = ["203.0.113.000/025"];
  });
  const slice = makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.00.001"] }], [tcp("p80", 80)]);
  const got = renderIptables(planProxy(testInput([svc], [slice])), UPSTREAM_TEST_RENDER);
  assert.deepEqual(iptablesJumpProblems(got), []);
  assert.equal(got, dedent(`
    *filter
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXTERNAL-SERVICES - [0:0]
    :KUBE-FIREWALL - [0:0]
    :KUBE-FORWARD - [0:0]
    :KUBE-PROXY-FIREWALL - [0:0]
    -A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
    -A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
    -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
    -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    -A KUBE-PROXY-FIREWALL -m comment --comment "ns1/svc1:p80 traffic not accepted by KUBE-FW-XPGD46QRK7WJZT7O" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-FW-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
    :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
    -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-FW-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
    -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "other traffic to ns1/svc1:p80 will be dropped by KUBE-PROXY-FIREWALL"
    -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
    -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
    -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
    -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
    COMMIT
  `));
});

// The rows with the LoadBalancerIPMode gate enabled: the gate is GA (locked on) in the
// kube-proxy we reproduce, so ipMode is always honoured here.
describe("TestLoadBalancerIngressRouteTypeProxy (LoadBalancerIPMode enabled)", () => {
  for (const tc of [
    { name: "ipMode Proxy", svcIP: "10.20.30.41", lbIP: "1.2.3.4", ipMode: "Proxy" as const, expectedRule: false },
    { name: "ipMode VIP", svcIP: "10.20.30.42", lbIP: "1.2.3.5", ipMode: "VIP" as const, expectedRule: true },
    { name: "ipMode nil", svcIP: "10.20.30.43", lbIP: "1.2.3.6", ipMode: undefined, expectedRule: true },
  ]) {
    test(tc.name, () => {
      const ingress: LoadBalancerIngress = { ip: tc.lbIP, ...(tc.ipMode ? { ipMode: tc.ipMode } : {}) };
      const svc = makeService("ns1", "svc1", (s) => {
        s.spec.type = "LoadBalancer";
        s.spec.clusterIP = tc.svcIP;
        s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }];
        s.status = { loadBalancer: { ingress: [ingress] } };
      });
      const slice = makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.0.1"] }], [tcp("p80", 80)]);
      const out = renderIptables(planProxy(testInput([svc], [slice])), UPSTREAM_TEST_RENDER);
      const ruleExists = chainRules(out, "nat", "KUBE-SERVICES").split("\n").some((l) => / -d (\S+) /.exec(l)?.[1] === tc.lbIP);
      assert.equal(ruleExists, tc.expectedRule);
    });
  }
});

/** Upstream's countEndpointsAndComments: the DNAT rule of matchEndpoint, the number of DNAT rules, and how many have comments. */
function countEndpointsAndComments(restore: string, matchEndpoint: string): [string, number, number] {
  let matched = "";
  let endpoints = 0;
  let comments = 0;
  for (const line of restore.split("\n")) {
    if (line.startsWith("-A KUBE-SEP-") && line.includes("-j DNAT")) {
      endpoints++;
      if (line.includes("--comment")) comments++;
      if (line.includes(matchEndpoint)) matched = line;
    }
  }
  return [matched, endpoints, comments];
}

test("TestSyncProxyRulesLargeClusterMode: per-endpoint comments go above 1000 endpoints", () => {
  const config = upstreamTestConfig();
  config.iptables.masqueradeAll = true;
  const svc = (n: number, port: number) => makeService(`ns${n}`, `svc${n}`, (s) => { s.spec.clusterIP = `172.30.0.4${n}`; s.spec.ports = [tcp(`p${port}`, port)]; });
  const many = (prefix: string, count: number): Endpoint[] => Array.from({ length: count }, (_, i) => ({ addresses: [`${prefix}.${i % 256}.${Math.floor(i / 256)}`] }));
  const services = [svc(1, 80), svc(2, 8080), svc(3, 8081)];
  const slices = [makeSlice("ns1", "svc1", 1, many("10.0", 499), [tcp("p80", 80)]), makeSlice("ns2", "svc2", 1, many("10.1", 499), [tcp("p8080", 8080)])];
  const opts = UPSTREAM_TEST_RENDER;

  let out = renderIptables(planProxy(testInput(services, slices, config)), opts);
  let [first, n, comments] = countEndpointsAndComments(out, "10.0.0.0");
  assert.equal(first, "-A KUBE-SEP-DKGQUZGBKLTPAR56 -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80");
  assert.equal(n, 998);
  assert.equal(comments, n);

  // svc3's endpoints take the total over the threshold; upstream's partial sync writes only
  // svc3's chains, already without comments.
  slices.push(makeSlice("ns3", "svc3", 1, ["203.0.113.4", "203.0.113.8", "203.0.113.12"].map((ip) => ({ addresses: [ip] })), [tcp("p8081", 8081)]));
  const plan = planProxy(testInput(services, slices, config));
  out = renderIptables(plan, { ...opts, onlyServices: new Set(["ns3/svc3"]) });
  assert.deepEqual(restoreOrderProblems(plan, { ...opts, onlyServices: new Set(["ns3/svc3"]) }), []);
  [first, n, comments] = countEndpointsAndComments(out, "203.0.113.4");
  assert.equal(first, "-A KUBE-SEP-RUVVH7YV3PHQBDOS -m tcp -p tcp -j DNAT --to-destination 203.0.113.4:8081");
  assert.equal(n, 3);
  assert.equal(comments, 0);

  // A full sync rewrites the older services without comments as well.
  out = renderIptables(plan, opts);
  assert.deepEqual(restoreOrderProblems(plan, opts), []);
  [first, n, comments] = countEndpointsAndComments(out, "10.0.0.0");
  assert.equal(first, "-A KUBE-SEP-DKGQUZGBKLTPAR56 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80");
  assert.equal(n, 1001);
  assert.equal(comments, 0);

  // A new service: a partial sync writes its one endpoint.
  services.push(makeService("ns4", "svc4", (s) => { s.spec.clusterIP = "172.30.0.44"; s.spec.ports = [tcp("p8082", 8082)]; }));
  slices.push(makeSlice("ns4", "svc4", 1, [{ addresses: ["10.4.0.1"] }], [tcp("p8082", 8082)]));
  out = renderIptables(planProxy(testInput(services, slices, config)), { ...opts, onlyServices: new Set(["ns4/svc4"]) });
  [first, n] = countEndpointsAndComments(out, "10.4.0.1");
  assert.equal(first, "-A KUBE-SEP-SU5STNODRYEWJAUF -m tcp -p tcp -j DNAT --to-destination 10.4.0.1:8082");
  assert.equal(n, 1);
});

describe("TestCheckIPTablesRuleJumps (the consistency check the whole-input tests apply)", () => {
  const nat = (body: string) => `*filter\nCOMMIT\n*nat\n${body}COMMIT\n`;
  for (const tc of [
    {
      name: "valid",
      input: nat(`:KUBE-MARK-MASQ - [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 10.20.30.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O\n-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 10.20.30.41 --dport 80 ! -s 10.0.0.0/24 -j KUBE-MARK-MASQ\n`),
      error: "",
    },
    {
      name: "can't jump to chain that wasn't created",
      input: nat(`:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O\n`),
      error: "some chains in nat are used but were not created: [KUBE-SVC-XPGD46QRK7WJZT7O]",
    },
    {
      name: "can't jump to chain that has no rules",
      input: nat(`:KUBE-SERVICES - [0:0]\n:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]\n-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O\n`),
      error: "some chains in nat are jumped to but have no rules: [KUBE-SVC-XPGD46QRK7WJZT7O]",
    },
    {
      name: "can't add rules to a chain that wasn't created",
      input: nat(`:KUBE-MARK-MASQ - [0:0]\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" ...\n-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\n`),
      error: "some chains in nat are used but were not created: [KUBE-SVC-XPGD46QRK7WJZT7O]",
    },
    {
      name: "can't create chain and then not use it",
      input: nat(`:KUBE-MARK-MASQ - [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]\n-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" ...\n`),
      error: "some chains in nat are created but not used: [KUBE-SVC-XPGD46QRK7WJZT7O]",
    },
  ]) {
    test(tc.name, () => assert.deepEqual(iptablesJumpProblems(tc.input), tc.error ? [tc.error] : []));
  }
});

test("TestComputeProbability", () => {
  const expected: [number, string][] = [
    [1, "1.0000000000"],
    [2, "0.5000000000"],
    [10, "0.1000000000"],
    [100, "0.0100000000"],
    [1000, "0.0010000000"],
    [10000, "0.0001000000"],
    [100000, "0.0000100000"],
    [100001, "0.0000099999"],
  ];
  for (const [n, want] of expected) assert.equal(probability(n), want, `1/${n}`);
  // Strictly increasing as n falls: no two endpoint counts up to 100,000 print alike.
  let prev = 0;
  for (let i = 100000; i > 1; i--) {
    const cur = Number(probability(i));
    assert.ok(cur > prev, `probability(${i}) = ${cur} <= ${prev}`);
    prev = cur;
  }
});
