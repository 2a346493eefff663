// The nftables ruleset in upstream's shape (endpointSelection "vmap") against kube-proxy's own
// TestOverallNFTablesRules (pkg/proxy/nftables/proxier_test.go, the 1.30-1.33 base chains), line
// for line but for the deviations this project makes on purpose (model.ts): hairpin masquerade
// through one set instead of a rule per endpoint chain, the off-cluster masquerade in
// `services` for every ClusterIP instead of a rule per service chain, and no drop rule for
// unallocated ClusterIPs (kube-proxy learns the service CIDRs from ServiceCIDR objects, which
// the plan does not carry). Elements, which we batch per set, are compared one by one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "../plan.js";
import { renderNftables } from "./render.js";
import { MAX_MAPPED_ENDPOINTS, serviceSlotKey, slotOfKey } from "./endpoint-maps.js";
import { dedent, overallIPTablesInput } from "../test-fixtures.js";

/** One line per element; the table flush that opens a full load left out. */
function lines(text: string): string[] {
  const out: string[] = [];
  for (const l of text.split("\n")) {
    if (!l || l === "add table ip kube-proxy" || l === "delete table ip kube-proxy") continue;
    const m = /^(add element ip kube-proxy \S+) \{ (.*) \}$/.exec(l);
    if (m) for (const e of m[2].split(", ")) out.push(`${m[1]} { ${e} }`);
    else out.push(l);
  }
  return out.sort();
}

// Upstream's expected text, with the real proxier's mark (%#08x: 0x00004000; the fake has 0x4000).
const UPSTREAM = dedent(`
  add table ip kube-proxy { comment "rules for kube-proxy" ; }
  add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
  add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
  add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
  add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
  add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
  add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
  add chain ip kube-proxy cluster-ips-check
  add chain ip kube-proxy filter-prerouting { type filter hook prerouting priority -110 ; }
  add chain ip kube-proxy filter-forward { type filter hook forward priority -110 ; }
  add chain ip kube-proxy filter-input { type filter hook input priority -110 ; }
  add chain ip kube-proxy filter-output { type filter hook output priority -110 ; }
  add chain ip kube-proxy filter-output-post-dnat { type filter hook output priority -90 ; }
  add chain ip kube-proxy firewall-check
  add chain ip kube-proxy mark-for-masquerade
  add chain ip kube-proxy masquerading
  add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
  add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
  add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
  add chain ip kube-proxy nodeport-endpoints-check
  add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
  add chain ip kube-proxy services
  add chain ip kube-proxy service-endpoints-check
  add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
  add rule ip kube-proxy filter-prerouting ct state new jump firewall-check
  add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
  add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
  add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
  add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
  add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
  add rule ip kube-proxy filter-output ct state new jump firewall-check
  add rule ip kube-proxy filter-output-post-dnat ct state new jump cluster-ips-check
  add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
  add rule ip kube-proxy mark-for-masquerade mark set mark or 0x00004000
  add rule ip kube-proxy masquerading mark and 0x00004000 == 0 return
  add rule ip kube-proxy masquerading mark set mark xor 0x00004000
  add rule ip kube-proxy masquerading masquerade fully-random
  add rule ip kube-proxy nat-output jump services
  add rule ip kube-proxy nat-postrouting jump masquerading
  add rule ip kube-proxy nat-prerouting jump services
  add rule ip kube-proxy nodeport-endpoints-check ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports
  add rule ip kube-proxy reject-chain reject
  add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
  add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
  add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
  add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
  add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }
  add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
  add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80
  add element ip kube-proxy cluster-ips { 172.30.0.41 }
  add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
  add chain ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80
  add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }
  add chain ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80
  add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
  add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
  add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
  add chain ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
  add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80
  add element ip kube-proxy cluster-ips { 172.30.0.42 }
  add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
  add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
  add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
  add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
  add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }
  add element ip kube-proxy no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }
  add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }
  add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
  add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 }
  add chain ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80
  add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
  add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
  add chain ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
  add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
  add element ip kube-proxy cluster-ips { 172.30.0.43 }
  add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
  add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }
  add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
  add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }
  add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80
  add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
  add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
  add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
  add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
  add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
  add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80
  add element ip kube-proxy cluster-ips { 172.30.0.44 }
  add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
  add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }
  add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
  add chain ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80
  add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
  add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }
  add chain ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80
  add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
  add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80
  add chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
  add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
  add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
  add chain ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80
  add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop
  add element ip kube-proxy cluster-ips { 172.30.0.45 }
  add element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
  add element ip kube-proxy service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
  add element ip kube-proxy service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
  add element ip kube-proxy firewall-ips { 5.6.7.8 . tcp . 80 : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }
  add element ip kube-proxy cluster-ips { 172.30.0.46 }
  add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
`);

