import { test } from "node:test";
import assert from "node:assert/strict";
import { RecordingRunner, mustNsExec, nsExec, systemRunner } from "../lab/exec.js";
import { CniError, cniAdd, cniDel, parsePluginOutput, pluginStdin, resultIPv4, type CniConfList } from "./cni.js";
import { planLab } from "../lab/address-plan.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { buildTopology, destroyLab } from "../lab/topology.js";
import { CNI_PLUGIN_DIRS, loopbackConfList, podNetworkConfList } from "../lab/cni-config.js";
import { kernelSkipReason, uniqueLabName } from "../lab/kernel-test-support.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";

const list: CniConfList = {
  cniVersion: "1.0.0",
  name: "net",
  plugins: [{ type: "bridge", bridge: "cbr0" }, { type: "portmap", capabilities: { portMappings: true } }],
};
const rt = { containerID: "abc", netns: "/run/netns/x", ifName: "eth0", args: [["K8S_POD_NAME", "p"]] as [string, string][], capabilityArgs: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: "tcp" }] } };

test("ADD runs plugins in order with CNI_* env, config on stdin and prevResult chaining; DEL runs in reverse", async () => {
  const r = new RecordingRunner((c) => ({ stdout: JSON.stringify({ cniVersion: "1.0.0", ips: [{ address: "10.244.1.5/24" }], from: c.args.at(-1) }) }));
  const res = await cniAdd({ runner: r, pluginDirs: ["/usr/lib/cni"], execNetns: "node-ns" }, list, rt);
  assert.equal(resultIPv4(res), "10.244.1.5");
  assert.deepEqual(r.lines(), ["nsenter --net=/run/netns/node-ns -- /usr/lib/cni/bridge", "nsenter --net=/run/netns/node-ns -- /usr/lib/cni/portmap"]);
  const first = JSON.parse(r.calls[0].input!);
  const second = JSON.parse(r.calls[1].input!);
  assert.equal(first.prevResult, undefined);
  assert.equal(first.runtimeConfig, undefined);
  assert.equal(first.name, "net");
  assert.equal(second.prevResult.from, "/usr/lib/cni/bridge");
  assert.deepEqual(second.runtimeConfig, { portMappings: rt.capabilityArgs.portMappings });
  const env = r.calls[0].env!;
  assert.deepEqual(
    [env.CNI_COMMAND, env.CNI_CONTAINERID, env.CNI_NETNS, env.CNI_IFNAME, env.CNI_ARGS, env.CNI_PATH],
    ["ADD", "abc", "/run/netns/x", "eth0", "K8S_POD_NAME=p", "/usr/lib/cni"],
  );
  r.calls.length = 0;
  await cniDel({ runner: r, pluginDirs: ["/usr/lib/cni"] }, list, rt, res);
  assert.deepEqual(r.lines(), ["/usr/lib/cni/portmap", "/usr/lib/cni/bridge"]);
  assert.equal(r.calls[0].env!.CNI_COMMAND, "DEL");
});

test("a plugin's error object becomes a CniError naming plugin, code and message", async () => {
  const r = new RecordingRunner(() => ({ code: 1, stdout: '{"cniVersion":"1.0.0","code":7,"msg":"failed to allocate","details":"range full"}' }));
  await assert.rejects(cniAdd({ runner: r, pluginDirs: ["/usr/lib/cni"] }, list, rt), (e: unknown) => e instanceof CniError && e.code === 7 && /bridge ADD failed \(code 7\): failed to allocate: range full/.test(e.message));
  assert.ok(parsePluginOutput("x", "ADD", 0, "not json", "") instanceof CniError);
  await assert.rejects(cniAdd({ runner: r, pluginDirs: ["/nonexistent"] }, list, rt), /failed to find plugin "bridge"/);
  assert.deepEqual(pluginStdin(list, list.plugins[1], { ...rt, capabilityArgs: undefined }).runtimeConfig, undefined);
});

test("kernel: Debian's bridge + host-local + portmap attach Pods on two nodes that reach each other without NAT", { skip: kernelSkipReason() }, async (t) => {
  const r = systemRunner;
  const plan = planLab({ lab: uniqueLabName("c"), nodes: 2, settings: DEFAULT_SETTINGS, podNetwork: "vxlan" });
  const dir = await mkdtemp(`${tmpdir()}/nlt-cni-`);
  t.after(async () => {
    await destroyLab(r, plan.prefix);
    await rm(dir, { recursive: true, force: true });
  });
  await buildTopology(r, plan);
  const ips: string[] = [];
  for (const n of plan.nodes) {
    const ns = `${plan.prefix}pod-${n.index}`;
    await r.run("ip", ["netns", "add", ns]);
    const inv = { runner: r, pluginDirs: CNI_PLUGIN_DIRS, execNetns: n.netns };
    const prt = { containerID: ns, netns: `/run/netns/${ns}`, ifName: "eth0" };
    await cniAdd(inv, loopbackConfList(), { ...prt, ifName: "lo" });
    const res = await cniAdd(inv, podNetworkConfList(plan, n, `${dir}/${n.name}`), prt);
    ips.push(resultIPv4(res)!);
    assert.match(await mustNsExec(r, ns, "ip", ["link", "show", "eth0"]), /mtu 1450/);
  }
  assert.equal(ips[0], "10.244.1.2");
  assert.equal(ips[1], "10.244.2.2");
  assert.equal((await nsExec(r, `${plan.prefix}pod-1`, "ping", ["-c1", "-W1", "-q", ips[1]])).code, 0);
  const n1 = plan.nodes[0];
  await cniDel({ runner: r, pluginDirs: CNI_PLUGIN_DIRS, execNetns: n1.netns }, podNetworkConfList(plan, n1, `${dir}/${n1.name}`), { containerID: `${plan.prefix}pod-1`, netns: `/run/netns/${plan.prefix}pod-1`, ifName: "eth0" });
  assert.doesNotMatch(await mustNsExec(r, `${plan.prefix}pod-1`, "ip", ["link"]), /eth0/);
});
