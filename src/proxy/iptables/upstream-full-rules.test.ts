// Whole restore inputs from the kube-proxy 1.28 cycle of kubernetes/kubernetes
// pkg/proxy/iptables/proxier_test.go (the tests that assert every rule with
// assertIPTablesRulesEqual; their packet flows are in src/trace/upstream-flows.test.ts).
// Inputs are written here from each upstream test; the expected text is upstream's. That
// fake proxier had no nfacct counters, so these render without them (the rules are
// otherwise the same as today's, see TestOverallIPTablesRules in render.test.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { planProxy, type ProxyInput } from "../plan.js";
import { renderIptables } from "./render.js";
import { makeService, makeSlice, testInput, dedent, upstreamTestConfig, TEST_NODE, iptablesJumpProblems, overallIPTablesInput, restoreOrderProblems } from "../test-fixtures.js";
import type { Endpoint, Service } from "../../api/types.js";

/** NewFakeProxier of that cycle: no --random-fully, no nfacct counters, mark "0x4000". */
const RENDER_1_28 = { host: { randomFully: false, nfacct: false, conntrackTCPLiberal: false }, masqueradeMark: "0x4000" };

const tcp = (name: string, port: number) => ({ name, port, protocol: "TCP" as const });
const ep = (ip: string, nodeName?: string, conditions?: Endpoint["conditions"]): Endpoint => ({ addresses: [ip], ...(nodeName ? { nodeName } : {}), ...(conditions ? { conditions } : {}) });

/**
 * The restore input, checked for consistency as upstream's assertIPTablesRulesEqual does, and
 * against the render in kube-proxy's own order (the expected text is in the order upstream's
 * tests sort to).
 */
function render(input: ProxyInput): string {
  const plan = planProxy(input);
  const out = renderIptables(plan, RENDER_1_28);
  assert.deepEqual(iptablesJumpProblems(out), []);
  assert.deepEqual(restoreOrderProblems(plan, RENDER_1_28), []);
  return out;
}

// Blocks every expected text shares (written in the canonical order upstream's tests sort to).
const FILTER_CHAINS = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
`;
const FILTER_CHAINS_NO_FIREWALL = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
`;
const FIREWALL = `-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
`;
const FORWARD = `-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
`;
const MASQ = `-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
`;
const NODEPORTS_LAST = `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
`;

test("TestOverallIPTablesRulesWithMultipleServices (no nfacct, no session affinity)", () => {
  assert.equal(render(overallIPTablesInput()), FILTER_CHAINS + dedent(`
    -A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
    -A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
    -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
    -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
    -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
  `) + FIREWALL + FORWARD + dedent(`
    -A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
    :KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
    :KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
    :KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
    :KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
    :KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
    :KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
    :KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
    :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
    :KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
    :KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
    :KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
    :KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
    :KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
    :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
    -A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
    -A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
    -A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
    -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
    -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
    -A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
    -A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
    -A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
    -A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
    -A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
  `) + NODEPORTS_LAST + dedent(`
    -A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
    -A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
    -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
    -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
    -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
    -A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
    -A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
    -A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
    -A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
    -A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
    -A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
  `) + MASQ + dedent(`
    -A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
    -A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
    -A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
    -A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
    -A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
    -A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
    -A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
    -A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
    -A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
    -A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
    -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
    -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
    -A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
    -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
    -A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
    COMMIT
  `));
});

test("TestLoadBalancer: two LB IPs, source ranges that include the node", () => {
  const svc = makeService("ns1", "svc1", (s) => {
    s.spec.type = "LoadBalancer";
    s.spec.clusterIP = "172.30.0.41";
    s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }];
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }, { ip: "5.6.7.8" }] } };
    s.spec.loadBalancerSourceRanges = ["192.168.0.0/24", " 203.0.113.0/25"];
  });
  const slice = makeSlice("ns1", "svc1", 1, [ep("10.180.0.1")], [tcp("p80", 80)]);
  assert.equal(render(testInput([svc], [slice])), FILTER_CHAINS + FIREWALL + FORWARD + dedent(`
    -A KUBE-PROXY-FIREWALL -m comment --comment "ns1/svc1:p80 traffic not accepted by KUBE-FW-XPGD46QRK7WJZT7O" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
    -A KUBE-PROXY-FIREWALL -m comment --comment "ns1/svc1:p80 traffic not accepted by KUBE-FW-XPGD46QRK7WJZT7O" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
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
    -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-FW-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-XPGD46QRK7WJZT7O
  `) + NODEPORTS_LAST + dedent(`
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
    -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 192.168.0.0/24 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 1.2.3.4 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 5.6.7.8 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "other traffic to ns1/svc1:p80 will be dropped by KUBE-PROXY-FIREWALL"
  `) + MASQ + dedent(`
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
    COMMIT
  `));
});

