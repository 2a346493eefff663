// Loads the rendered rules into a real kernel, inside a scratch network namespace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createScratchNetns, deleteNetns, inNetns, kernelSkipReason } from "./kernel-check.js";
import { planProxy } from "./plan.js";
import { renderIptables } from "./iptables/render.js";
import { baseRuleCommands } from "./iptables/base-rules.js";
import { renderNftables } from "./nftables/render.js";
import { planIptablesUpdate, planNftablesUpdate } from "./changes.js";
import { makeService, makeSlice, testInput, TEST_NODE } from "./test-fixtures.js";
import type { Endpoint } from "../api/types.js";

const skip = kernelSkipReason();
if (skip) console.log(`# kernel tests skipped: ${skip}`);

const tcp80 = [{ name: "p80", port: 80, protocol: "TCP" as const }];
function input(svc2Endpoints: Endpoint[], svc1Endpoints: Endpoint[] = [{ addresses: ["10.180.0.1"] }, { addresses: ["10.180.0.2"] }]) {
  const services = [
    makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }, { name: "dns", port: 53, protocol: "UDP" }, { name: "sc", port: 9, protocol: "SCTP" }]; }),
    makeService("ns2", "svc2", (s) => {
      s.spec.type = "LoadBalancer"; s.spec.externalTrafficPolicy = "Local"; s.spec.clusterIP = "172.30.0.42";
      s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3001 }];
      s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } }; s.spec.externalIPs = ["192.168.99.22"]; s.spec.healthCheckNodePort = 30000;
    }),
    makeService("ns5", "svc5", (s) => {
      s.spec.type = "LoadBalancer"; s.spec.clusterIP = "172.30.0.45"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3002 }];
      s.status = { loadBalancer: { ingress: [{ ip: "5.6.7.8" }] } }; s.spec.loadBalancerSourceRanges = ["203.0.113.0/25"];
      s.spec.sessionAffinity = "ClientIP"; s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }),
    makeService("ns6", "svc6", (s) => { s.spec.clusterIP = "172.30.0.46"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }]; }),
  ];
  const slices = [
    makeSlice("ns1", "svc1", 1, svc1Endpoints, [...tcp80, { name: "dns", port: 53, protocol: "UDP" }, { name: "sc", port: 9, protocol: "SCTP" }]),
    makeSlice("ns2", "svc2", 1, svc2Endpoints, tcp80),
    makeSlice("ns5", "svc5", 1, [{ addresses: ["10.180.0.3"] }, { addresses: ["10.180.0.4"] }], tcp80),
  ];
  return testInput(services, slices);
}

test("iptables: restore --test, real --noflush restore, base jumps and a partial restore", { skip }, (t) => {
  const ns = createScratchNetns();
  t.after(() => deleteNetns(ns));
  const before = planProxy(input([{ addresses: ["10.180.0.7"], nodeName: TEST_NODE }, { addresses: ["10.180.0.8"] }]));
  const after = planProxy(input([{ addresses: ["10.180.0.8"] }]));
  const text = renderIptables(before);
  let r = inNetns(ns, "iptables-restore", ["--test", "--noflush"], text);
  assert.equal(r.status, 0, r.stderr);
  // kube-proxy's own order (what the lab applies).
  r = inNetns(ns, "iptables-restore", ["--test", "--noflush"], renderIptables(before, { order: "restore" }));
  assert.equal(r.status, 0, r.stderr);
  r = inNetns(ns, "iptables-restore", ["--noflush"], text);
  assert.equal(r.status, 0, r.stderr);
  for (const c of baseRuleCommands()) {
    inNetns(ns, "iptables", c.ensureChain);
    if (inNetns(ns, "iptables", c.check).status !== 0) {
      const ins = inNetns(ns, "iptables", c.insert);
      assert.equal(ins.status, 0, `${c.insert.join(" ")}: ${ins.stderr}`);
    }
    assert.equal(inNetns(ns, "iptables", c.check).status, 0, c.check.join(" "));
  }
  const u = planIptablesUpdate(before, after);
  assert.equal(u.kind, "partial");
  r = inNetns(ns, "iptables-restore", ["--test", "--noflush"], planIptablesUpdate(before, after, { order: "restore" }).restore);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(u.deletedChains.length > 0);
  r = inNetns(ns, "iptables-restore", ["--noflush"], u.restore);
  assert.equal(r.status, 0, r.stderr);
  const saved = inNetns(ns, "iptables-save", ["-t", "nat"]).stdout;
  for (const c of u.deletedChains) assert.ok(!saved.includes(`:${c} `), `${c} still exists`);
  assert.ok(saved.includes("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"));
});

