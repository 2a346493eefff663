// `npm run bench [-- AREA...]`: every benchmark prints its figures beside a baseline measured
// in the same run, as ratios. Areas live in bench/<area>.ts and export `run(): Promise<void>`.
// Each area runs in its own process, so memory figures (daemon RSS) are not inflated by the
// areas before it.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const AREAS = ["store", "proxy", "dns", "lab", "ingress"];

async function runArea(area: string): Promise<void> {
  const mod = (await import(`./${area}.js`)) as { run(): Promise<void> };
  await mod.run();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--area") return runArea(args[1]);
  const areas = args.length ? args : AREAS;
  for (const a of areas) if (!AREAS.includes(a)) throw new Error(`unknown bench area "${a}" (have: ${AREAS.join(", ")})`);
  let failed = 0;
  for (const a of areas) {
    process.stdout.write(`\n== bench: ${a}\n`);
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--area", a], { stdio: "inherit" });
    if (r.status !== 0) failed++;
  }
  if (failed) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