test("TestNodePort", () => {
  const svc = makeService("ns1", "svc1", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }]; });
  const slice = makeSlice("ns1", "svc1", 1, [ep("10.180.0.1")], [tcp("p80", 80)]);
  assert.equal(render(testInput([svc], [slice])), FILTER_CHAINS + FIREWALL + FORWARD + dedent(`
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
    :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
    -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
  `) + NODEPORTS_LAST + dedent(`
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
    -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O
  `) + MASQ + dedent(`
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
    COMMIT
  `));
});

test("TestHealthCheckNodePort: nodePortAddresses 127.0.0.0/8, no endpoints", () => {
  const config = upstreamTestConfig();
  config.nodePortAddresses = ["127.0.0.0/8"];
  const svc = makeService("ns1", "svc1", (s) => {
    s.spec.type = "LoadBalancer";
    s.spec.clusterIP = "172.30.0.42";
    s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }];
    s.spec.healthCheckNodePort = 30000;
    s.spec.externalTrafficPolicy = "Local";
  });
  assert.equal(render(testInput([svc], [], config)), FILTER_CHAINS + dedent(`
    -A KUBE-NODEPORTS -m comment --comment "ns1/svc1:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j REJECT
    -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j REJECT
  `) + FIREWALL + FORWARD + dedent(`
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 127.0.0.1 -j KUBE-NODEPORTS
  `) + MASQ + "COMMIT\n");
});

test("TestMasqueradeRule (whole restore input)", () => {
  for (const randomFully of [false, true]) {
    const out = renderIptables(planProxy(testInput([], [])), { ...RENDER_1_28, host: { ...RENDER_1_28.host, randomFully } });
    assert.equal(out, FILTER_CHAINS + FIREWALL + FORWARD + dedent(`
      COMMIT
      *nat
      :KUBE-NODEPORTS - [0:0]
      :KUBE-SERVICES - [0:0]
      :KUBE-MARK-MASQ - [0:0]
      :KUBE-POSTROUTING - [0:0]
    `) + NODEPORTS_LAST + MASQ.replace("-j MASQUERADE", `-j MASQUERADE${randomFully ? " --random-fully" : ""}`) + "COMMIT\n");
  }
});

test("TestExternalTrafficPolicyLocal", () => {
  const svc = makeService("ns1", "svc1", (s) => {
    s.spec.type = "LoadBalancer";
    s.spec.clusterIP = "172.30.0.41";
    s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }];
    s.spec.healthCheckNodePort = 30000;
    s.spec.externalIPs = ["192.168.99.11"];
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
    s.spec.externalTrafficPolicy = "Local";
  });
  const slice = makeSlice("ns1", "svc1", 1, [ep("10.180.0.1"), ep("10.180.2.1", TEST_NODE)], [tcp("p80", 80)]);
  assert.equal(render(testInput([svc], [slice])), FILTER_CHAINS + dedent(`
    -A KUBE-NODEPORTS -m comment --comment "ns1/svc1:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
  `) + FIREWALL + FORWARD + dedent(`
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
    :KUBE-SEP-ZX7GRIZKSNUQ3LAJ - [0:0]
    :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-SVL-XPGD46QRK7WJZT7O - [0:0]
    -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-XPGD46QRK7WJZT7O
  `) + NODEPORTS_LAST + dedent(`
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "pod traffic for ns1/svc1:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "route LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVL-XPGD46QRK7WJZT7O
  `) + MASQ + dedent(`
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
    -A KUBE-SEP-ZX7GRIZKSNUQ3LAJ -m comment --comment ns1/svc1:p80 -s 10.180.2.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-ZX7GRIZKSNUQ3LAJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.2.1:80
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-SXIVWICOYRO3J4NJ
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.2.1:80" -j KUBE-SEP-ZX7GRIZKSNUQ3LAJ
    -A KUBE-SVL-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.2.1:80" -j KUBE-SEP-ZX7GRIZKSNUQ3LAJ
    COMMIT
  `));
});

