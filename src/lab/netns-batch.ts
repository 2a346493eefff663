// `ip netns add` for Pods set up at the same time, in one `ip -force -batch` (one process for
// many sandboxes). Group commit: a request starts a batch at once when none is running, else it
// joins the next one, which starts when the running one ends; so a lone Pod waits for nothing.
// With -force, ip goes on after a failed line and reports it as "Command failed -:LINE", which
// tells each caller its own outcome.
import { CommandError, NETNS_NAME, type Runner } from "./exec.js";

interface Waiter {
  name: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Lines of a batch that failed, with the error text ip printed before each "Command failed -:N". */
export function failedBatchLines(stderr: string): Map<number, string> {
  const out = new Map<number, string>();
  let text: string[] = [];
  for (const l of stderr.split("\n")) {
    const m = /^Command failed -:(\d+)$/.exec(l.trim());
    if (m) {
      out.set(Number(m[1]), text.join("\n").trim());
      text = [];
    } else if (l.trim()) text.push(l);
  }
  return out;
}

export class NetnsBatcher {
  private queue: Waiter[] = [];
  private running = false;

  constructor(
    private readonly runner: Runner,
    private readonly maxBatch = 64,
  ) {}

  /** Creates the named network namespace (as `ip netns add NAME`). */
  add(name: string): Promise<void> {
    if (!NETNS_NAME.test(name)) return Promise.reject(new Error(`invalid network namespace name "${name}"`));
    return new Promise((resolve, reject) => {
      this.queue.push({ name, resolve, reject });
      void this.kick();
    });
  }

  private async kick(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.maxBatch);
    const args = ["-force", "-batch", "-"];
    try {
      const res = await this.runner.run("ip", args, { input: batch.map((w) => `netns add ${w.name}\n`).join("") });
      const failed = failedBatchLines(res.stderr);
      batch.forEach((w, i) => {
        const err = failed.get(i + 1);
        // ip -force exits 1 when lines failed and it went on to the end; any other failure
        // (killed mid-batch, say) leaves the lines it did not name unknown: they fail too.
        if (err === undefined && (res.code === 0 || (res.code === 1 && failed.size > 0))) w.resolve();
        else w.reject(new CommandError("ip", ["netns", "add", w.name], { code: res.code || 1, stdout: "", stderr: err ?? res.stderr }));
      });
    } catch (e) {
      for (const w of batch) w.reject(e as Error);
    } finally {
      this.running = false;
      void this.kick();
    }
  }
}