function normalizedTable(ns: string): string[] {
  const out = inNetns(ns, "nft", ["list", "table", "ip", "kube-proxy"]);
  assert.equal(out.status, 0, out.stderr);
  // Element order inside a set is the kernel's; compare the set of lines.
  return out.stdout
    .split("\n")
    .flatMap((l) => (l.includes("elements = {") || /^\s+[0-9a-z].* : (goto|drop|jump|\S+ \. \d+)/.test(l) ? l.replace(/elements = \{|\}/g, "").split(",") : [l]))
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

function emptyEndpointMaps(ns: string): string[] {
  const out = inNetns(ns, "nft", ["-j", "list", "table", "ip", "kube-proxy"]);
  assert.equal(out.status, 0, out.stderr);
  const items = (JSON.parse(out.stdout) as { nftables: { map?: { name: string; elem?: unknown[] } }[] }).nftables;
  return items.flatMap((i) => (i.map && i.map.name.startsWith("endpoints-") && !i.map.elem?.length ? [i.map.name] : []));
}

test("nftables: nft -c, nft -f (twice), and an update transaction equals a fresh load", { skip }, (t) => {
  const ns = createScratchNetns();
  const fresh = createScratchNetns();
  t.after(() => {
    deleteNetns(ns);
    deleteNetns(fresh);
  });
  const before = planProxy(input([{ addresses: ["10.180.0.7"], nodeName: TEST_NODE }, { addresses: ["10.180.0.8"] }]));
  const after = planProxy(input([{ addresses: ["10.180.0.8"] }, { addresses: ["10.180.0.9"], nodeName: TEST_NODE }]));
  const text = renderNftables(before);
  let r = inNetns(ns, "nft", ["-c", "-f", "-"], text);
  assert.equal(r.status, 0, r.stderr);
  r = inNetns(ns, "nft", ["-f", "-"], text);
  assert.equal(r.status, 0, r.stderr);
  r = inNetns(ns, "nft", ["-f", "-"], text); // a full render replaces the table
  assert.equal(r.status, 0, r.stderr);
  // Then svc1 (tcp, udp and sctp ports, endpoints in the shared maps) grows to three
  // endpoints and shrinks to one: its map rules are rewritten against maps nft reads back.
  const svc2 = [{ addresses: ["10.180.0.8"] }, { addresses: ["10.180.0.9"], nodeName: TEST_NODE }];
  const grown = planProxy(input(svc2, [{ addresses: ["10.180.0.1"] }, { addresses: ["10.180.0.2"] }, { addresses: ["10.180.0.5"] }]));
  const single = planProxy(input(svc2, [{ addresses: ["10.180.0.5"] }]));
  let prev = before;
  for (const next of [after, grown, single, grown]) {
    const u = planNftablesUpdate(prev, next);
    assert.equal(u.kind, "partial");
    r = inNetns(ns, "nft", ["-f", "-"], u.script);
    assert.equal(r.status, 0, `${r.stderr}\n${u.script}`);
    r = inNetns(fresh, "nft", ["-f", "-"], renderNftables(next));
    assert.equal(r.status, 0, r.stderr);
    // Shared endpoint maps stay when their last user leaves (a fresh load declares only used ones).
    for (const m of emptyEndpointMaps(ns)) assert.equal(inNetns(ns, "nft", ["delete", "map", "ip", "kube-proxy", m]).status, 0);
    assert.deepEqual(normalizedTable(ns), normalizedTable(fresh));
    prev = next;
  }
  // upstream's anonymous-vmap form loads too
  r = inNetns(fresh, "nft", ["-f", "-"], renderNftables(after, { endpointSelection: "vmap" }));
  assert.equal(r.status, 0, r.stderr);
});

/** iptables-save of kube-proxy's tables, rules grouped by chain; service rules in top-level chains sorted (edits may order them differently). */
function savedRules(ns: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const table of ["filter", "nat"]) {
    const r = inNetns(ns, "iptables-save", ["-t", table]);
    assert.equal(r.status, 0, r.stderr);
    for (const l of r.stdout.split("\n")) {
      const m = /^(?::(\S+)|-A (\S+) (.*))/.exec(l);
      if (!m) continue;
      const key = `${table}/${m[1] ?? m[2]}`;
      (out[key] ??= []);
      if (m[3] !== undefined) out[key].push(m[3]);
    }
  }
  for (const k of ["filter/KUBE-SERVICES", "filter/KUBE-EXTERNAL-SERVICES", "filter/KUBE-NODEPORTS", "filter/KUBE-PROXY-FIREWALL", "nat/KUBE-NODEPORTS"]) out[k]?.sort();
  const svcs = out["nat/KUBE-SERVICES"];
  if (svcs) {
    const last = svcs.pop()!;
    assert.match(last, /KUBE-NODEPORTS/, "the jump to KUBE-NODEPORTS stays last");
    out["nat/KUBE-SERVICES"] = [...svcs.sort(), last];
  }
  return out;
}

