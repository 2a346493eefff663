import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { planLab, type PodNetworkMode } from "./address-plan.js";
import { RecordingRunner, mustNsExec, nsExec, systemRunner } from "./exec.js";
import { buildTopology, destroyLab, listLabNamespaces, planTopology } from "./topology.js";
import { snapshotRootNamespace } from "./root-snapshot.js";
import { kernelSkipReason, uniqueLabName } from "./kernel-test-support.js";

test("address plan: node N gets 172.18.0.(N+1) and 10.244.N.0/24; names carry the lab prefix", () => {
  const p = planLab({ lab: "demo", nodes: 3, settings: DEFAULT_SETTINGS, podNetwork: "vxlan", externalAddresses: ["203.0.113.42", "10.0.0.1"] });
  assert.deepEqual(
    p.nodes.map((n) => [n.name, n.netns, n.ip, n.podCIDR, n.bridgeIP, n.vxlanMac]),
    [
      ["node-1", "nl-demo-node-1", "172.18.0.2", "10.244.1.0/24", "10.244.1.1", "0e:6e:6c:00:00:01"],
      ["node-2", "nl-demo-node-2", "172.18.0.3", "10.244.2.0/24", "10.244.2.1", "0e:6e:6c:00:00:02"],
      ["node-3", "nl-demo-node-3", "172.18.0.4", "10.244.3.0/24", "10.244.3.1", "0e:6e:6c:00:00:03"],
    ],
  );
  assert.equal(p.podMTU, 1450);
  assert.deepEqual(p.external.extraIPs, ["203.0.113.42"]);
  assert.equal(p.fabric.publicIP, "198.51.100.1");
  assert.equal(p.lan.ip, "172.18.255.254");
  assert.throws(() => planLab({ lab: "Bad_Name", nodes: 1, settings: DEFAULT_SETTINGS, podNetwork: "routed" }), /invalid lab name "Bad_Name"/);
});

test("topology plan: vxlan nodes get flannel.1 with static FDB/neighbour/onlink routes; routed nodes get host-gw routes", () => {
  const vx = planTopology(planLab({ lab: "a", nodes: 2, settings: DEFAULT_SETTINGS, podNetwork: "vxlan" }));
  const n1 = vx.others.find((b) => b.netns === "nl-a-node-1")!;
  assert.ok(n1.ip.includes("link add flannel.1 address 0e:6e:6c:00:00:01 type vxlan id 1 local 172.18.0.2 dev eth0 dstport 8472 nolearning"));
  assert.ok(n1.ip.includes("neigh add 10.244.2.0 lladdr 0e:6e:6c:00:00:02 dev flannel.1 nud permanent"));
  assert.ok(n1.ip.includes("route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink"));
  assert.deepEqual(n1.bridge, ["fdb append 0e:6e:6c:00:00:02 dev flannel.1 dst 172.18.0.3"]);
  assert.match(n1.nft, /ip saddr 10\.244\.0\.0\/16 ip daddr != 10\.244\.0\.0\/16 masquerade/);
  assert.ok(!vx.fabric.ip.some((l) => l.startsWith("route add 10.244.")));
  const rt = planTopology(planLab({ lab: "a", nodes: 2, settings: DEFAULT_SETTINGS, podNetwork: "routed" }));
  assert.ok(rt.others.find((b) => b.netns === "nl-a-node-2")!.ip.includes("route add 10.244.1.0/24 via 172.18.0.2"));
  assert.ok(rt.fabric.ip.includes("route add 10.244.2.0/24 via 172.18.0.3"));
  assert.match(rt.fabric.nft, /ip saddr 172\.18\.0\.0\/16 oifname "ext0" snat to 198\.51\.100\.1/);
});

test("buildTopology runs every ip batch inside a lab namespace (never the root namespace)", async () => {
  const r = new RecordingRunner();
  await buildTopology(r, planLab({ lab: "a", nodes: 2, settings: DEFAULT_SETTINGS, podNetwork: "vxlan" }));
  for (const c of r.calls) {
    if (c.cmd === "ip" && c.args[0] === "-batch") assert.ok(c.input!.split("\n").every((l) => l === "" || l.startsWith("netns add nl-a-")), c.input);
    else if (c.cmd === "ip" || c.cmd === "bridge") assert.ok(c.args[0] === "-n" && /^nl-a-/.test(c.args[1]), c.args.join(" "));
    else if (c.cmd === "nsenter") assert.match(c.args[0], /^--net=\/run\/netns\/nl-a-/);
    else assert.fail(`unexpected command ${c.cmd}`);
  }
});

for (const mode of ["routed", "vxlan"] as PodNetworkMode[]) {
  test(`kernel: ${mode} topology connects nodes, lan and external; leaves the root namespace byte-identical`, { skip: kernelSkipReason() }, async (t) => {
    const r = systemRunner;
    const lab = uniqueLabName(mode.slice(0, 1));
    const p = planLab({ lab, nodes: 2, settings: DEFAULT_SETTINGS, podNetwork: mode, externalAddresses: ["203.0.113.42"] });
    const before = await snapshotRootNamespace(r);
    t.after(() => destroyLab(r, p.prefix));
    await buildTopology(r, p);
    const ping = (ns: string, ip: string) => nsExec(r, ns, "ping", ["-c1", "-W1", "-q", ip]);
    // node-1 reaches node-2's pod bridge across the pod network (routed or VXLAN)
    assert.equal((await ping(p.nodes[0].netns, p.nodes[1].bridgeIP)).code, 0);
    assert.equal((await ping(p.lan.netns, p.nodes[1].ip)).code, 0);
    assert.equal((await ping(p.nodes[0].netns, "203.0.113.42")).code, 0);
    // the internet cannot reach node addresses
    assert.notEqual((await ping(p.external.netns, p.nodes[0].ip)).code, 0);
    if (mode === "vxlan") assert.match(await mustNsExec(r, p.nodes[0].netns, "ip", ["-d", "link", "show", "flannel.1"]), /vxlan id 1 .*dstport 8472 nolearning/);
    await destroyLab(r, p.prefix);
    assert.deepEqual(await listLabNamespaces(r, p.prefix), []);
    assert.equal(await snapshotRootNamespace(r), before);
  });
}
