// `npm run bench [-- AREA...]`: every benchmark prints its figures beside a baseline measured
// in the same run, as ratios. Areas live in bench/<area>.ts and export `run(): Promise<void>`.
const AREAS = ["store", "proxy", "dns", "lab", "ingress"];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const areas = wanted.length ? wanted : AREAS;
  for (const a of areas) {
    if (!AREAS.includes(a)) throw new Error(`unknown bench area "${a}" (have: ${AREAS.join(", ")})`);
    process.stdout.write(`\n== bench: ${a}\n`);
    const mod = (await import(`./${a}.js`)) as { run(): Promise<void> };
    await mod.run();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
