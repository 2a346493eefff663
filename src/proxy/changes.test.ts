import { test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "./plan.js";
import { planIptablesUpdate, planNftablesUpdate, staleUdpEndpoints, changedServices, replanServices } from "./changes.js";
import { makeService, makeSlice, testInput, dedent } from "./test-fixtures.js";
import { renderNftables } from "./nftables/render.js";

const services = [
  makeService("ns1", "dns", (s) => { s.spec.clusterIP = "172.30.0.10"; s.spec.type = "NodePort"; s.spec.ports = [{ name: "dns", port: 53, protocol: "UDP", nodePort: 30053 }]; }),
  makeService("ns1", "web", (s) => { s.spec.clusterIP = "172.30.0.20"; s.spec.ports = [{ name: "http", port: 80, protocol: "TCP" }]; }),
];
const slices = (ips: string[]) => [
  makeSlice("ns1", "dns", 1, ips.map((ip) => ({ addresses: [ip] })), [{ name: "dns", port: 53, protocol: "UDP" }]),
  makeSlice("ns1", "web", 1, [{ addresses: ["10.180.0.9"] }], [{ name: "http", port: 80, protocol: "TCP" }]),
];
const two = () => planProxy(testInput(services, slices(["10.180.0.1", "10.180.0.2"])));
const one = () => planProxy(testInput(services, slices(["10.180.0.1"])));
const none = () => planProxy(testInput(services, slices([])));

test("nftables: removing one endpoint touches only that service's chain and elements", () => {
  const u = planNftablesUpdate(two(), one());
  assert.equal(u.kind, "partial");
  assert.deepEqual(u.changedServices, ["ns1/dns"]);
  assert.equal(u.script, dedent(`
    flush chain ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns
    delete element ip kube-proxy hairpin-endpoints { 10.180.0.2 . 10.180.0.2 }
    add rule ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns meta l4proto udp dnat to 10.180.0.1:53
  `));
});

test("nftables: last endpoint gone moves the service into the no-endpoint maps", () => {
  const u = planNftablesUpdate(one(), none());
  assert.equal(u.script, dedent(`
    flush chain ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns
    flush chain ip kube-proxy external-X5NJHU2V-ns1/dns/udp/dns
    delete element ip kube-proxy service-ips { 172.30.0.10 . udp . 53 }
    delete element ip kube-proxy service-nodeports { udp . 30053 }
    delete element ip kube-proxy hairpin-endpoints { 10.180.0.1 . 10.180.0.1 }
    add element ip kube-proxy no-endpoint-services { 172.30.0.10 . udp . 53 comment "ns1/dns:dns" : goto reject-chain }
    add element ip kube-proxy no-endpoint-nodeports { udp . 30053 comment "ns1/dns:dns" : goto reject-chain }
    delete chain ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns
    delete chain ip kube-proxy external-X5NJHU2V-ns1/dns/udp/dns
  `));
  assert.equal(planNftablesUpdate(one(), one()).script, "");
});

test("nftables (upstream vmap shape): an endpoint change rewrites the vmap rule and deletes the endpoint chain", () => {
  const u = planNftablesUpdate(two(), one(), { endpointSelection: "vmap" });
  assert.equal(u.script, dedent(`
    flush chain ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns
    flush chain ip kube-proxy endpoint-TLHHKZSM-ns1/dns/udp/dns__10.180.0.2/53
    delete element ip kube-proxy hairpin-endpoints { 10.180.0.2 . 10.180.0.2 }
    add rule ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns numgen random mod 1 vmap { 0 : goto endpoint-PCBKZPLF-ns1/dns/udp/dns__10.180.0.1/53 }
    delete chain ip kube-proxy endpoint-TLHHKZSM-ns1/dns/udp/dns__10.180.0.2/53
  `));
});

test("nftables: a first sync or a config change is a full render", () => {
  assert.equal(planNftablesUpdate(undefined, one()).kind, "full");
  const p = one();
  const q = one();
  q.config = { ...q.config, clusterCIDR: "10.1.0.0/16" };
  const u = planNftablesUpdate(p, q);
  assert.equal(u.kind, "full");
  assert.equal(u.script, renderNftables(q));
});

test("iptables: partial restore writes the changed service's chains and deletes stale ones", () => {
  const u = planIptablesUpdate(two(), one(), { masqueradeMark: "0x4000" });
  assert.equal(u.kind, "partial");
  assert.deepEqual(u.deletedChains, ["KUBE-SEP-XX7NV6NKEVRUPB6D"]);
  const nat = u.restore.split("*nat\n")[1];
  // the unchanged web service keeps its KUBE-SERVICES rule but its chains are not rewritten
  assert.ok(nat.includes('-A KUBE-SERVICES -m comment --comment "ns1/web:http cluster IP" -m tcp -p tcp -d 172.30.0.20 --dport 80 -j KUBE-SVC-4LVCYZMTA5CQO6SX'));
  assert.ok(!nat.includes(":KUBE-SVC-4LVCYZMTA5CQO6SX"));
  assert.ok(!nat.includes("-A KUBE-SVC-4LVCYZMTA5CQO6SX"));
  assert.ok(nat.includes(":KUBE-SEP-XX7NV6NKEVRUPB6D - [0:0]"));
  assert.ok(nat.endsWith("-X KUBE-SEP-XX7NV6NKEVRUPB6D\nCOMMIT\n"));
  assert.equal(planIptablesUpdate(undefined, one()).kind, "full");
});

test("changedServices and replanServices", () => {
  assert.deepEqual(changedServices(two(), one()), ["ns1/dns"]);
  // Restricted to the services a sync's events named: others are not compared.
  assert.deepEqual(changedServices(two(), one(), ["ns1/dns", "ns1/web", "ns9/gone"]), ["ns1/dns"]);
  assert.deepEqual(changedServices(two(), one(), ["ns1/web"]), []);
  const re = replanServices(two(), testInput(services, slices(["10.180.0.1"])), ["ns1/dns"]);
  assert.deepEqual(JSON.parse(JSON.stringify(re.services)), JSON.parse(JSON.stringify(one().services)));
  assert.equal(re.totalEndpoints, one().totalEndpoints);
});

test("staleUdpEndpoints: removed endpoints and first endpoints", () => {
  assert.deepEqual(staleUdpEndpoints(two(), one()).map((f) => f.args.join(" ")), [
    "-D -p udp --orig-dst 172.30.0.10 --dst-nat 10.180.0.2",
    "-D -p udp --orig-port-dst 30053 --dst-nat 10.180.0.2",
  ]);
  assert.deepEqual(staleUdpEndpoints(none(), one()).map((f) => f.args.join(" ")), [
    "-D -p udp --orig-dst 172.30.0.10 --orig-port-dst 53",
    "-D -p udp --orig-port-dst 30053",
  ]);
  assert.deepEqual(staleUdpEndpoints(one(), one()), []);
});

test("nftables: a hairpin element shared with another service survives the other's removal", () => {
  const web = (ip: string) => [
    makeSlice("ns1", "dns", 1, [{ addresses: ["10.180.0.9"] }], [{ name: "dns", port: 53, protocol: "UDP" }]),
    makeSlice("ns1", "web", 1, [{ addresses: [ip] }], [{ name: "http", port: 80, protocol: "TCP" }]),
  ];
  const a = planProxy(testInput(services, web("10.180.0.9")));
  const b = planProxy(testInput(services, web("10.180.0.8")));
  const u = planNftablesUpdate(a, b);
  assert.deepEqual(u.changedServices, ["ns1/web"]);
  assert.ok(!u.script.includes("delete element ip kube-proxy hairpin-endpoints"), u.script);
  assert.ok(u.script.includes("add element ip kube-proxy hairpin-endpoints { 10.180.0.8 . 10.180.0.8 }"), u.script);
});

test("nftables: hairpin elements over a chain of updates (address use followed from plan to plan, not recounted)", () => {
  const withIPs = (dns: string[], web: string[]) =>
    planProxy(
      testInput(services, [
        makeSlice("ns1", "dns", 1, dns.map((ip) => ({ addresses: [ip] })), [{ name: "dns", port: 53, protocol: "UDP" }]),
        makeSlice("ns1", "web", 1, web.map((ip) => ({ addresses: [ip] })), [{ name: "http", port: 80, protocol: "TCP" }]),
      ]),
    );
  const removed = (u: { script: string }) =>
    [...u.script.matchAll(/delete element ip kube-proxy hairpin-endpoints \{ ([^}]*) \}/g)].flatMap((m) => m[1].split(", ").map((e) => e.split(" . ")[0])).sort();
  const p0 = withIPs(["10.180.0.1", "10.180.0.2"], ["10.180.0.1"]);
  const p1 = withIPs(["10.180.0.2"], ["10.180.0.1"]); // dns lets .1 go: web still has it
  assert.deepEqual(removed(planNftablesUpdate(p0, p1)), []);
  const p2 = withIPs(["10.180.0.2"], []); // web lets .1 go: now nobody has it
  assert.deepEqual(removed(planNftablesUpdate(p1, p2)), ["10.180.0.1"]);
  const p3 = withIPs(["10.180.0.2", "10.180.0.1"], ["10.180.0.2"]); // both take addresses again
  assert.deepEqual(removed(planNftablesUpdate(p2, p3)), []);
  const p4 = withIPs(["10.180.0.1"], ["10.180.0.2"]); // dns lets .2 go: web has it
  assert.deepEqual(removed(planNftablesUpdate(p3, p4)), []);
  const p5 = withIPs(["10.180.0.1"], []); // web lets .2 go
  assert.deepEqual(removed(planNftablesUpdate(p4, p5)), ["10.180.0.2"]);
  // The same previous plan again (as a retried sync): the same answer.
  assert.deepEqual(removed(planNftablesUpdate(p4, p5)), ["10.180.0.2"]);
  assert.deepEqual(removed(planNftablesUpdate(p0, p2)), ["10.180.0.1"]);
  // Past a few thousand differences the counts are written out anew: the same answers. (Each
  // step stays under the 1,000 endpoints that make kube-proxy's large-cluster mode a full sync.)
  const batch = (r: number) => Array.from({ length: 900 }, (_, i) => `10.${190 + r}.${i >> 8}.${i & 255}`);
  // web keeps one address of batch 1 throughout and takes one of batch 4 at step 4.
  const web = (r: number) => ["10.180.0.1", batch(1)[5], ...(r >= 4 ? [batch(4)[9]] : [])];
  let prevPlan = withIPs(batch(0), web(0));
  for (let r = 1; r <= 6; r++) {
    const nextPlan = withIPs(batch(r), web(r));
    // Steps 2 and 5 let batches 1 and 4 go, but web still has one address of each.
    assert.equal(removed(planNftablesUpdate(prevPlan, nextPlan)).length, r === 2 || r === 5 ? 899 : 900, `step ${r}`);
    prevPlan = nextPlan;
  }
  const q1 = withIPs([], web(6));
  assert.equal(removed(planNftablesUpdate(prevPlan, q1)).length, 900);
  const q2 = withIPs([], ["10.180.0.1"]);
  assert.deepEqual(removed(planNftablesUpdate(q1, q2)), [batch(1)[5], batch(4)[9]].sort());
  assert.deepEqual(removed(planNftablesUpdate(q2, withIPs([], []))), ["10.180.0.1"]);
});
