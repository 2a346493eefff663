// Removing a lab, also when its daemon is gone (kill -9): end the processes that live in the
// lab's namespaces (container programs, nginx), delete the namespaces by prefix, remove the
// /etc/netns entries and the state directory. Only things named with the lab's prefix or
// inside its state directory are touched.
import { rm } from "node:fs/promises";
import { labPrefix } from "../lab/address-plan.js";
import type { Runner } from "../lab/exec.js";
import { destroyLab, listLabNamespaces } from "../lab/topology.js";

/** PIDs of processes inside the lab's namespaces (`ip netns pids`). */
export async function labProcesses(r: Runner, lab: string): Promise<number[]> {
  const out = new Set<number>();
  for (const ns of await listLabNamespaces(r, labPrefix(lab))) {
    const res = await r.run("ip", ["netns", "pids", ns]);
    for (const l of res.stdout.split("\n")) if (/^\d+$/.test(l.trim())) out.add(Number(l.trim()));
  }
  out.delete(process.pid);
  return [...out];
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const end = Date.now() + ms;
  let left = pids;
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    left = left.filter((p) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    });
  }
  return left;
}

export async function removeLab(r: Runner, lab: string, stateDir: string): Promise<{ namespaces: string[]; processes: number }> {
  const pids = await labProcesses(r, lab);
  for (const p of pids) {
    try {
      process.kill(p, "SIGTERM");
    } catch {
      // already gone
    }
  }
  const stubborn = await waitGone(pids, 2000);
  for (const p of stubborn) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // gone
    }
  }
  await waitGone(stubborn, 1000);
  const namespaces = await destroyLab(r, labPrefix(lab));
  await rm(stateDir, { recursive: true, force: true });
  return { namespaces, processes: pids.length };
}