test("TestNonLocalExternalIPs", () => {
  const svc = makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.0.41"; s.spec.externalIPs = ["192.168.99.11"]; s.spec.ports = [{ ...tcp("p80", 80), targetPort: 80 }]; });
  const slice = makeSlice("ns1", "svc1", 1, [ep("10.180.0.1"), ep("10.180.2.1", TEST_NODE)], [tcp("p80", 80)]);
  assert.equal(render(testInput([svc], [slice])), FILTER_CHAINS + FIREWALL + FORWARD + dedent(`
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
    :KUBE-SEP-ZX7GRIZKSNUQ3LAJ - [0:0]
    :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j KUBE-EXT-XPGD46QRK7WJZT7O
  `) + NODEPORTS_LAST + dedent(`
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
    -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O
  `) + MASQ + dedent(`
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
    -A KUBE-SEP-ZX7GRIZKSNUQ3LAJ -m comment --comment ns1/svc1:p80 -s 10.180.2.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-ZX7GRIZKSNUQ3LAJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.2.1:80
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-SXIVWICOYRO3J4NJ
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.2.1:80" -j KUBE-SEP-ZX7GRIZKSNUQ3LAJ
    COMMIT
  `));
});

// TestEnable/DisableLocalhostNodePortsIPv4(WithNodeAddress): a NodePort Service with
// externalTrafficPolicy Local and no LocalTrafficDetector (no cluster CIDR).
describe("TestEnable/DisableLocalhostNodePorts (IPv4)", () => {
  const input = (localhostNodePorts: boolean, nodePortAddresses: string[]): ProxyInput => {
    const config = upstreamTestConfig();
    config.clusterCIDR = "";
    config.iptables.localhostNodePorts = localhostNodePorts;
    config.nodePortAddresses = nodePortAddresses;
    const svc = makeService("ns1", "svc1", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = "10.69.0.10"; s.spec.ports = [{ ...tcp("p80", 80), nodePort: 30001 }]; s.spec.externalTrafficPolicy = "Local"; });
    const slice = makeSlice("ns1", "svc1", 1, [ep("10.244.0.1"), ep("10.244.2.1", TEST_NODE)], [tcp("p80", 80)]);
    return testInput([svc], [slice], config);
  };
  const nat = (nodeportsJump: string) => dedent(`
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-6KG6DFHVBKBK53RU - [0:0]
    :KUBE-SEP-KDGX2M2ONE25PSWH - [0:0]
    :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-SVL-XPGD46QRK7WJZT7O - [0:0]
    -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 30001 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 10.69.0.10 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
  `) + nodeportsJump + dedent(`
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "route LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVL-XPGD46QRK7WJZT7O
  `) + MASQ + dedent(`
    -A KUBE-SEP-6KG6DFHVBKBK53RU -m comment --comment ns1/svc1:p80 -s 10.244.0.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-6KG6DFHVBKBK53RU -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.244.0.1:80
    -A KUBE-SEP-KDGX2M2ONE25PSWH -m comment --comment ns1/svc1:p80 -s 10.244.2.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-KDGX2M2ONE25PSWH -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.244.2.1:80
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.244.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-6KG6DFHVBKBK53RU
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.244.2.1:80" -j KUBE-SEP-KDGX2M2ONE25PSWH
    -A KUBE-SVL-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.244.2.1:80" -j KUBE-SEP-KDGX2M2ONE25PSWH
    COMMIT
  `);
  test("TestEnableLocalhostNodePortsIPv4", () => {
    assert.equal(render(input(true, [])), FILTER_CHAINS + FIREWALL + FORWARD + nat(NODEPORTS_LAST));
  });
  test("TestDisableLocalhostNodePortsIPv4", () => {
    assert.equal(
      render(input(false, [])),
      FILTER_CHAINS_NO_FIREWALL + FORWARD + nat(`-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS\n`),
    );
  });
  test("TestDisableLocalhostNodePortsIPv4WithNodeAddress", () => {
    assert.equal(render(input(false, ["127.0.0.0/8"])), FILTER_CHAINS_NO_FIREWALL + FORWARD + nat(""));
  });
});

