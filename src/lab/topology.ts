// The lab's topology: fabric, nodes, external, lan, all inside namespaces named with the
// lab's prefix. `plan*` functions are pure (command batches as data); `buildTopology` and
// `destroyLab` are the thin edges that run them. The root namespace gets nothing: every `ip`
// batch below runs with `-n <lab namespace>` except `netns add/del`, which only creates or
// removes the namespace files in /run/netns.
import { readdir, rm } from "node:fs/promises";
import type { LabPlan, NodePlan } from "./address-plan.js";
import { ipBatch, mustNsExec, mustRun, type Runner } from "./exec.js";

export interface NamespaceBatch {
  netns: string;
  ip: string[];
  /** `bridge -batch` lines (static VXLAN FDB entries). */
  bridge: string[];
  sysctl: string[];
  /** One nft transaction with the namespace's base rules. */
  nft: string;
}

export interface TopologyPlan {
  namespaces: string[];
  /** The fabric first (it creates the veth pairs whose peers the other batches configure). */
  fabric: NamespaceBatch;
  others: NamespaceBatch[];
}

function batch(netns: string): NamespaceBatch {
  return { netns, ip: ["link set lo up"], bridge: [], sysctl: [], nft: "" };
}

export function planTopology(p: LabPlan): TopologyPlan {
  const f = batch(p.fabric.netns);
  const nn = p.nodeNetwork;
  f.ip.push(`link add ${p.fabric.bridge} type bridge`, `addr add ${nn.gateway}/${nn.prefixLength} dev ${p.fabric.bridge}`, `link set ${p.fabric.bridge} up`);
  for (const n of p.nodes) f.ip.push(`link add ${n.fabricLink} type veth peer name eth0 netns ${n.netns}`, `link set ${n.fabricLink} master ${p.fabric.bridge} up`);
  f.ip.push(`link add ${p.lan.fabricLink} type veth peer name eth0 netns ${p.lan.netns}`, `link set ${p.lan.fabricLink} master ${p.fabric.bridge} up`);
  f.ip.push(
    `link add ${p.fabric.externalLink} type veth peer name eth0 netns ${p.external.netns}`,
    `addr add ${p.fabric.externalIP}/24 dev ${p.fabric.externalLink}`,
    `link set ${p.fabric.externalLink} up`,
  );
  // routed mode: the fabric "programs in" each node's podCIDR (host-gw); vxlan: it knows nothing of pods.
  if (p.podNetwork === "routed") for (const n of p.nodes) f.ip.push(`route add ${n.podCIDR} via ${n.ip}`);
  f.sysctl.push("net.ipv4.ip_forward=1");
  f.nft = [
    "table ip netlab {",
    "  chain postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
    // The second NAT: node addresses leave for the internet as the fabric's public address.
    `    ip saddr ${nn.cidr} oifname "${p.fabric.externalLink}" snat to ${p.fabric.publicIP}`,
    "  }",
    "  chain forward {",
    "    type filter hook forward priority filter; policy accept;",
    // Node addresses are not public: the internet reaches the node network only through the load balancer's DNAT.
    "    ct state established,related accept",
    `    iifname "${p.fabric.externalLink}" ct status dnat accept`,
    `    iifname "${p.fabric.externalLink}" ip daddr { ${nn.cidr}, ${p.clusterCIDR} } drop`,
    "  }",
    "}",
    "",
  ].join("\n");

  const others: NamespaceBatch[] = p.nodes.map((n) => planNode(p, n));
  const lan = batch(p.lan.netns);
  lan.ip.push(`addr add ${p.lan.ip}/${nn.prefixLength} dev eth0`, "link set eth0 up", `route add default via ${nn.gateway}`);
  others.push(lan);
  const ext = batch(p.external.netns);
  ext.ip.push(`addr add ${p.external.ip}/24 dev eth0`, `addr add ${p.external.dnsIP}/24 dev eth0`, `addr add ${p.external.webIP}/24 dev eth0`);
  for (const a of p.external.extraIPs) ext.ip.push(`addr add ${a}/24 dev eth0`);
  ext.ip.push("link set eth0 up");
  for (const r of p.external.routedViaFabric) ext.ip.push(`route add ${r} via ${p.fabric.externalIP}`);
  others.push(ext);
  return { namespaces: [f.netns, ...others.map((o) => o.netns)], fabric: f, others };
}

