// `netlab status`: the running lab (nodes, Pods, Services) from the daemon's status file.
import { parseArgs } from "node:util";
import { table } from "../output.js";
import { labStateDir, pidAlive, readJson, type LabStatus } from "../../daemon/state.js";
import { validateLabName } from "../../lab/address-plan.js";

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { name: { type: "string", default: "netlab" }, output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write("Usage: netlab status [--name LAB] [-o json]\n");
    return 0;
  }
  const name = String(values.name);
  const err = validateLabName(name);
  if (err) {
    process.stderr.write(`netlab status: ${err}\n`);
    return 1;
  }
  if (values.output !== undefined && values.output !== "json") {
    process.stderr.write(`netlab status: unknown output format "${values.output}": want json\n`);
    return 1;
  }
  const st = await readJson<LabStatus>(`${labStateDir(name)}/status.json`);
  const alive = pidAlive(st?.pid);
  if (!st || !alive) {
    if (values.output === "json") process.stdout.write(JSON.stringify({ name, phase: st ? "stopped" : "absent", daemonRunning: false }, null, 2) + "\n");
    else process.stdout.write(st ? `lab "${name}": daemon (pid ${st.pid}) is not running; \`netlab down --name ${name}\` removes what is left\n` : `lab "${name}" is not running\n`);
    return st ? 1 : 3;
  }
  if (values.output === "json") {
    process.stdout.write(JSON.stringify({ ...st, daemonRunning: true }, null, 2) + "\n");
    return 0;
  }
  const ready = st.pods.filter((p) => p.ready).length;
  process.stdout.write(`lab "${st.name}": ${st.phase}, daemon pid ${st.pid}, pod network ${st.podNetwork}, proxy ${st.proxyMode}, ${st.nodes.length} nodes, ${ready}/${st.pods.length} Pods ready, ${st.services.length} Services\n`);
  process.stdout.write(`kubeconfig: ${st.kubeconfig}\n\n`);
  process.stdout.write(table(["NODE", "INTERNAL-IP", "POD-CIDR", "NETNS"], st.nodes.map((n) => [n.name, n.ip, n.podCIDR, n.netns])));
  process.stdout.write("\n");
  const pods = [...st.pods].sort((a, b) => (a.namespace + "/" + a.name < b.namespace + "/" + b.name ? -1 : 1));
  process.stdout.write(table(["NAMESPACE", "POD", "NODE", "IP", "STATUS", "READY"], pods.map((p) => [p.namespace, p.name, p.node, p.ip, p.phase, p.ready ? "1/1" : "0/1"])));
  return 0;
}
