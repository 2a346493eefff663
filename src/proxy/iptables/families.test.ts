// Rule families beyond upstream's overall test: each case renders a small input and compares the
// whole restore input with the expected text. The texts were checked line by line against
// kube-proxy's syncProxyRules logic (pkg/proxy/iptables/proxier.go).
import { test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "../plan.js";
import { renderIptables } from "./render.js";
import { makeService, makeSlice, testInput, upstreamTestConfig, UPSTREAM_TEST_RENDER, TEST_NODE, dedent } from "../test-fixtures.js";
import type { Endpoint } from "../../api/types.js";

const eps = (...ips: string[]): Endpoint[] => ips.map((ip) => ({ addresses: [ip] }));

test("sock-shop front-end: four endpoints with 1/4, 1/3, 1/2, then no statistic match", () => {
  const services = [makeService("sock-shop", "front-end", (s) => { s.spec.clusterIP = "10.96.0.20"; s.spec.ports = [{ name: "http", port: 80, protocol: "TCP", targetPort: 8079 }]; })];
  const slices = [makeSlice("sock-shop", "front-end", 1, eps("10.244.1.2", "10.244.2.2", "10.244.1.3", "10.244.2.3"), [{ name: "http", port: 8079, protocol: "TCP" }])];
  const got = renderIptables(planProxy(testInput(services, slices)), UPSTREAM_TEST_RENDER);
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
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-5C2HSCU35FODZQA6 - [0:0]
    :KUBE-SEP-BXNDVHDUUWFJJDST - [0:0]
    :KUBE-SEP-DSM2PPWDZXWAAA3M - [0:0]
    :KUBE-SEP-WCEBMOZLCLBMD4BP - [0:0]
    :KUBE-SVC-HJWMJZGQR2CABYO7 - [0:0]
    -A KUBE-SERVICES -m comment --comment "sock-shop/front-end:http cluster IP" -m tcp -p tcp -d 10.96.0.20 --dport 80 -j KUBE-SVC-HJWMJZGQR2CABYO7
    -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
    -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
    -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
    -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
    -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
    -A KUBE-SEP-5C2HSCU35FODZQA6 -m comment --comment sock-shop/front-end:http -s 10.244.1.2 -j KUBE-MARK-MASQ
    -A KUBE-SEP-5C2HSCU35FODZQA6 -m comment --comment sock-shop/front-end:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.2:8079
    -A KUBE-SEP-BXNDVHDUUWFJJDST -m comment --comment sock-shop/front-end:http -s 10.244.1.3 -j KUBE-MARK-MASQ
    -A KUBE-SEP-BXNDVHDUUWFJJDST -m comment --comment sock-shop/front-end:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.3:8079
    -A KUBE-SEP-DSM2PPWDZXWAAA3M -m comment --comment sock-shop/front-end:http -s 10.244.2.2 -j KUBE-MARK-MASQ
    -A KUBE-SEP-DSM2PPWDZXWAAA3M -m comment --comment sock-shop/front-end:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.2:8079
    -A KUBE-SEP-WCEBMOZLCLBMD4BP -m comment --comment sock-shop/front-end:http -s 10.244.2.3 -j KUBE-MARK-MASQ
    -A KUBE-SEP-WCEBMOZLCLBMD4BP -m comment --comment sock-shop/front-end:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.3:8079
    -A KUBE-SVC-HJWMJZGQR2CABYO7 -m comment --comment "sock-shop/front-end:http cluster IP" -m tcp -p tcp -d 10.96.0.20 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-HJWMJZGQR2CABYO7 -m comment --comment "sock-shop/front-end:http -> 10.244.1.2:8079" -m statistic --mode random --probability 0.2500000000 -j KUBE-SEP-5C2HSCU35FODZQA6
    -A KUBE-SVC-HJWMJZGQR2CABYO7 -m comment --comment "sock-shop/front-end:http -> 10.244.1.3:8079" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-BXNDVHDUUWFJJDST
    -A KUBE-SVC-HJWMJZGQR2CABYO7 -m comment --comment "sock-shop/front-end:http -> 10.244.2.2:8079" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-DSM2PPWDZXWAAA3M
    -A KUBE-SVC-HJWMJZGQR2CABYO7 -m comment --comment "sock-shop/front-end:http -> 10.244.2.3:8079" -j KUBE-SEP-WCEBMOZLCLBMD4BP
    COMMIT
  `));
});

test("internalTrafficPolicy Local (UDP), a port without endpoints, masqueradeAll, localhost NodePorts off, host defaults", () => {
  const services = [makeService("ns1", "dns", (s) => {
    s.spec.clusterIP = "172.30.0.10";
    s.spec.internalTrafficPolicy = "Local";
    s.spec.ports = [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53, protocol: "TCP" }];
  })];
  const slices = [makeSlice("ns1", "dns", 1, [{ addresses: ["10.180.0.1"], nodeName: "other" }, { addresses: ["10.180.0.2"], nodeName: TEST_NODE }], [{ name: "dns", port: 53, protocol: "UDP" }])];
  const cfg = upstreamTestConfig();
  cfg.iptables.masqueradeAll = true;
  cfg.iptables.localhostNodePorts = false;
  const got = renderIptables(planProxy(testInput(services, slices, cfg)), { masqueradeMark: "0x4000" });
  assert.equal(got, dedent(`
    *filter
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXTERNAL-SERVICES - [0:0]
    :KUBE-FORWARD - [0:0]
    :KUBE-PROXY-FIREWALL - [0:0]
    -A KUBE-SERVICES -m comment --comment "ns1/dns:dns-tcp has no endpoints" -m tcp -p tcp -d 172.30.0.10 --dport 53 -j REJECT
    -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
    -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
    -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-XX7NV6NKEVRUPB6D - [0:0]
    :KUBE-SVL-WBMILL6O5AC5GY22 - [0:0]
    -A KUBE-SERVICES -m comment --comment "ns1/dns:dns cluster IP" -m udp -p udp -d 172.30.0.10 --dport 53 -j KUBE-SVL-WBMILL6O5AC5GY22
    -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS
    -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
    -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
    -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
    -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
    -A KUBE-SEP-XX7NV6NKEVRUPB6D -m comment --comment ns1/dns:dns -s 10.180.0.2 -j KUBE-MARK-MASQ
    -A KUBE-SEP-XX7NV6NKEVRUPB6D -m comment --comment ns1/dns:dns -m udp -p udp -j DNAT --to-destination 10.180.0.2:53
    -A KUBE-SVL-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns cluster IP" -m udp -p udp -d 172.30.0.10 --dport 53 -j KUBE-MARK-MASQ
    -A KUBE-SVL-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns -> 10.180.0.2:53" -j KUBE-SEP-XX7NV6NKEVRUPB6D
    COMMIT
  `));
});

test("LoadBalancer source ranges allowing the node, two LB IPs, nodePortAddresses", () => {
  const services = [makeService("ns1", "lb", (s) => {
    s.spec.type = "LoadBalancer";
    s.spec.clusterIP = "172.30.0.41";
    s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3001 }];
    s.spec.loadBalancerSourceRanges = ["192.168.0.0/24", "203.0.113.0/25"];
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }, { ip: "5.6.7.8" }] } };
  })];
  const slices = [makeSlice("ns1", "lb", 1, eps("10.180.0.1"), [{ name: "p80", port: 80, protocol: "TCP" }])];
  const cfg = upstreamTestConfig();
  cfg.nodePortAddresses = ["192.168.0.0/24", "127.0.0.1/32"];
  const got = renderIptables(planProxy(testInput(services, slices, cfg)), { masqueradeMark: "0x4000" });
  assert.equal(got, dedent(`
    *filter
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXTERNAL-SERVICES - [0:0]
    :KUBE-FIREWALL - [0:0]
    :KUBE-FORWARD - [0:0]
    :KUBE-PROXY-FIREWALL - [0:0]
    -A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
    -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
    -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
    -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    -A KUBE-PROXY-FIREWALL -m comment --comment "ns1/lb:p80 traffic not accepted by KUBE-FW-NLSY6DROL7JRYYAN" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
    -A KUBE-PROXY-FIREWALL -m comment --comment "ns1/lb:p80 traffic not accepted by KUBE-FW-NLSY6DROL7JRYYAN" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
    COMMIT
    *nat
    :KUBE-NODEPORTS - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-EXT-NLSY6DROL7JRYYAN - [0:0]
    :KUBE-FW-NLSY6DROL7JRYYAN - [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-EDQELLBVZU3X5V76 - [0:0]
    :KUBE-SVC-NLSY6DROL7JRYYAN - [0:0]
    -A KUBE-NODEPORTS -m comment --comment ns1/lb:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-NLSY6DROL7JRYYAN
    -A KUBE-SERVICES -m comment --comment "ns1/lb:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-NLSY6DROL7JRYYAN
    -A KUBE-SERVICES -m comment --comment "ns1/lb:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-FW-NLSY6DROL7JRYYAN
    -A KUBE-SERVICES -m comment --comment "ns1/lb:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NLSY6DROL7JRYYAN
    -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 127.0.0.1 -j KUBE-NODEPORTS
    -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.0.2 -j KUBE-NODEPORTS
    -A KUBE-EXT-NLSY6DROL7JRYYAN -m comment --comment "masquerade traffic for ns1/lb:p80 external destinations" -j KUBE-MARK-MASQ
    -A KUBE-EXT-NLSY6DROL7JRYYAN -j KUBE-SVC-NLSY6DROL7JRYYAN
    -A KUBE-FW-NLSY6DROL7JRYYAN -m comment --comment "ns1/lb:p80 loadbalancer IP" -s 192.168.0.0/24 -j KUBE-EXT-NLSY6DROL7JRYYAN
    -A KUBE-FW-NLSY6DROL7JRYYAN -m comment --comment "ns1/lb:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NLSY6DROL7JRYYAN
    -A KUBE-FW-NLSY6DROL7JRYYAN -m comment --comment "ns1/lb:p80 loadbalancer IP" -s 1.2.3.4 -j KUBE-EXT-NLSY6DROL7JRYYAN
    -A KUBE-FW-NLSY6DROL7JRYYAN -m comment --comment "ns1/lb:p80 loadbalancer IP" -s 5.6.7.8 -j KUBE-EXT-NLSY6DROL7JRYYAN
    -A KUBE-FW-NLSY6DROL7JRYYAN -m comment --comment "other traffic to ns1/lb:p80 will be dropped by KUBE-PROXY-FIREWALL"
    -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
    -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
    -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
    -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
    -A KUBE-SEP-EDQELLBVZU3X5V76 -m comment --comment ns1/lb:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
    -A KUBE-SEP-EDQELLBVZU3X5V76 -m comment --comment ns1/lb:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
    -A KUBE-SVC-NLSY6DROL7JRYYAN -m comment --comment "ns1/lb:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
    -A KUBE-SVC-NLSY6DROL7JRYYAN -m comment --comment "ns1/lb:p80 -> 10.180.0.1:80" -j KUBE-SEP-EDQELLBVZU3X5V76
    COMMIT
  `));
});

test("more than 1000 endpoints: per-endpoint comments are left out", () => {
  const ips = Array.from({ length: 1001 }, (_, i) => `10.180.${i >> 8}.${i & 255}`);
  const services = [makeService("ns1", "big", (s) => { s.spec.clusterIP = "172.30.0.50"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }]; })];
  const slices = [makeSlice("ns1", "big", 1, eps(...ips), [{ name: "p80", port: 80, protocol: "TCP" }])];
  const got = renderIptables(planProxy(testInput(services, slices)), UPSTREAM_TEST_RENDER).split("\n");
  const svcRules = got.filter((l) => l.startsWith("-A KUBE-SVC-"));
  assert.equal(svcRules.length, 1002);
  assert.match(svcRules[0], / ! -s 10\.0\.0\.0\/8 -j KUBE-MARK-MASQ$/);
  assert.match(svcRules[1], /^-A KUBE-SVC-\S+ -m statistic --mode random --probability 0\.0009990010 -j KUBE-SEP-\S+$/);
  assert.match(svcRules[1001], /^-A KUBE-SVC-\S+ -j KUBE-SEP-\S+$/);
  const sep = got.filter((l) => l.startsWith("-A KUBE-SEP-"));
  assert.match(sep[0], /^-A KUBE-SEP-\S+ -s 10\.180\.\d+\.\d+ -j KUBE-MARK-MASQ$/);
  assert.match(sep[1], /^-A KUBE-SEP-\S+ -m tcp -p tcp -j DNAT --to-destination 10\.180\.\d+\.\d+:80$/);
  assert.ok(svcRules[2].includes("--probability 0.0010000000"));
});
