// `netlab validate -f PATH... [-o json]`: decode, default and validate manifests offline, as
// the API server would, without a cluster. Exit 1 when anything is wrong.
import { formatManifestError, loadManifestPaths } from "../../api/decode.js";
import { table } from "../output.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab validate -f PATH... [-o json]

Validates manifests (files, directories, or - for stdin) as the API server would.

Options:
  -f, --filename PATH   a file, a directory (recursively *.yaml, *.yml, *.json) or -; repeatable
  -o, --output FORMAT   json for a machine-readable result
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args: argv,
    options: {
      filename: { type: "string", short: "f", multiple: true },
      output: { type: "string", short: "o" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const paths = values.filename ?? [];
  if (paths.length === 0) {
    process.stderr.write(`error: must specify -f\n\n${USAGE}`);
    return 1;
  }
  if (values.output !== undefined && values.output !== "json") {
    process.stderr.write(`error: unable to match a printer suitable for the output format "${values.output}", allowed formats are: json\n`);
    return 1;
  }
  const r = await loadManifestPaths(paths);
  const valid = r.errors.length === 0;
  if (values.output === "json") {
    const out = {
      valid,
      objects: r.objects.length,
      errors: r.errors.map((e) => ({ ...e, text: formatManifestError(e) })),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return valid ? 0 : 1;
  }
  if (!valid) {
    for (const e of r.errors) process.stderr.write(`${formatManifestError(e)}\n`);
    return 1;
  }
  const rows = r.objects.map((o) => {
    return [`${o.kind}/${o.metadata?.name ?? o.metadata?.generateName ?? ""}`, "valid"];
  });
  // table() prints a header; the summary has none, so drop its first line.
  process.stdout.write(table(["", ""], rows).split("\n").slice(1).join("\n"));
  return 0;
}
