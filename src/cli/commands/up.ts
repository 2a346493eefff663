// `netlab up`: build a lab from manifests and keep it running (foreground: Ctrl-C takes it
// down; --detach: a background daemon, `netlab down` ends it).
import { parseArgs } from "node:util";
import { spawn } from "node:child_process";
import { mkdir, open as openFile, writeFile } from "node:fs/promises";
import { loadObjectsOrExit } from "../load.js";
import { table } from "../output.js";
import { DEFAULT_SETTINGS, SETTINGS_FLAGS } from "../../cluster/settings.js";
import { settingsFromValues, nodesFromValues, OptionError } from "../../offline/cli-options.js";
import { validateLabName, type PodNetworkMode, type ProxyMode } from "../../lab/address-plan.js";
import { startLab } from "../../daemon/lab.js";
import { labStateDir, pidAlive, readJson, type LabStatus } from "../../daemon/state.js";
import { removeLab } from "../../daemon/cleanup.js";
import { systemRunner } from "../../lab/exec.js";
import { runChecks, fixMissing } from "../../lab/doctor.js";

const HELP = `Usage: netlab up -f PATH... [options]

Builds a cluster network in namespaces from the manifests, waits until every Pod is Running
and Ready, every node's rules are programmed and DNS answers, and prints a summary.

Options:
  -f, --filename PATH          manifest file or directory; repeatable
      --name LAB               lab name (default netlab); namespaces are named nl-LAB-*
      --nodes N                number of nodes (default 3)
      --proxy-mode MODE        iptables (default) or nftables
      --pod-network MODE       vxlan (default) or routed
      --detach                 run the lab in a background daemon
      --fix                    install missing Debian packages first (netlab doctor --fix)
      --no-ingress             do not start the ingress-nginx add-on (started when nginx is installed)
      --timeout SECONDS        how long to wait for ready (default 120)
${Object.entries(SETTINGS_FLAGS).map(([f, k]) => `      --${f.padEnd(24)} (default ${DEFAULT_SETTINGS[k]})`).join("\n")}
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      filename: { type: "string", short: "f", multiple: true },
      name: { type: "string", default: "netlab" },
      nodes: { type: "string" },
      "proxy-mode": { type: "string", default: "iptables" },
      "pod-network": { type: "string", default: "vxlan" },
      detach: { type: "boolean" },
      fix: { type: "boolean" },
      "no-ingress": { type: "boolean" },
      timeout: { type: "string", default: "120" },
      help: { type: "boolean", short: "h" },
      ...Object.fromEntries(Object.keys(SETTINGS_FLAGS).map((f) => [f, { type: "string" as const }])),
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const name = String(values.name);
  const nameErr = validateLabName(name);
  if (nameErr) return usageError(nameErr);
  const proxyMode = String(values["proxy-mode"]);
  if (proxyMode !== "iptables" && proxyMode !== "nftables") return usageError(`invalid --proxy-mode "${proxyMode}": want iptables or nftables`);
  const podNetwork = String(values["pod-network"]);
  if (podNetwork !== "vxlan" && podNetwork !== "routed") return usageError(`invalid --pod-network "${podNetwork}": want vxlan or routed`);
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) return usageError(`invalid --timeout "${values.timeout}": want seconds > 0`);
  let settings, nodes;
  try {
    settings = settingsFromValues(values as unknown as Record<string, string>);
    nodes = values.nodes === undefined ? 3 : nodesFromValues(values as unknown as Record<string, string>);
  } catch (e) {
    if (e instanceof OptionError) return usageError(e.message);
    throw e;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("netlab up: needs root (it creates network namespaces, veth pairs and rules inside them). Run it with sudo, or as root.\n");
    return 1;
  }
  // The machine: binaries and kernel features; --fix installs the missing Debian packages.
  let checks = await runChecks({ quick: true });
  let missing = checks.filter((c) => !c.ok);
  if (missing.length && values.fix) {
    await fixMissing(missing, (l) => process.stderr.write(`${l}\n`));
    checks = await runChecks({ quick: true });
    missing = checks.filter((c) => !c.ok);
  }
  if (missing.length) {
    for (const c of missing) process.stderr.write(`missing: ${c.name}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ""}\n`);
    process.stderr.write("run `netlab doctor --fix` (or `netlab up --fix`) to install what is missing\n");
    return 1;
  }
  const objects = await loadObjectsOrExit((values.filename ?? []) as string[]);
  const stateDir = labStateDir(name);
  const prev = await readJson<LabStatus>(`${stateDir}/status.json`);
  if (prev && prev.pid !== process.pid && pidAlive(prev.pid) && !process.env.NETLAB_DAEMON_CHILD) {
    process.stderr.write(`lab "${name}" is already running (pid ${prev.pid}); see \`netlab status --name ${name}\`, or \`netlab down --name ${name}\` first\n`);
    return 1;
  }

  if (values.detach) return detach(argv, name, stateDir, timeoutS);

  const child = !!process.env.NETLAB_DAEMON_CHILD;
  const progress = (m: string) => process.stderr.write(`${m}\n`);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(`${stateDir}/daemon.pid`, `${process.pid}\n`);
  let lab: Awaited<ReturnType<typeof startLab>> | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    progress(`taking lab "${name}" down`);
    const timer = setTimeout(() => process.exit(code), 15_000);
    try {
      await lab?.stop(true);
    } finally {
      await removeLab(systemRunner, name, stateDir).catch(() => {});
      clearTimeout(timer);
      process.exit(code);
    }
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  try {
    const ingress = checks.some((c) => c.name === "nginx" && c.ok) && !values["no-ingress"];
    lab = await startLab({ name, nodes, podNetwork: podNetwork as PodNetworkMode, proxyMode: proxyMode as ProxyMode, settings, objects, stateDir, progress, ingress, log: (m) => process.stderr.write(`${m}\n`) });
    const ms = await lab.waitReady(timeoutS * 1000);
    if (!child) process.stdout.write(summary(lab.status(), ms, lab.adopted));
    else progress(`ready in ${ms} ms`);
  } catch (e) {
    process.stderr.write(`netlab up: ${(e as Error).message}\n`);
    if (child) {
      const st = lab?.status();
      await writeFile(`${stateDir}/status.json`, JSON.stringify({ ...(st ?? {}), name, phase: "failed", pid: process.pid, message: (e as Error).message }));
    }
    await shutdown(1);
    return 1;
  }
  if (!child) process.stderr.write("lab running in the foreground; Ctrl-C takes it down\n");
  await new Promise(() => {}); // until a signal
  return 0;
}