// TestOnlyLocalNodePorts(NoClusterCIDR): nodePortAddresses 192.168.0.0/24 and an IPv6 CIDR,
// localhost NodePorts off, externalTrafficPolicy Local.
describe("TestOnlyLocalNodePorts", () => {
  const input = (clusterCIDR: string): ProxyInput => {
    const config = upstreamTestConfig();
    config.clusterCIDR = clusterCIDR;
    config.iptables.localhostNodePorts = false;
    config.nodePortAddresses = ["192.168.0.0/24", "2001:db8::/64"];
    const svc = makeService("ns1", "svc1", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [{ ...tcp("p80", 80), nodePort: 3001 }]; s.spec.externalTrafficPolicy = "Local"; });
    const slice = makeSlice("ns1", "svc1", 1, [ep("10.180.0.1"), ep("10.180.2.1", TEST_NODE)], [tcp("p80", 80)]);
    return testInput([svc], [slice], config);
  };
  const expected = (podRule: string, svcMasq: string) => FILTER_CHAINS_NO_FIREWALL + FORWARD + dedent(`
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
    :KUBE-SEP-ZX7GRIZKSNUQ3LAJ - [0:0]
    :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-SVL-XPGD46QRK7WJZT7O - [0:0]
    -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.0.2 -j KUBE-NODEPORTS
  `) + podRule + dedent(`
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "route LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVL-XPGD46QRK7WJZT7O
  `) + MASQ + dedent(`
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
    -A KUBE-SEP-ZX7GRIZKSNUQ3LAJ -m comment --comment ns1/svc1:p80 -s 10.180.2.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-ZX7GRIZKSNUQ3LAJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.2.1:80
  `) + svcMasq + dedent(`
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-SXIVWICOYRO3J4NJ
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.2.1:80" -j KUBE-SEP-ZX7GRIZKSNUQ3LAJ
    -A KUBE-SVL-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.2.1:80" -j KUBE-SEP-ZX7GRIZKSNUQ3LAJ
    COMMIT
  `);
  test("TestOnlyLocalNodePortsNoClusterCIDR", () => {
    assert.equal(render(input("")), expected("", ""));
  });
  test("TestOnlyLocalNodePorts", () => {
    assert.equal(
      render(input("10.0.0.0/8")),
      expected(
        `-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "pod traffic for ns1/svc1:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-XPGD46QRK7WJZT7O\n`,
        `-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\n`,
      ),
    );
  });
});

