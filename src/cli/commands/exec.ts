// `netlab exec TARGET -- CMD...`: run a program of this machine inside the lab: in a Pod
// (its namespace, environment and resolv.conf), a node, the external network or the lan.
import { parseArgs } from "node:util";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { labStateDir, readJson, type LabRecord } from "../../daemon/state.js";
import { labPrefix, validateLabName } from "../../lab/address-plan.js";
import { podStateDir } from "../../agent/agent.js";

const HELP = `Usage: netlab exec [--name LAB] [-n NAMESPACE] [-c CONTAINER] TARGET -- COMMAND [ARGS...]

TARGET: pod/NAME or NAME (a Pod, with its environment and resolv.conf), node/NAME, external, lan, fabric.
`;

export interface ExecPlan {
  argv: string[];
  env: Record<string, string>;
}

interface Sandbox {
  netns: string;
  podIP: string;
  hostNetwork: boolean;
  nodeNetns: string;
}

const BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The command line that runs `cmd` in the target (pure except for reading the lab's files). */
export async function execPlan(lab: string, target: string, namespace: string, container: string | undefined, cmd: string[]): Promise<ExecPlan | { error: string }> {
  const prefix = labPrefix(lab);
  const base = { PATH: BASE_PATH, HOME: process.env.HOME ?? "/root", TERM: process.env.TERM ?? "xterm" };
  if (["external", "lan", "fabric"].includes(target)) return { argv: ["ip", "netns", "exec", `${prefix}${target}`, ...cmd], env: base };
  if (target.startsWith("node/")) return { argv: ["ip", "netns", "exec", `${prefix}${target.slice(5)}`, ...cmd], env: base };
  const name = target.startsWith("pod/") ? target.slice(4) : target.startsWith("pods/") ? target.slice(5) : target;
  if (name.includes("/")) return { error: `unknown target "${target}": want pod/NAME, NAME, node/NAME, external, lan or fabric` };
  const dir = podStateDir(labStateDir(lab), namespace, name);
  const sb = await readJson<Sandbox>(`${dir}/sandbox.json`);
  if (!sb) return { error: `pod "${name}" not found in namespace "${namespace}" of lab "${lab}" (or it has no sandbox yet)` };
  const envs = (await readJson<Record<string, { name: string; value: string }[]>>(`${dir}/env.json`)) ?? {};
  const cname = container ?? Object.keys(envs)[0];
  if (container && !envs[container]) return { error: `container "${container}" not found in pod "${name}"` };
  const env: Record<string, string> = { ...base, HOSTNAME: name };
  for (const e of envs[cname] ?? []) env[e.name] = e.value;
  if (!sb.hostNetwork) return { argv: ["ip", "netns", "exec", sb.netns, ...cmd], env };
  // hostNetwork: the node's namespace, with the Pod's own resolv.conf bound over /etc/resolv.conf
  // (ip netns exec gives the command a private mount namespace, so the bind stays there).
  return { argv: ["ip", "netns", "exec", sb.netns, "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"', `${dir}/resolv.conf`, ...cmd], env };
}

export async function run(argv: string[]): Promise<number> {
  const dd = argv.indexOf("--");
  const own = dd === -1 ? argv : argv.slice(0, dd);
  const cmd = dd === -1 ? [] : argv.slice(dd + 1);
  const { values, positionals } = parseArgs({
    args: own,
    options: { name: { type: "string", default: "netlab" }, namespace: { type: "string", short: "n", default: "default" }, container: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1 || cmd.length === 0) {
    process.stderr.write(`netlab exec: want one TARGET and a command after --\n${HELP}`);
    return 1;
  }
  const lab = String(values.name);
  const err = validateLabName(lab);
  if (err) {
    process.stderr.write(`netlab exec: ${err}\n`);
    return 1;
  }
  if (!(await readJson<LabRecord>(`${labStateDir(lab)}/lab.json`))) {
    process.stderr.write(`netlab exec: lab "${lab}" is not running (netlab up --name ${lab})\n`);
    return 1;
  }
  const p = await execPlan(lab, positionals[0], String(values.namespace), values.container, cmd);
  if ("error" in p) {
    process.stderr.write(`netlab exec: ${p.error}\n`);
    return 1;
  }
  const ns = p.argv[3];
  if (!existsSync(`/run/netns/${ns}`)) {
    process.stderr.write(`netlab exec: namespace ${ns} does not exist (is the target part of lab "${lab}"?)\n`);
    return 1;
  }
  return new Promise((resolve) => {
    const child = spawn(p.argv[0], p.argv.slice(1), { stdio: "inherit", env: p.env });
    child.on("error", (e) => {
      process.stderr.write(`netlab exec: ${e.message}\n`);
      resolve(127);
    });
    child.on("exit", (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}
