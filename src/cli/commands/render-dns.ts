// `netlab render dns -f PATH... [--zone Z] [--pods MODE] [-o json]`: every record of the
// cluster zone (and its PTRs) as aligned zone-file lines, sorted.
import { DnsRecords } from "../../dns/records.js";
import { formatRR, renderZone, zoneRecords } from "../../dns/zone-file.js";
import { loadOfflineCluster } from "../../dns/offline-input.js";
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP } from "../../offline/cli-options.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab render dns -f PATH... [--zone DOMAIN] [--pods insecure|verified|disabled] [-o json]

Prints every record of the cluster zone (and its PTRs) as zone-file lines.

      --zone DOMAIN               the cluster domain (default: --cluster-domain)
      --pods MODE                 insecure (default), verified or disabled
  -o, --output json
${CLUSTER_OPTIONS_HELP}
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args: argv,
    options: { ...CLUSTER_OPTIONS, zone: { type: "string" }, pods: { type: "string" } },
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
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