describe("TestInternalTrafficPolicyE2E", () => {
  const input = (itp: "Cluster" | "Local", eps: [string, string][], withSlice = true): ProxyInput => {
    const svc = makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.1.1"; s.spec.selector = { foo: "bar" }; s.spec.ports = [tcp("", 80)]; s.spec.internalTrafficPolicy = itp; });
    const slice = makeSlice("ns1", "svc1", 1, eps.map(([ip, node]) => ep(ip, node, { ready: true })), [tcp("", 80)]);
    return testInput([svc], withSlice ? [slice] : []);
  };
  const natHead = `COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
`;
  const cluster = FILTER_CHAINS + FIREWALL + FORWARD + dedent(`
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-3JOIVZTXZZRGORX4 - [0:0]
    :KUBE-SEP-IO5XOSKPAXIFQXAJ - [0:0]
    :KUBE-SEP-XGJFVO3L2O5SRFNT - [0:0]
    :KUBE-SVC-AQI2S6QIMU7PVVRP - [0:0]
    -A KUBE-SERVICES -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 -j KUBE-SVC-AQI2S6QIMU7PVVRP
  `) + NODEPORTS_LAST + MASQ + dedent(`
    -A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -s 10.0.1.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -m tcp -p tcp -j DNAT --to-destination 10.0.1.1:80
    -A KUBE-SEP-IO5XOSKPAXIFQXAJ -m comment --comment ns1/svc1 -s 10.0.1.2 -j KUBE-MARK-MASQ
    -A KUBE-SEP-IO5XOSKPAXIFQXAJ -m comment --comment ns1/svc1 -m tcp -p tcp -j DNAT --to-destination 10.0.1.2:80
    -A KUBE-SEP-XGJFVO3L2O5SRFNT -m comment --comment ns1/svc1 -s 10.0.1.3 -j KUBE-MARK-MASQ
    -A KUBE-SEP-XGJFVO3L2O5SRFNT -m comment --comment ns1/svc1 -m tcp -p tcp -j DNAT --to-destination 10.0.1.3:80
    -A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-3JOIVZTXZZRGORX4
    -A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-IO5XOSKPAXIFQXAJ
    -A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.3:80" -j KUBE-SEP-XGJFVO3L2O5SRFNT
    COMMIT
  `);
  const local = FILTER_CHAINS + FIREWALL + FORWARD + dedent(`
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-3JOIVZTXZZRGORX4 - [0:0]
    :KUBE-SVL-AQI2S6QIMU7PVVRP - [0:0]
    -A KUBE-SERVICES -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 -j KUBE-SVL-AQI2S6QIMU7PVVRP
  `) + NODEPORTS_LAST + MASQ + dedent(`
    -A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -s 10.0.1.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -m tcp -p tcp -j DNAT --to-destination 10.0.1.1:80
    -A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -j KUBE-SEP-3JOIVZTXZZRGORX4
    COMMIT
  `);
  const noLocal = FILTER_CHAINS + dedent(`
    -A KUBE-SERVICES -m comment --comment "ns1/svc1 has no local endpoints" -m tcp -p tcp -d 172.30.1.1 --dport 80 -j DROP
  `) + FIREWALL + FORWARD + natHead + NODEPORTS_LAST + MASQ + "COMMIT\n";
  const withLocal: [string, string][] = [["10.0.1.1", TEST_NODE], ["10.0.1.2", "host1"], ["10.0.1.3", "host2"]];
  for (const tc of [
    { name: "internalTrafficPolicy is cluster", itp: "Cluster" as const, eps: withLocal, want: cluster },
    { name: "internalTrafficPolicy is local and there are local endpoints", itp: "Local" as const, eps: withLocal, want: local },
    { name: "internalTrafficPolicy is local and there are no local endpoints", itp: "Local" as const, eps: [["10.0.1.1", "host0"], ["10.0.1.2", "host1"], ["10.0.1.3", "host2"]] as [string, string][], want: noLocal },
  ]) {
    test(tc.name, () => {
      assert.equal(render(input(tc.itp, tc.eps)), tc.want);
      // With the EndpointSlice deleted the rules change (to a REJECT).
      assert.notEqual(render(input(tc.itp, tc.eps, false)), tc.want);
    });
  }
});

function terminatingService(etp: "Local" | "Cluster"): Service {
  return makeService("ns1", "svc1", (s) => {
    s.spec.clusterIP = "172.30.1.1";
    s.spec.type = "LoadBalancer";
    s.spec.externalTrafficPolicy = etp;
    s.spec.selector = { foo: "bar" };
    s.spec.ports = [{ ...tcp("", 80), targetPort: 80 }];
    s.spec.healthCheckNodePort = 30000;
    s.spec.sessionAffinity = "ClientIP";
    s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
  });
}

const READY = { ready: true, serving: true, terminating: false };
const SERVING_TERMINATING = { ready: false, serving: true, terminating: true };
const TERMINATING = { ready: false, serving: false, terminating: true };

// The KUBE-SEP chains of 10.0.1.1/.2/.3/.5 (session affinity on), by address.
const SEP: Record<string, string> = { "10.0.1.1": "3JOIVZTXZZRGORX4", "10.0.1.2": "IO5XOSKPAXIFQXAJ", "10.0.1.3": "XGJFVO3L2O5SRFNT", "10.0.1.5": "EQCHZ7S2PJ72OHAY" };
const sepRules = (ip: string) =>
  `-A KUBE-SEP-${SEP[ip]} -m comment --comment ns1/svc1 -s ${ip} -j KUBE-MARK-MASQ\n-A KUBE-SEP-${SEP[ip]} -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-${SEP[ip]} --set -m tcp -p tcp -j DNAT --to-destination ${ip}:80\n`;
