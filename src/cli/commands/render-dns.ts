// `netlab render dns -f PATH... [--zone Z] [--pods MODE] [-o json]`: every record of the
// cluster zone (and its PTRs) as aligned zone-file lines, sorted.
import { parseArgs } from "node:util";
import { DnsRecords } from "../../dns/records.js";
import { formatRR, renderZone, zoneRecords } from "../../dns/zone-file.js";
import { loadOfflineCluster, offlineOptions } from "../../dns/offline-input.js";

const USAGE = `Usage: netlab render dns -f PATH... [--zone DOMAIN] [--pods insecure|verified|disabled] [-o json]
`;

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { ...offlineOptions(), zone: { type: "string" }, pods: { type: "string" }, output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const pods = (values.pods as string | undefined) ?? "insecure";
  if (!["insecure", "verified", "disabled"].includes(pods)) {
    process.stderr.write(`error: --pods: invalid value "${pods}": want insecure, verified or disabled\n`);
    return 1;
  }
  if (values.output !== undefined && values.output !== "json") {
    process.stderr.write(`error: unable to match a printer suitable for the output format "${values.output as string}", allowed formats are: json\n`);
    return 1;
  }
  const cluster = await loadOfflineCluster(values);
  const zone = (values.zone as string | undefined) ?? cluster.settings.clusterDomain;
  // The serial is the newest object's creation time, so the listing is stable for the same input.
  const newest = Math.max(0, ...cluster.objects.map((o) => Date.parse(o.metadata.creationTimestamp ?? "") || 0));
  const records = DnsRecords.fromObjects(cluster.objects, { trackPods: true, clock: () => Math.floor(newest / 1000) });
  const rrs = zoneRecords(records, { zone, podsMode: pods as "insecure", nsIPs: [cluster.dnsIP] });
  if (values.output === "json") process.stdout.write(JSON.stringify(rrs.map((r) => ({ ...r, text: formatRR(r) })), null, 2) + "\n");
  else process.stdout.write(renderZone(rrs));
  return 0;
}
