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