/** A KUBE-SVC/SVL chain with affinity: the --rcheck rules, then the probability rules. */
function affinityChain(chain: string, ips: string[]): string {
  let out = "";
  for (const ip of ips) out += `-A ${chain} -m comment --comment "ns1/svc1 -> ${ip}:80" -m recent --name KUBE-SEP-${SEP[ip]} --rcheck --seconds 10800 --reap -j KUBE-SEP-${SEP[ip]}\n`;
  const probs: Record<number, string> = { 3: "0.3333333333", 2: "0.5000000000" };
  ips.forEach((ip, i) => {
    const left = ips.length - i;
    out += `-A ${chain} -m comment --comment "ns1/svc1 -> ${ip}:80" ${left > 1 ? `-m statistic --mode random --probability ${probs[left]} ` : ""}-j KUBE-SEP-${SEP[ip]}\n`;
  });
  return out;
}
const SVC_MASQ = `-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\n`;
const LB_JUMP = `-A KUBE-SERVICES -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-SERVICES -m comment --comment "ns1/svc1 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-AQI2S6QIMU7PVVRP
`;
const EXT_LOCAL = `-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "pod traffic for ns1/svc1 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "masquerade LOCAL traffic for ns1/svc1 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "route LOCAL traffic for ns1/svc1 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-AQI2S6QIMU7PVVRP
`;
const EXT_CLUSTER = `-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "masquerade traffic for ns1/svc1 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-AQI2S6QIMU7PVVRP -j KUBE-SVC-AQI2S6QIMU7PVVRP
`;
const HC = `-A KUBE-NODEPORTS -m comment --comment "ns1/svc1 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT\n`;
const NO_ENDPOINTS_REJECT = `-A KUBE-SERVICES -m comment --comment "ns1/svc1 has no endpoints" -m tcp -p tcp -d 172.30.1.1 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1 has no endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j REJECT
`;
const declare = (chains: string[]) => chains.map((c) => `:${c} - [0:0]\n`).join("");
const NAT_FIXED_CHAINS = `COMMIT\n*nat\n:KUBE-NODEPORTS - [0:0]\n:KUBE-SERVICES - [0:0]\n`;

