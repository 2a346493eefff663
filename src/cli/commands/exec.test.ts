import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { execPlan } from "./exec.js";

test("netlab exec: targets map to the lab's namespaces; a Pod brings its environment (hostNetwork: its own resolv.conf bound)", async (t) => {
  const home = await mkdtemp(`${tmpdir()}/nlt-exec-`);
  t.after(() => rm(home, { recursive: true, force: true }));
  process.env.NETLAB_HOME = home;
  const pod = async (name: string, hostNetwork: boolean) => {
    const dir = `${home}/demo/pods/default_${name}`;
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/sandbox.json`, JSON.stringify({ netns: hostNetwork ? "nl-demo-node-1" : `nl-demo-pod-${name}`, podIP: "10.244.1.2", hostNetwork, nodeNetns: "nl-demo-node-1" }));
    await writeFile(`${dir}/env.json`, JSON.stringify({ shell: [{ name: "REDIS_MASTER_SERVICE_HOST", value: "10.96.1.2" }] }));
  };
  await pod("env-reader", false);
  await pod("dns-hostnet", true);
  const lan = await execPlan("demo", "lan", "default", undefined, ["curl", "x"]);
  assert.ok(!("error" in lan));
  assert.deepEqual(lan.argv, ["ip", "netns", "exec", "nl-demo-lan", "curl", "x"]);
  const node = await execPlan("demo", "node/node-2", "default", undefined, ["ip", "route"]);
  assert.ok(!("error" in node) && node.argv[3] === "nl-demo-node-2");
  const p = await execPlan("demo", "pod/env-reader", "default", undefined, ["env"]);
  assert.ok(!("error" in p));
  assert.deepEqual(p.argv, ["ip", "netns", "exec", "nl-demo-pod-env-reader", "env"]);
  assert.equal(p.env.REDIS_MASTER_SERVICE_HOST, "10.96.1.2");
  assert.equal(p.env.HOSTNAME, "env-reader");
  const h = await execPlan("demo", "dns-hostnet", "default", undefined, ["cat", "/etc/resolv.conf"]);
  assert.ok(!("error" in h));
  assert.deepEqual(h.argv.slice(0, 6), ["ip", "netns", "exec", "nl-demo-node-1", "sh", "-c"]);
  assert.equal(h.argv[7], `${home}/demo/pods/default_dns-hostnet/resolv.conf`);
  assert.deepEqual(await execPlan("demo", "nope", "default", undefined, ["x"]), { error: 'pod "nope" not found in namespace "default" of lab "demo" (or it has no sandbox yet)' });
  assert.deepEqual(await execPlan("demo", "pod/env-reader", "default", "other", ["x"]), { error: 'container "other" not found in pod "env-reader"' });
});
