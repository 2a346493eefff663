// Loading manifests for CLI commands: every decode or validation error is printed to stderr
// (one per line, `FILE (document N): FIELD: MESSAGE`) and the process exits 1 before any
// object is used, so a command never acts on part of a bad input.
import { formatManifestError, loadManifestPaths, type DecodeOptions } from "../api/decode.js";
import type { KubeObject } from "../api/types.js";

export async function loadObjectsOrExit(paths: string[], opts: DecodeOptions = {}): Promise<KubeObject[]> {
  if (paths.length === 0) {
    process.stderr.write("error: must specify one of -f and -k\n");
    process.exit(1);
  }
  const r = await loadManifestPaths(paths, opts);
  if (r.errors.length > 0) {
    for (const e of r.errors) process.stderr.write(`${formatManifestError(e)}\n`);
    process.exit(1);
  }
  return r.objects;
}
