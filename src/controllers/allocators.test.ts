import { test } from "node:test";
import assert from "node:assert/strict";
import { planNodeCIDRs } from "./node-ipam.js";
import { allocatePodIP } from "./pod-ips.js";
import { allocateLoadBalancerIP } from "./load-balancer-ips.js";
import { node, service } from "./testing.js";

test("node IPAM: node N gets 10.244.N.0/24 in creation order, existing CIDRs kept", () => {
  const plan = planNodeCIDRs([node("node-1"), node("node-2", { podCIDR: "10.244.2.0/24" }), node("node-3"), node("node-4")], "10.244.0.0/16", 24);
  assert.deepEqual(Object.fromEntries(plan.assignments), {
    "node-1": { cidr: "10.244.1.0/24" },
    "node-3": { cidr: "10.244.3.0/24" },
    "node-4": { cidr: "10.244.4.0/24" },
  });
});

test("node IPAM: other ranges, mask sizes, exhaustion and bad input", () => {
  const cases: [string, number, number, (string | undefined)[]][] = [
    ["10.0.0.0/8", 16, 2, ["10.1.0.0/16", "10.2.0.0/16"]],
    ["192.168.0.0/24", 26, 4, ["192.168.0.64/26", "192.168.0.128/26", "192.168.0.192/26", undefined]],
  ];
  for (const [cidr, mask, n, want] of cases) {
    const nodes = Array.from({ length: n }, (_, i) => node(`n${i}`));
    const got = nodes.map((x) => {
      const r = planNodeCIDRs(nodes, cidr, mask).assignments.get(x.metadata.name!)!;
      return "cidr" in r ? r.cidr : undefined;
    });
    assert.deepEqual(got, want, cidr);
  }
  const bad = planNodeCIDRs([node("a")], "10.244.0.0/33", 24).assignments.get("a")!;
  assert.ok("error" in bad);
});

test("pod IPs: from .2 up, skipping used ones", () => {
  const cases: [string, string[], string][] = [
    ["10.244.1.0/24", [], "10.244.1.2"],
    ["10.244.1.0/24", ["10.244.1.2", "10.244.1.3", "10.244.2.4"], "10.244.1.4"],
    ["10.244.3.0/24", ["10.244.3.3"], "10.244.3.2"],
  ];
  for (const [cidr, used, want] of cases) assert.deepEqual(allocatePodIP(cidr, used), { ip: want });
  // A /29 has .2-.6 for Pods (.7 is broadcast).
  const used = ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"];
  assert.deepEqual(allocatePodIP("10.0.0.0/29", used), { ip: "10.0.0.6" });
  assert.deepEqual(allocatePodIP("10.0.0.0/29", [...used, "10.0.0.6"]), { error: "no IP addresses available in range set: 10.0.0.2-10.0.0.6" });
});

test("LoadBalancer pool: skips .0/.1, used and externalIPs; honours loadBalancerIP", () => {
  const lb = (ip?: string) => service("lb", { type: "LoadBalancer", loadBalancerIP: ip, ports: [{ port: 80 }] });
  const pool = "198.51.100.0/24";
  const cases: { name: string; svc: ReturnType<typeof lb>; used: string[]; reserved: string[]; want: string | "error" }[] = [
    { name: "first free", svc: lb(), used: [], reserved: [], want: "198.51.100.2" },
    { name: "skip used", svc: lb(), used: ["198.51.100.2"], reserved: [], want: "198.51.100.3" },
    { name: "skip externalIPs", svc: lb(), used: ["198.51.100.2"], reserved: ["198.51.100.3"], want: "198.51.100.4" },
    { name: "requested and free", svc: lb("198.51.100.200"), used: [], reserved: [], want: "198.51.100.200" },
    { name: "requested but used", svc: lb("198.51.100.2"), used: ["198.51.100.2"], reserved: [], want: "error" },
    { name: "requested outside pool", svc: lb("10.0.0.1"), used: [], reserved: [], want: "error" },
    { name: "requested fabric address", svc: lb("198.51.100.1"), used: [], reserved: [], want: "error" },
  ];
  for (const c of cases) {
    const r = allocateLoadBalancerIP(c.svc, pool, new Set(c.used), new Set(c.reserved));
    assert.equal("ip" in r ? r.ip : "error", c.want, c.name);
  }
  const tiny = allocateLoadBalancerIP(lb(), "198.51.100.0/30", new Set(["198.51.100.2"]), new Set());
  assert.ok("error" in tiny);
});
