// The lab's partial restore: top-level chains edited rule by rule, per-service chains rewritten.
import { test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "../plan.js";
import { planIptablesUpdate } from "../changes.js";
import { chainEditsRestore, parseRestore } from "./chain-edits.js";
import { makeService, makeSlice, testInput } from "../test-fixtures.js";
import type { EndpointSlice, Service } from "../../api/types.js";

const OPTS = { host: { randomFully: false, nfacct: false, conntrackTCPLiberal: false }, masqueradeMark: "0x4000", topLevel: "edit" as const };
const svc = (ns: string, name: string, ip: string, port: number) =>
  makeService(ns, name, (s) => { s.spec.clusterIP = ip; s.spec.ports = [{ name: "p", port, protocol: "TCP" }]; });
const slice = (ns: string, name: string, ips: string[], port: number) => makeSlice(ns, name, 1, ips.map((ip) => ({ addresses: [ip] })), [{ name: "p", port, protocol: "TCP" }]);

test("parseRestore splits tables, declarations, rules and other commands", () => {
  const t = parseRestore("*nat\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A A -m comment --comment \"x y\" -j RETURN\n-X C\nCOMMIT\n");
  const nat = t.get("nat")!;
  assert.deepEqual(nat.chains, ["A", "B"]);
  assert.deepEqual(nat.rules.get("A"), ["-j B", '-m comment --comment "x y" -j RETURN']);
  assert.deepEqual(nat.other, ["-X C"]);
});

test("an endpoint change rewrites only the service's chains: no top-level rule, no filter table", () => {
  const services: Service[] = [svc("ns1", "a", "172.30.0.41", 80), svc("ns1", "b", "172.30.0.42", 80)];
  const p = planProxy(testInput(services, [slice("ns1", "a", ["10.0.1.1"], 80), slice("ns1", "b", ["10.0.2.1"], 80)]));
  const q = planProxy(testInput(services, [slice("ns1", "a", ["10.0.1.2"], 80), slice("ns1", "b", ["10.0.2.1"], 80)]));
  const u = planIptablesUpdate(p, q, OPTS);
  assert.equal(u.kind, "partial");
  assert.deepEqual(u.changedServices, ["ns1/a"]);
  assert.ok(!u.restore.includes("*filter"));
  assert.ok(!u.restore.includes("KUBE-SERVICES"), u.restore);
  assert.ok(!u.restore.includes("ns1/b"));
  assert.match(u.restore, /^\*nat\n:KUBE-SEP-\S+ - \[0:0\]\n/);
  assert.ok(u.restore.includes("-A KUBE-SEP-") && u.restore.includes("--to-destination 10.0.1.2:80"));
  assert.ok(u.restore.endsWith(`-X ${u.deletedChains[0]}\nCOMMIT\n`));
});

test("a new service is inserted at the top of KUBE-SERVICES, a deleted one is removed with -D", () => {
  const a = svc("ns1", "a", "172.30.0.41", 80);
  const b = svc("ns2", "b", "172.30.0.42", 8080);
  const sa = slice("ns1", "a", ["10.0.1.1"], 80);
  const sb = slice("ns2", "b", ["10.0.2.1", "10.0.2.2"], 8080);
  const one = planProxy(testInput([a], [sa]));
  const two = planProxy(testInput([a, b], [sa, sb]));
  const add = planIptablesUpdate(one, two, OPTS).restore;
  const rule = '-m comment --comment "ns2/b:p cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 8080 -j KUBE-SVC-';
  assert.ok(add.includes(`\n-I KUBE-SERVICES 1 ${rule}`), add);
  assert.ok(!add.includes("ns1/a"));
  const del = planIptablesUpdate(two, one, OPTS);
  assert.ok(del.restore.includes(`\n-D KUBE-SERVICES ${rule}`), del.restore);
  assert.equal(del.deletedChains.length, 3); // SVC + 2 SEP
  // -D before the chains it jumps to are deleted
  assert.ok(del.restore.indexOf("-D KUBE-SERVICES") < del.restore.indexOf("-X "));
});

test("losing every endpoint moves the service from nat KUBE-SERVICES to a filter REJECT", () => {
  const a = svc("ns1", "a", "172.30.0.41", 80);
  const p = planProxy(testInput([a], [slice("ns1", "a", ["10.0.1.1"], 80)]));
  const q = planProxy(testInput([a], [slice("ns1", "a", [], 80)]));
  const r = planIptablesUpdate(p, q, OPTS).restore;
  assert.ok(r.includes('*filter\n-I KUBE-SERVICES 1 -m comment --comment "ns1/a:p has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT\nCOMMIT\n'), r);
  assert.ok(r.includes('-D KUBE-SERVICES -m comment --comment "ns1/a:p cluster IP"'));
});

test("several new rules keep their rendered order; nothing to do gives an empty restore", () => {
  const before = "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j X\nCOMMIT\n";
  const after = "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j A\n-A KUBE-SERVICES -j B\n-A KUBE-SERVICES -j X\nCOMMIT\n";
  assert.equal(chainEditsRestore(before, after), "*nat\n-I KUBE-SERVICES 1 -j B\n-I KUBE-SERVICES 1 -j A\nCOMMIT\n");
  assert.equal(chainEditsRestore(after, after), "");
});