function planNode(p: LabPlan, n: NodePlan): NamespaceBatch {
  const b = batch(n.netns);
  const nn = p.nodeNetwork;
  const podLen = n.podCIDR.split("/")[1];
  b.ip.push(`addr add ${n.ip}/${nn.prefixLength} dev eth0`, "link set eth0 up", `route add default via ${nn.gateway}`);
  // cbr0 is made here (not lazily by the first CNI ADD) so a node without Pods still routes its podCIDR;
  // the bridge plugin adopts it (same name, same gateway address).
  b.ip.push(`link add cbr0 type bridge`, `addr add ${n.bridgeIP}/${podLen} dev cbr0`, `link set cbr0 up`);
  const remotes = p.nodes.filter((o) => o !== n);
  if (p.podNetwork === "routed") {
    for (const o of remotes) b.ip.push(`route add ${o.podCIDR} via ${o.ip}`);
  } else {
    b.ip.push(
      `link add flannel.1 address ${n.vxlanMac} type vxlan id 1 local ${n.ip} dev eth0 dstport 8472 nolearning`,
      `link set flannel.1 mtu ${p.podMTU}`,
      `addr add ${n.vxlanIP}/32 dev flannel.1`,
      `link set flannel.1 up`,
    );
    for (const o of remotes) {
      b.ip.push(`neigh add ${o.vxlanIP} lladdr ${o.vxlanMac} dev flannel.1 nud permanent`, `route add ${o.podCIDR} via ${o.vxlanIP} dev flannel.1 onlink`);
      b.bridge.push(`fdb append ${o.vxlanMac} dev flannel.1 dst ${o.ip}`);
    }
  }
  // route_localnet: kube-proxy's iptables mode serves NodePorts on 127.0.0.1 (localhostNodePorts) and sets it too.
  b.sysctl.push("net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1", "net.ipv4.conf.all.route_localnet=1");
  b.nft = [
    "table ip netlab {",
    "  chain postrouting {",
    // After kube-proxy's own POSTROUTING (srcnat), like kubenet's/flannel's rule: Pods leaving the cluster CIDR are masqueraded to the node.
    "    type nat hook postrouting priority srcnat + 10; policy accept;",
    `    ip saddr ${p.clusterCIDR} ip daddr != ${p.clusterCIDR} masquerade`,
    "  }",
    "}",
    "",
  ].join("\n");
  return b;
}

async function applyBatch(r: Runner, b: NamespaceBatch): Promise<void> {
  await ipBatch(r, b.ip, b.netns);
  if (b.bridge.length) await mustRun(r, "bridge", ["-n", b.netns, "-batch", "-"], { input: b.bridge.join("\n") + "\n" });
  // -e: a kernel without br_netfilter lacks bridge-nf-call-iptables (the bridge plugin's hairpinMode covers hairpin then)
  if (b.sysctl.length) await mustNsExec(r, b.netns, "sysctl", ["-qew", ...b.sysctl]);
  if (b.nft) await mustNsExec(r, b.netns, "nft", ["-f", "-"], { input: b.nft });
}

/** Creates every namespace and link of the lab. The caller removes leftovers first (destroyLab). */
export async function buildTopology(r: Runner, p: LabPlan): Promise<void> {
  const t = planTopology(p);
  await ipBatch(r, t.namespaces.map((n) => `netns add ${n}`));
  await applyBatch(r, t.fabric);
  await Promise.all(t.others.map((b) => applyBatch(r, b)));
}

/** Names of existing namespaces with the prefix. */
export async function listLabNamespaces(r: Runner, prefix: string): Promise<string[]> {
  const out = await mustRun(r, "ip", ["netns", "list"]);
  return out
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(prefix))
    .sort();
}

/** Whether every namespace of the plan exists (a restarted daemon adopts them instead of rebuilding). */
export async function topologyPresent(r: Runner, p: LabPlan): Promise<boolean> {
  const have = new Set(await listLabNamespaces(r, p.prefix));
  return planTopology(p).namespaces.every((n) => have.has(n));
}

/**
 * Removes every namespace whose name starts with the prefix, and their /etc/netns dirs.
 * Deleting a namespace removes its links, addresses, routes and rules with it.
 */
export async function destroyLab(r: Runner, prefix: string, etcNetns = "/etc/netns"): Promise<string[]> {
  if (!/^nl-[a-z0-9-]+-$/.test(prefix)) throw new Error(`refusing to remove namespaces with prefix "${prefix}"`);
  const names = await listLabNamespaces(r, prefix);
  if (names.length) await ipBatch(r, names.map((n) => `netns del ${n}`));
  let dirs: string[] = [];
  try {
    dirs = (await readdir(etcNetns)).filter((d) => d.startsWith(prefix));
  } catch {
    // no /etc/netns: nothing to remove
  }
  await Promise.all(dirs.map((d) => rm(`${etcNetns}/${d}`, { recursive: true, force: true })));
  return names;
}