test("iptables: chain edits (the lab's partial restores) leave what a fresh full restore leaves", { skip }, (t) => {
  const ns = createScratchNetns();
  const fresh = createScratchNetns();
  t.after(() => {
    deleteNetns(ns);
    deleteNetns(fresh);
  });
  const base = input([{ addresses: ["10.180.0.7"], nodeName: TEST_NODE }, { addresses: ["10.180.0.8"] }]);
  const lb = makeService("ns7", "svc7", (s) => {
    s.spec.type = "LoadBalancer"; s.spec.clusterIP = "172.30.0.47"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3007 }];
    s.status = { loadBalancer: { ingress: [{ ip: "5.6.7.9" }] } }; s.spec.loadBalancerSourceRanges = ["203.0.113.0/25"];
  });
  const steps = [
    base,
    input([{ addresses: ["10.180.0.8"] }, { addresses: ["10.180.0.9"], nodeName: TEST_NODE }]), // endpoints move
    input([]), // svc2 loses every endpoint: REJECT / DROP rules in filter
    { ...base, services: base.services.filter((s) => s.metadata.name !== "svc5"), endpointSlices: base.endpointSlices.filter((s) => !s.metadata.name!.startsWith("svc5")) }, // svc5 deleted
    { ...base, services: [...base.services, lb], endpointSlices: [...base.endpointSlices, makeSlice("ns6", "svc6", 1, [{ addresses: ["10.180.0.6"] }], tcp80), makeSlice("ns7", "svc7", 1, [{ addresses: ["10.180.0.10"] }], tcp80)] }, // svc6 gets endpoints, svc7 added
    base,
  ];
  let prev = planProxy(steps[0]);
  // Applied as the lab does (order "restore"), compared with sorted full restores.
  let r = inNetns(ns, "iptables-restore", ["--noflush"], renderIptables(prev, { order: "restore" }));
  assert.equal(r.status, 0, r.stderr);
  for (let i = 1; i < steps.length; i++) {
    const next = planProxy(steps[i]);
    const u = planIptablesUpdate(prev, next, { topLevel: "edit", order: "restore" });
    assert.equal(u.kind, "partial");
    r = inNetns(ns, "iptables-restore", ["--noflush"], u.restore);
    assert.equal(r.status, 0, `step ${i}: ${r.stderr}\n${u.restore}`);
    inNetns(fresh, "iptables", ["-t", "nat", "-F"]);
    inNetns(fresh, "iptables", ["-t", "nat", "-X"]);
    inNetns(fresh, "iptables", ["-t", "filter", "-F"]);
    inNetns(fresh, "iptables", ["-t", "filter", "-X"]);
    r = inNetns(fresh, "iptables-restore", ["--noflush"], renderIptables(next));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(savedRules(ns), savedRules(fresh), `step ${i}`);
    prev = next;
  }
});
