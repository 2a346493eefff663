// `netlab doctor [--fix]`: can this machine run a lab? Installs missing Debian packages with --fix.
import { parseArgs } from "node:util";
import { table } from "../output.js";
import { fixMissing, runChecks } from "../../lab/doctor.js";

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { fix: { type: "boolean" }, output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write("Usage: netlab doctor [--fix] [-o json]\n\nChecks root, programs, CNI plugins and kernel features; --fix installs missing Debian packages.\n");
    return 0;
  }
  let checks = await runChecks();
  if (values.fix && checks.some((c) => !c.ok && c.pkg)) {
    await fixMissing(checks, (l) => process.stderr.write(`${l}\n`));
    checks = await runChecks();
  }
  if (values.output === "json") process.stdout.write(JSON.stringify(checks, null, 2) + "\n");
  else process.stdout.write(table(["CHECK", "OK", "DETAIL", "FIX"], checks.map((c) => [c.name, c.ok ? "yes" : c.optional ? "no (optional)" : "NO", c.detail, c.ok ? "" : c.fix ?? ""])));
  return checks.some((c) => !c.ok && !c.optional) ? 1 : 0;
}
