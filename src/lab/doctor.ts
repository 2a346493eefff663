// Checks that this machine can run a lab: root, the programs the lab calls (and the Debian
// package of each), the CNI reference plugins, and kernel features tried for real inside a
// throw-away namespace (netns, veth, bridge, vxlan, nf_tables, iptables-nft, conntrack,
// br_netfilter). `--fix` installs the missing packages with apt-get.
import { access } from "node:fs/promises";
import { constants, existsSync } from "node:fs";
import { systemRunner, type Runner } from "./exec.js";
import { findPython, PYTHON_REQUIREMENTS_PY } from "./netns-helper.js";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Debian package that provides it. */
  pkg?: string;
  fix?: string;
  /** Missing but not required (the lab works without, with a stated limitation). */
  optional?: boolean;
}

const PROGRAMS: [string, string][] = [
  ["ip", "iproute2"],
  ["bridge", "iproute2"],
  ["nft", "nftables"],
  ["iptables-restore", "iptables"],
  ["iptables-save", "iptables"],
  ["conntrack", "conntrack"],
  ["curl", "curl"],
  ["dig", "dnsutils"],
  ["ping", "iputils-ping"],
  ["sysctl", "procps"],
  ["nsenter", "util-linux"],
];
const CNI_PLUGINS = ["bridge", "host-local", "loopback", "portmap"];
const SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

async function which(p: string): Promise<string | undefined> {
  for (const d of `${process.env.PATH ?? ""}:${SBIN_PATH}`.split(":").filter(Boolean)) {
    try {
      await access(`${d}/${p}`, constants.X_OK);
      return `${d}/${p}`;
    } catch {
      // next
    }
  }
  return undefined;
}

export async function runChecks(opts: { quick?: boolean; runner?: Runner } = {}): Promise<Check[]> {
  const r = opts.runner ?? systemRunner;
  const out: Check[] = [];
  const root = process.getuid?.() === 0;
  out.push({ name: "root", ok: root, detail: root ? "running as root" : "network namespaces need root", fix: "run as root (sudo)" });
  for (const [prog, pkg] of PROGRAMS) {
    const at = await which(prog);
    out.push({ name: prog, ok: !!at, detail: at ?? "not found", pkg, fix: `apt-get install ${pkg}` });
  }
  for (const p of CNI_PLUGINS) {
    const at = ["/usr/lib/cni", "/opt/cni/bin"].map((d) => `${d}/${p}`).find((f) => existsSync(f));
    out.push({ name: `cni/${p}`, ok: !!at, detail: at ?? "not found in /usr/lib/cni or /opt/cni/bin", pkg: "containernetworking-plugins", fix: "apt-get install containernetworking-plugins" });
  }
  const nginx = await which("nginx");
  out.push({ name: "nginx", ok: !!nginx, detail: nginx ?? "not found (Ingress needs it)", pkg: "nginx-light", fix: "apt-get install nginx-light", optional: true });
  out.push(await pythonCheck(r, opts.quick));
  if (opts.quick || !root || out.some((c) => !c.ok && !c.optional)) return out;

  // Kernel features, tried in a namespace of our own.
  const ns = `nl-doctor-${process.pid}`;
  const tryIn = async (name: string, cmd: string, args: string[], input?: string, fix?: string) => {
    const res = await r.run(cmd, args, { input, timeoutMs: 5000 });
    out.push({ name, ok: res.code === 0, detail: res.code === 0 ? "ok" : (res.stderr || res.stdout).trim().split("\n")[0], fix });
  };
  const add = await r.run("ip", ["netns", "add", ns]);
  out.push({ name: "kernel: network namespaces", ok: add.code === 0, detail: add.code === 0 ? "ok" : add.stderr.trim(), fix: "a kernel with CONFIG_NET_NS" });
  if (add.code !== 0) return out;
  try {
    await tryIn("kernel: veth", "ip", ["-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"], undefined, "CONFIG_VETH (modprobe veth)");
    await tryIn("kernel: bridge", "ip", ["-n", ns, "link", "add", "b0", "type", "bridge"], undefined, "CONFIG_BRIDGE (modprobe bridge)");
    await tryIn("kernel: vxlan", "ip", ["-n", ns, "link", "add", "x0", "type", "vxlan", "id", "1", "dstport", "8472", "local", "127.0.0.1"], undefined, "CONFIG_VXLAN (modprobe vxlan); or use --pod-network routed");
    await tryIn("kernel: nf_tables", "ip", ["netns", "exec", ns, "nft", "-f", "-"], "table ip netlab_doctor {\n chain c {\n  type nat hook postrouting priority srcnat; policy accept;\n  masquerade\n }\n}\n", "CONFIG_NF_TABLES + nft_masq");
    await tryIn("kernel: iptables (nft backend)", "ip", ["netns", "exec", ns, "iptables", "-t", "nat", "-A", "POSTROUTING", "-m", "statistic", "--mode", "random", "--probability", "0.5", "-j", "MASQUERADE"], undefined, "xt_statistic, iptables-nft");
    await tryIn("kernel: conntrack", "ip", ["netns", "exec", ns, "conntrack", "-L"], undefined, "CONFIG_NF_CONNTRACK_NETLINK");
    const brnf = existsSync("/proc/sys/net/bridge/bridge-nf-call-iptables");
    out.push({
      name: "kernel: br_netfilter",
      ok: brnf,
      optional: true,
      detail: brnf ? "bridge-nf-call-iptables present (set per node namespace)" : "missing: hairpin relies on the bridge plugin's hairpinMode only",
      fix: "modprobe br_netfilter",
    });
  } finally {
    await r.run("ip", ["netns", "del", ns]);
  }
  return out;
}

