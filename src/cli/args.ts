// Argument parsing with the CLI's conventions, shared by every command: node:util parseArgs,
// a bad flag prints the error and the command's usage (exit 1), --help prints the usage (exit 0).
import { parseArgs, type ParseArgsConfig } from "node:util";

export type ParsedArgs<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/** The parsed arguments, or the exit code when the command is done (bad flag or --help). */
export function parseCommandArgs<const T extends ParseArgsConfig>(config: T, usage: string): ParsedArgs<T> | number {
  let parsed: ParsedArgs<T>;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${usage}`);
    return 1;
  }
  if ((parsed.values as Record<string, unknown>).help) {
    process.stdout.write(usage);
    return 0;
  }
  return parsed;
}