function usageError(m: string): number {
  process.stderr.write(`netlab up: ${m}\n`);
  return 1;
}

async function detach(argv: string[], name: string, stateDir: string, timeoutS: number): Promise<number> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(`${stateDir}/status.json`, JSON.stringify({ name, phase: "starting", pid: 0 }));
  const log = await openFile(`${stateDir}/daemon.log`, "a");
  const args = [process.argv[1], "up", ...argv.filter((a) => a !== "--detach")];
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", log.fd, log.fd], env: { ...process.env, NETLAB_DAEMON_CHILD: "1" } });
  child.unref();
  await log.close();
  const end = Date.now() + timeoutS * 1000 + 5000;
  const t0 = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    const st = await readJson<LabStatus>(`${stateDir}/status.json`);
    if (st?.phase === "ready" && st.pid === child.pid) {
      process.stdout.write(summary(st, st.readyAfterMs ?? Date.now() - t0, false));
      process.stdout.write(`daemon pid ${child.pid}; log ${stateDir}/daemon.log; \`netlab down --name ${name}\` ends it\n`);
      return 0;
    }
    if (st?.phase === "failed" || (child.exitCode !== null && child.exitCode !== 0)) {
      process.stderr.write(`netlab up: the daemon failed: ${st?.message ?? `exit ${child.exitCode}`}; see ${stateDir}/daemon.log\n`);
      return 1;
    }
  }
  process.stderr.write(`netlab up: the daemon did not become ready in ${timeoutS} s; see ${stateDir}/daemon.log\n`);
  return 1;
}

export function summary(st: LabStatus, ms: number, adopted: boolean): string {
  const out: string[] = [];
  out.push(`lab "${st.name}" ${adopted ? "adopted and " : ""}ready in ${(ms / 1000).toFixed(1)} s: ${st.nodes.length} nodes, pod network ${st.podNetwork}, proxy ${st.proxyMode}\n`);
  out.push(table(["NODE", "INTERNAL-IP", "POD-CIDR"], st.nodes.map((n) => [n.name, n.ip, n.podCIDR])));
  out.push("\n");
  const pods = [...st.pods].sort((a, b) => (a.namespace + a.name < b.namespace + b.name ? -1 : 1));
  out.push(table(["NAMESPACE", "POD", "NODE", "IP", "READY"], pods.map((p) => [p.namespace, p.name, p.node, p.ip, p.ready ? "1/1" : "0/1"])));
  out.push("\n");
  const svcs = [...st.services].sort((a, b) => (a.namespace + a.name < b.namespace + b.name ? -1 : 1));
  out.push(table(["NAMESPACE", "SERVICE", "TYPE", "CLUSTER-IP", "EXTERNAL", "PORTS"], svcs.map((s) => [s.namespace, s.name, s.type, s.clusterIP || "None", s.external || "<none>", s.ports])));
  out.push(`\nkubeconfig: ${st.kubeconfig}\n`);
  const lb = st.services.find((s) => s.type === "LoadBalancer" && s.external);
  const np = st.services.find((s) => s.type === "NodePort");
  out.push("try:\n");
  out.push(`  netlab exec${st.name !== "netlab" ? ` --name ${st.name}` : ""} egress-client -- curl -s my-service\n`);
  if (np) out.push(`  netlab exec${st.name !== "netlab" ? ` --name ${st.name}` : ""} lan -- curl -s ${st.nodes[0]?.ip}:${np.ports.split(",")[0].split(":")[1]?.split("/")[0]}\n`);
  const ing = st.services.find((s) => s.namespace === "netlab-ingress" && s.external);
  if (ing) out.push(`  netlab exec${st.name !== "netlab" ? ` --name ${st.name}` : ""} external -- curl -s -H 'Host: foo.bar.com' ${ing.external.split(",")[0]}/foo\n`);
  if (lb) out.push(`  netlab exec${st.name !== "netlab" ? ` --name ${st.name}` : ""} external -- curl -s ${lb.external.split(",")[0]}\n`);
  out.push(`  KUBECONFIG=${st.kubeconfig} kubectl get pods -o wide\n`);
  return out.join("");
}