/** What this project writes instead of upstream's per-chain masquerade rules (see the header). */
const OURS_INSTEAD = dedent(`
  add rule ip kube-proxy services ip daddr @cluster-ips ip saddr != 10.0.0.0/8 jump mark-for-masquerade
  add set ip kube-proxy hairpin-endpoints { type ipv4_addr . ipv4_addr ; comment "endpoint to itself after DNAT: masqueraded" ; }
  add rule ip kube-proxy masquerading ct status dnat ip saddr . ip daddr @hairpin-endpoints jump mark-for-masquerade
  add element ip kube-proxy hairpin-endpoints { 10.180.0.1 . 10.180.0.1 }
  add element ip kube-proxy hairpin-endpoints { 10.180.0.2 . 10.180.0.2 }
  add element ip kube-proxy hairpin-endpoints { 10.180.0.3 . 10.180.0.3 }
  add element ip kube-proxy hairpin-endpoints { 10.180.0.4 . 10.180.0.4 }
  add element ip kube-proxy hairpin-endpoints { 10.180.0.5 . 10.180.0.5 }
`);

test("nftables, upstream's shape: TestOverallNFTablesRules line for line, but for the deliberate deviations", () => {
  const got = lines(renderNftables(planProxy(overallIPTablesInput({ sessionAffinity: true })), { endpointSelection: "vmap" }));
  const want = [...UPSTREAM.split("\n"), ...OURS_INSTEAD.split("\n")].filter(Boolean).sort();
  assert.deepEqual(got, want);
});

test("nftables, rules shape: the same table but for the service chains' endpoint choice", () => {
  const plan = planProxy(overallIPTablesInput({ sessionAffinity: true }));
  const vmap = new Set(lines(renderNftables(plan, { endpointSelection: "vmap" })));
  const rules = lines(renderNftables(plan, { endpointSelection: "rules" }));
  const endpointChainWork = (l: string) => / (service|endpoint)-\S+ /.test(l) && !l.startsWith("add element");
  assert.deepEqual(rules.filter((l) => !endpointChainWork(l) && !vmap.has(l)), []);
  // Each service chain picks its endpoint inline; svc4's two endpoints 1/2 each.
  assert.ok(rules.includes("add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 == 0 meta l4proto tcp dnat to 10.180.0.4:80"));
  assert.ok(rules.includes("add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 meta l4proto tcp dnat to 10.180.0.5:80"));
  assert.deepEqual(rules.filter((l) => l.includes(" endpoint-")), [], "no endpoint chains, affinity included");
});

test("nftables, default (maps) shape: the rules shape but for chains of several endpoints without affinity, whose endpoints are elements of a shared map", () => {
  const plan = planProxy(overallIPTablesInput({ sessionAffinity: false }));
  const rules = new Set(lines(renderNftables(plan, { endpointSelection: "rules" })));
  const maps = lines(renderNftables(plan));
  assert.deepEqual(maps.filter((l) => !rules.has(l)), [
    "add element ip kube-proxy endpoints-tcp-58 { 697933824 : 10.180.0.4 . 80 }",
    "add element ip kube-proxy endpoints-tcp-58 { 697933825 : 10.180.0.5 . 80 }",
    'add map ip kube-proxy endpoints-tcp-58 { typeof numgen random mod 1 : ip daddr . tcp dport ; comment "service endpoints by numgen key" ; }',
    "add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 meta l4proto tcp dnat ip addr . port to numgen random mod 2 offset 697933824 map @endpoints-tcp-58",
  ]);
  assert.deepEqual([...rules].filter((l) => !maps.includes(l)), [
    "add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 meta l4proto tcp dnat to 10.180.0.5:80",
    "add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 == 0 meta l4proto tcp dnat to 10.180.0.4:80",
  ]);
  // The slot: shard 0x58 and the first key from the chain's hash (endpoint-maps.ts).
  const sp = plan.services.find((s) => s.name === "svc4")!;
  assert.deepEqual(slotOfKey(serviceSlotKey(sp), false, "tcp"), { map: "endpoints-tcp-58", offset: 697933824 });
  assert.deepEqual(slotOfKey(serviceSlotKey(sp), true, "tcp"), { map: "endpoints-tcp-58", offset: 697933824 + MAX_MAPPED_ENDPOINTS });
  // A chain with session affinity keeps the rules shape: its rules update the chosen endpoint's set.
  const sticky = planProxy(overallIPTablesInput({ sessionAffinity: true }));
  const svc5 = (text: string) => lines(text).filter((l) => l.includes("/svc5/"));
  assert.deepEqual(svc5(renderNftables(sticky)), svc5(renderNftables(sticky, { endpointSelection: "rules" })));
  assert.ok(svc5(renderNftables(sticky)).some((l) => l.includes("update @affinity-")));
});