describe("TestTerminatingEndpointsTrafficPolicyLocal (with session affinity)", () => {
  const eps: Record<string, Endpoint[]> = {
    "ready endpoints exist": [ep("10.0.1.1", TEST_NODE, READY), ep("10.0.1.2", TEST_NODE, READY), ep("10.0.1.3", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.4", TEST_NODE, TERMINATING), ep("10.0.1.5", "host-1", READY)],
    "only terminating endpoints exist": [ep("10.0.1.2", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.3", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.4", TEST_NODE, TERMINATING), ep("10.0.1.5", "host-1", READY)],
    "terminating endpoints on remote node": [ep("10.0.1.5", "host-1", SERVING_TERMINATING)],
    "no usable endpoints on any node": [ep("10.0.1.5", TEST_NODE, TERMINATING), ep("10.0.1.5", "host-1", TERMINATING)],
  };
  const want: Record<string, string> = {
    "ready endpoints exist": FILTER_CHAINS + HC + FIREWALL + FORWARD + NAT_FIXED_CHAINS +
      declare(["KUBE-EXT-AQI2S6QIMU7PVVRP", "KUBE-MARK-MASQ", "KUBE-POSTROUTING", "KUBE-SEP-3JOIVZTXZZRGORX4", "KUBE-SEP-EQCHZ7S2PJ72OHAY", "KUBE-SEP-IO5XOSKPAXIFQXAJ", "KUBE-SVC-AQI2S6QIMU7PVVRP", "KUBE-SVL-AQI2S6QIMU7PVVRP"]) +
      LB_JUMP + NODEPORTS_LAST + EXT_LOCAL + "-A KUBE-EXT-AQI2S6QIMU7PVVRP -j KUBE-SVL-AQI2S6QIMU7PVVRP\n" + MASQ +
      sepRules("10.0.1.1") + sepRules("10.0.1.5") + sepRules("10.0.1.2") +
      SVC_MASQ + affinityChain("KUBE-SVC-AQI2S6QIMU7PVVRP", ["10.0.1.1", "10.0.1.2", "10.0.1.5"]) + affinityChain("KUBE-SVL-AQI2S6QIMU7PVVRP", ["10.0.1.1", "10.0.1.2"]) + "COMMIT\n",
    "only terminating endpoints exist": FILTER_CHAINS + HC + FIREWALL + FORWARD + NAT_FIXED_CHAINS +
      declare(["KUBE-EXT-AQI2S6QIMU7PVVRP", "KUBE-MARK-MASQ", "KUBE-POSTROUTING", "KUBE-SEP-EQCHZ7S2PJ72OHAY", "KUBE-SEP-IO5XOSKPAXIFQXAJ", "KUBE-SEP-XGJFVO3L2O5SRFNT", "KUBE-SVC-AQI2S6QIMU7PVVRP", "KUBE-SVL-AQI2S6QIMU7PVVRP"]) +
      LB_JUMP + NODEPORTS_LAST + EXT_LOCAL + "-A KUBE-EXT-AQI2S6QIMU7PVVRP -j KUBE-SVL-AQI2S6QIMU7PVVRP\n" + MASQ +
      sepRules("10.0.1.5") + sepRules("10.0.1.2") + sepRules("10.0.1.3") +
      SVC_MASQ + affinityChain("KUBE-SVC-AQI2S6QIMU7PVVRP", ["10.0.1.5"]) + affinityChain("KUBE-SVL-AQI2S6QIMU7PVVRP", ["10.0.1.2", "10.0.1.3"]) + "COMMIT\n",
    "terminating endpoints on remote node": FILTER_CHAINS + HC +
      `-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP\n` + FIREWALL + FORWARD + NAT_FIXED_CHAINS +
      declare(["KUBE-EXT-AQI2S6QIMU7PVVRP", "KUBE-MARK-MASQ", "KUBE-POSTROUTING", "KUBE-SEP-EQCHZ7S2PJ72OHAY", "KUBE-SVC-AQI2S6QIMU7PVVRP"]) +
      LB_JUMP + NODEPORTS_LAST + EXT_LOCAL + MASQ + sepRules("10.0.1.5") + SVC_MASQ + affinityChain("KUBE-SVC-AQI2S6QIMU7PVVRP", ["10.0.1.5"]) + "COMMIT\n",
    "no usable endpoints on any node": FILTER_CHAINS + HC + NO_ENDPOINTS_REJECT + FIREWALL + FORWARD + NAT_FIXED_CHAINS +
      declare(["KUBE-MARK-MASQ", "KUBE-POSTROUTING"]) + NODEPORTS_LAST + MASQ + "COMMIT\n",
  };
  for (const name of Object.keys(eps)) {
    test(name, () => {
      const svc = terminatingService("Local");
      assert.equal(render(testInput([svc], [makeSlice("ns1", "svc1", 1, eps[name], [tcp("", 80)])])), want[name]);
      // Deleting the EndpointSlice changes nothing when no endpoint was usable anyway.
      const deleted = render(testInput([svc], []));
      if (name === "no usable endpoints on any node") assert.equal(deleted, want[name]);
      else assert.notEqual(deleted, want[name]);
    });
  }
});

describe("TestTerminatingEndpointsTrafficPolicyCluster (with session affinity)", () => {
  const eps: Record<string, Endpoint[]> = {
    "ready endpoints exist": [ep("10.0.1.1", TEST_NODE, READY), ep("10.0.1.2", TEST_NODE, READY), ep("10.0.1.3", "another-host", SERVING_TERMINATING), ep("10.0.1.4", "another-host", TERMINATING), ep("10.0.1.5", "another-host", READY)],
    "only terminating endpoints exist": [ep("10.0.1.2", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.3", TEST_NODE, SERVING_TERMINATING), ep("10.0.1.4", "another-host", TERMINATING), ep("10.0.1.5", "another-host", SERVING_TERMINATING)],
    "terminating endpoints on remote node": [ep("10.0.1.5", "host-1", SERVING_TERMINATING)],
    "no usable endpoints on any node": [ep("10.0.1.5", TEST_NODE, TERMINATING), ep("10.0.1.5", "host-1", TERMINATING)],
  };
  const cluster = (seps: string[], svcIPs: string[]) => FILTER_CHAINS + FIREWALL + FORWARD + NAT_FIXED_CHAINS +
    declare(["KUBE-EXT-AQI2S6QIMU7PVVRP", "KUBE-MARK-MASQ", "KUBE-POSTROUTING", ...seps.map((ip) => `KUBE-SEP-${SEP[ip]}`), "KUBE-SVC-AQI2S6QIMU7PVVRP"]) +
    LB_JUMP + NODEPORTS_LAST + EXT_CLUSTER + MASQ + seps.map(sepRules).join("") + SVC_MASQ + affinityChain("KUBE-SVC-AQI2S6QIMU7PVVRP", svcIPs) + "COMMIT\n";
  const want: Record<string, string> = {
    // SEP chains in name order: 3JOI.. (.1), EQCH.. (.5), IO5X.. (.2), XGJF.. (.3).
    "ready endpoints exist": cluster(["10.0.1.1", "10.0.1.5", "10.0.1.2"], ["10.0.1.1", "10.0.1.2", "10.0.1.5"]),
    "only terminating endpoints exist": cluster(["10.0.1.5", "10.0.1.2", "10.0.1.3"], ["10.0.1.2", "10.0.1.3", "10.0.1.5"]),
    "terminating endpoints on remote node": cluster(["10.0.1.5"], ["10.0.1.5"]),
    "no usable endpoints on any node": FILTER_CHAINS + NO_ENDPOINTS_REJECT + FIREWALL + FORWARD + NAT_FIXED_CHAINS + declare(["KUBE-MARK-MASQ", "KUBE-POSTROUTING"]) + NODEPORTS_LAST + MASQ + "COMMIT\n",
  };
  for (const name of Object.keys(eps)) {
    test(name, () => {
      const svc = terminatingService("Cluster");
      assert.equal(render(testInput([svc], [makeSlice("ns1", "svc1", 1, eps[name], [tcp("", 80)])])), want[name]);
      const deleted = render(testInput([svc], []));
      if (name === "no usable endpoints on any node") assert.equal(deleted, want[name]);
      else assert.notEqual(deleted, want[name]);
    });
  }
});

// TestEnable/DisableLocalhostNodePortsIPv6: an IPv6 plan; localhost NodePorts never apply to
// IPv6, so both settings give the same rules (no KUBE-FIREWALL, "! -d ::1/128").
describe("TestEnable/DisableLocalhostNodePorts (IPv6)", () => {
  const expected = FILTER_CHAINS_NO_FIREWALL + FORWARD + dedent(`
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-LIGRYQQLSZN4UWQ5 - [0:0]
    :KUBE-SEP-XJJ5QXWGJG344QDZ - [0:0]
    :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
    :KUBE-SVL-XPGD46QRK7WJZT7O - [0:0]
    -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 30001 -j KUBE-EXT-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d fd00:ab34::20 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
    -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "route LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-XPGD46QRK7WJZT7O
    -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVL-XPGD46QRK7WJZT7O
  `) + MASQ + dedent(`
    -A KUBE-SEP-LIGRYQQLSZN4UWQ5 -m comment --comment ns1/svc1:p80 -s ff06::c1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-LIGRYQQLSZN4UWQ5 -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination [ff06::c1]:80
    -A KUBE-SEP-XJJ5QXWGJG344QDZ -m comment --comment ns1/svc1:p80 -s ff06::c2 -j KUBE-MARK-MASQ
    -A KUBE-SEP-XJJ5QXWGJG344QDZ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination [ff06::c2]:80
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> [ff06::c1]:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-LIGRYQQLSZN4UWQ5
    -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> [ff06::c2]:80" -j KUBE-SEP-XJJ5QXWGJG344QDZ
    -A KUBE-SVL-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> [ff06::c2]:80" -j KUBE-SEP-XJJ5QXWGJG344QDZ
    COMMIT
  `);
  for (const localhostNodePorts of [true, false]) {
    test(localhostNodePorts ? "TestEnableLocalhostNodePortsIPv6" : "TestDisableLocalhostNodePortsIPv6", () => {
      const config = upstreamTestConfig();
      config.clusterCIDR = ""; // NewNoOpLocalDetector
      config.iptables.localhostNodePorts = localhostNodePorts;
      const svc = makeService("ns1", "svc1", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = "fd00:ab34::20"; s.spec.ports = [{ ...tcp("p80", 80), nodePort: 30001 }]; s.spec.externalTrafficPolicy = "Local"; });
      const slice = { ...makeSlice("ns1", "svc1", 1, [ep("ff06::c1"), ep("ff06::c2", TEST_NODE)], [tcp("p80", 80)]), addressType: "IPv6" as const };
      assert.equal(render({ ...testInput([svc], [slice], config), ipFamily: "IPv6", nodeIPs: ["2001:db8::1", "2001:db8:1::2"] }), expected);
    });
  }
});
