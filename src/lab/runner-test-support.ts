// Shared by the tests of the two ways the lab runs a program (systemRunner, the netns helper).
import type { CommandResult, Runner } from "./exec.js";

/**
 * Runs a program that exits at once but leaves a child (`sleep 30 &`) holding its stdout open,
 * then ends that child by the PID the program printed. The result and that PID (0 if none).
 */
export async function runLeavingChild(r: Pick<Runner, "run">): Promise<{ result: CommandResult; orphan: number }> {
  const result = await r.run("sh", ["-c", "sleep 30 & echo $!"], { timeoutMs: 5000 });
  const pid = Number(result.stdout.trim());
  const orphan = Number.isInteger(pid) && pid > 1 ? pid : 0;
  if (orphan) {
    try {
      process.kill(orphan, "SIGKILL");
    } catch {
      // gone
    }
  }
  return { result, orphan };
}
