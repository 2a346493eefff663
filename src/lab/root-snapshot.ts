// A snapshot of the root network namespace's state, to prove the lab leaves it untouched.
import { mustRun, type Runner } from "./exec.js";

const COMMANDS: [string, string[]][] = [
  ["ip", ["-d", "link"]],
  ["ip", ["addr"]],
  ["ip", ["route", "show", "table", "all"]],
  ["ip", ["rule"]],
  ["nft", ["list", "ruleset"]],
];

export async function snapshotRootNamespace(r: Runner): Promise<string> {
  const parts: string[] = [];
  for (const [cmd, args] of COMMANDS) {
    const out = await mustRun(r, cmd, args);
    // Link statistics and neighbour-dependent fields do not change with the lab; byte counters are not printed without -s.
    parts.push(`### ${cmd} ${args.join(" ")}\n${out}`);
  }
  return parts.join("\n");
}
