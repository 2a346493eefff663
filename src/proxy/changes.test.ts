import { test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "./plan.js";
import { planIptablesUpdate, planNftablesUpdate, staleUdpEndpoints, changedServices, replanServices } from "./changes.js";
import { makeService, makeSlice, testInput, dedent } from "./test-fixtures.js";
import { renderNftables } from "./nftables/render.js";
import { serviceSlotKey } from "./nftables/endpoint-maps.js";
import { parseNft } from "../trace/nftables/parse.js";

/** The table state after applying the transactions, as comparable text (sets and chains sorted). */
function applyNftText(texts: string[]): string {
  const st = parseNft(texts);
  const chains = [...st.chains].filter(([, c]) => c.rules.length > 0 || c.base).map(([n, c]) => `${n}: ${c.rules.join(" | ")}`).sort();
  const sets = [...st.sets].filter(([, m]) => m.size > 0).map(([n, m]) => `${n}: ${[...m].map(([k, v]) => `${k}=${v}`).sort().join(", ")}`).sort();
  return [...chains, ...sets].join("\n");
}

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
  // Down to one endpoint: a plain DNAT rule replaces the map rule, the map keys go.
  assert.equal(u.script, dedent(`
    flush chain ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns
    delete element ip kube-proxy endpoints-udp-bf { 1519632384, 1519632385 }
    delete element ip kube-proxy hairpin-endpoints { 10.180.0.2 . 10.180.0.2 }
    add rule ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns meta l4proto udp dnat to 10.180.0.1:53
  `));
});

test("nftables: an endpoint replaced is an element change only; a new count rewrites the one map rule", () => {
  const three = () => planProxy(testInput(services, slices(["10.180.0.1", "10.180.0.2", "10.180.0.3"])));
  const swapped = planProxy(testInput(services, slices(["10.180.0.1", "10.180.0.7"])));
  assert.equal(planNftablesUpdate(two(), swapped).script, dedent(`
    delete element ip kube-proxy endpoints-udp-bf { 1519632385 }
    delete element ip kube-proxy hairpin-endpoints { 10.180.0.2 . 10.180.0.2 }
    add element ip kube-proxy endpoints-udp-bf { 1519632385 : 10.180.0.7 . 53 }
    add element ip kube-proxy hairpin-endpoints { 10.180.0.7 . 10.180.0.7 }
  `));
  assert.equal(planNftablesUpdate(two(), three()).script, dedent(`
    flush chain ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns
    add rule ip kube-proxy service-X5NJHU2V-ns1/dns/udp/dns meta l4proto udp dnat ip addr . port to numgen random mod 3 offset 1519632384 map @endpoints-udp-bf
    add element ip kube-proxy endpoints-udp-bf { 1519632386 : 10.180.0.3 . 53 }
    add element ip kube-proxy hairpin-endpoints { 10.180.0.3 . 10.180.0.3 }
  `));
  // From one endpoint (no map yet for this service) the map is declared; "add map" of an existing one is a no-op.
  assert.match(planNftablesUpdate(one(), two()).script, /^add map ip kube-proxy endpoints-udp-bf \{ typeof numgen random mod 1 : ip daddr \. udp dport ;/m);
});

test("nftables: two service ports whose hashes share an endpoint-map slot keep their endpoints as rules, and change form together", () => {
  // svc-205 and svc-10508 (port p80/tcp in ns1) share shard and slot: found by search, checked here.
  const mk = (name: string, ip: string) => makeService("ns1", name, (s) => { s.spec.clusterIP = ip; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }]; });
  const sl = (name: string, ips: string[]) => makeSlice("ns1", name, 1, ips.map((a) => ({ addresses: [a] })), [{ name: "p80", port: 80, protocol: "TCP" }]);
  const a = mk("svc-205", "172.30.1.1");
  const b = mk("svc-10508", "172.30.1.2");
  const both = planProxy(testInput([a, b], [sl("svc-205", ["10.1.0.1", "10.1.0.2"]), sl("svc-10508", ["10.1.0.3", "10.1.0.4"])]));
  const [ka, kb] = both.services.map((sp) => serviceSlotKey(sp));
  assert.equal(ka, kb, "the fixture's two services must collide");
  const text = renderNftables(both);
  assert.doesNotMatch(text, / @?endpoints-[a-z]+-[0-9a-f]{2} |numgen random mod 2 offset/);
  assert.match(text, /service-\S+-ns1\/svc-205\/tcp\/p80 numgen random mod 2 == 0 meta l4proto tcp dnat to 10\.1\.0\.1:80/);
  // svc-10508 goes away: svc-205 alone in its slot moves to the map form in the same update.
  const alone = planProxy(testInput([a], [sl("svc-205", ["10.1.0.1", "10.1.0.2"])]));
  const u = planNftablesUpdate(both, alone, { changed: ["ns1/svc-10508"] });
  assert.deepEqual(u.changedServices?.sort(), ["ns1/svc-10508", "ns1/svc-205"]);
  assert.match(u.script, /add rule ip kube-proxy service-\S+-ns1\/svc-205\/tcp\/p80 meta l4proto tcp dnat ip addr \. port to numgen random mod 2 offset \d+ map @endpoints-/);
  assert.equal(applyNftText([text, u.script]), applyNftText([renderNftables(alone)]));
  // And back: the newcomer's collision sends svc-205 back to rules.
  const back = planNftablesUpdate(alone, both, { changed: ["ns1/svc-10508"] });
  assert.equal(applyNftText([renderNftables(alone), back.script]), applyNftText([text]));
});

test("nftables: equal slots in different protocols' maps are no collision", () => {
  // svc-21145 (tcp p80) and dns-2972 (udp p53) share shard and slot, each in its protocol's maps.
  const tcp = makeService("ns1", "svc-21145", (s) => { s.spec.clusterIP = "172.30.2.1"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }]; });
  const udp = makeService("ns1", "dns-2972", (s) => { s.spec.clusterIP = "172.30.2.2"; s.spec.ports = [{ name: "p53", port: 53, protocol: "UDP" }]; });
  const plan = planProxy(testInput([tcp, udp], [
    makeSlice("ns1", "svc-21145", 1, [{ addresses: ["10.1.0.1"] }, { addresses: ["10.1.0.2"] }], [{ name: "p80", port: 80, protocol: "TCP" }]),
    makeSlice("ns1", "dns-2972", 1, [{ addresses: ["10.1.0.3"] }, { addresses: ["10.1.0.4"] }], [{ name: "p53", port: 53, protocol: "UDP" }]),
  ]));
  const [a, b] = plan.services.map((sp) => serviceSlotKey(sp));
  assert.equal(a, b, "the fixture's two services must share a slot key");
  const text = renderNftables(plan);
  assert.match(text, /svc-21145\/tcp\/p80 meta l4proto tcp dnat ip addr \. port to numgen random mod 2 offset \d+ map @endpoints-tcp-/);
  assert.match(text, /dns-2972\/udp\/p53 meta l4proto udp dnat ip addr \. port to numgen random mod 2 offset \d+ map @endpoints-udp-/);
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
