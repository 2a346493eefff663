// Shared CLI output: aligned tables (kubectl's column style) and errors that name what is wrong.

/** Columns separated by three spaces, as kubectl prints them. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? "").padEnd(widths[i]))).join("   ").trimEnd()).join("\n") + "\n";
}

export function fail(message: string): never {
  throw new UsageError(message);
}

export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * What the CLI prints for an error that ended a command: the message of an input error as
 * `error: ...`; a programming error (TypeError, ReferenceError) said to be one, so nobody
 * hunts for a mistake in their manifests. The stack with debug (NETLAB_DEBUG=1).
 */
export function cliErrorText(err: unknown, debug: boolean): string {
  const msg = err instanceof Error ? err.message : String(err);
  // Only the engine's own (no code): Node's argument checks are TypeErrors too, with an ERR_*
  // code, and may be about input (ERR_INVALID_URL for a kubeconfig's server: "Invalid URL").
  const internal = (err instanceof TypeError || err instanceof ReferenceError) && (err as { code?: unknown }).code === undefined;
  let out = internal ? `internal error: ${msg} (a bug in netlab, not in the input${debug ? "" : "; NETLAB_DEBUG=1 prints where"})\n` : `error: ${msg}\n`;
  if (debug && err instanceof Error && err.stack) out += `${err.stack}\n`;
  return out;
}