const WITHOUT_PYTHON = "programs then start from Node helper processes, and each Pod's sockets cost a Node helper (~30 ms of CPU per Pod)";

/** The python3 the netns helper would run with, and (unless quick) whether it can: the helper's own requirements check. */
async function pythonCheck(r: Runner, quick?: boolean): Promise<Check> {
  const check = { name: "python3", optional: true };
  const python = findPython();
  if (!python) return { ...check, ok: false, pkg: "python3", fix: "apt-get install python3 (3.9 or later, on Linux 5.3 or later)", detail: `not found: ${WITHOUT_PYTHON}` };
  if (quick) return { ...check, ok: true, detail: python };
  const res = await r.run(python, ["-c", PYTHON_CHECK_PY], { timeoutMs: 5000 });
  if (res.code === 0) return { ...check, ok: true, detail: `${python} (${res.stdout.trim()})` };
  const why = (res.stderr || res.stdout).trim().split("\n").slice(-1)[0] || `exit ${res.code}`;
  // Installed but too old (or the kernel is): no package to install fixes that here.
  return { ...check, ok: false, fix: "a python3 of 3.9 or later on Linux 5.3 or later (first on PATH)", detail: `${python} cannot run the netns helper: ${why}; ${WITHOUT_PYTHON}` };
}

/** What doctor runs: the helper's own requirements check, then the version it found. */
export const PYTHON_CHECK_PY = `${PYTHON_REQUIREMENTS_PY}\nprint("Python %d.%d.%d" % sys.version_info[:3])`;

export async function fixMissing(checks: Check[], log: (l: string) => void, runner: Runner = systemRunner): Promise<boolean> {
  const pkgs = [...new Set(checks.filter((c) => !c.ok && c.pkg).map((c) => c.pkg!))].sort();
  if (!pkgs.length) return true;
  if (process.getuid?.() !== 0) {
    log("cannot install packages: not root");
    return false;
  }
  log(`installing: ${pkgs.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" } as Record<string, string>;
  const up = await runner.run("apt-get", ["update", "-qq"], { env, timeoutMs: 300_000 });
  if (up.code !== 0) log(`apt-get update failed: ${up.stderr.trim().split("\n")[0]}`);
  const res = await runner.run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...pkgs], { env, timeoutMs: 600_000 });
  if (res.code !== 0) log(`apt-get install failed: ${res.stderr.trim().split("\n").slice(-3).join(" ")}`);
  return res.code === 0;
}
