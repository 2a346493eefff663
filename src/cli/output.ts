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
