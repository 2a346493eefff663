// `netlab down`: remove a lab and everything it made, also after its daemon was killed.
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { validateLabName } from "../../lab/address-plan.js";
import { labStateDir, pidAlive, readJson, type LabStatus } from "../../daemon/state.js";
import { removeLab } from "../../daemon/cleanup.js";
import { systemRunner } from "../../lab/exec.js";
import { listLabNamespaces } from "../../lab/topology.js";
import { labPrefix } from "../../lab/address-plan.js";

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { name: { type: "string", default: "netlab" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write("Usage: netlab down [--name LAB]\n\nStops the lab's daemon and removes its namespaces, processes and files.\n");
    return 0;
  }
  const name = String(values.name);
  const err = validateLabName(name);
  if (err) {
    process.stderr.write(`netlab down: ${err}\n`);
    return 1;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("netlab down: needs root (it deletes network namespaces)\n");
    return 1;
  }
  const dir = labStateDir(name);
  const st = await readJson<LabStatus>(`${dir}/status.json`);
  const pidText = await readJson<number>(`${dir}/daemon.pid`);
  const pids = [st?.pid, pidText].filter((p): p is number => typeof p === "number" && p > 0 && p !== process.pid);
  const t0 = Date.now();
  // A live daemon takes its lab down itself on SIGTERM; wait for it (bounded), then sweep.
  let stoppedDaemon = 0;
  for (const pid of new Set(pids)) {
    if (!pidAlive(pid)) continue;
    stoppedDaemon = pid;
    process.kill(pid, "SIGTERM");
    const end = Date.now() + 15_000;
    while (pidAlive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    if (pidAlive(pid)) process.kill(pid, "SIGKILL");
  }
  const had = (await listLabNamespaces(systemRunner, labPrefix(name))).length;
  if (!had && !existsSync(dir)) {
    process.stdout.write(stoppedDaemon ? `lab "${name}" removed (daemon ${stoppedDaemon} took it down, ${((Date.now() - t0) / 1000).toFixed(1)} s)\n` : `lab "${name}" is not running (nothing to remove)\n`);
    return 0;
  }
  const r = await removeLab(systemRunner, name, dir);
  process.stdout.write(`lab "${name}" removed: ${r.namespaces.length} namespaces, ${r.processes} processes, state ${dir} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  return 0;
}
