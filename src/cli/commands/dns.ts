// `netlab dns serve -f PATH... --listen IP:PORT [--zone Z] [--pods MODE] [--upstream IP:PORT]`:
// serve the cluster DNS of a set of manifests (converged offline) until SIGINT/SIGTERM.
import { readFileSync } from "node:fs";
import { reverseZonesOfCidr } from "../../dns/answer.js";
import { hostPort } from "../../dns/forward.js";
import { startDnsServer } from "../../dns/server.js";
import { loadOfflineCluster } from "../../dns/offline-input.js";
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP } from "../../offline/cli-options.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab dns serve -f PATH... --listen IP:PORT [options]

Serves the cluster DNS records of the manifests (UDP and TCP) until interrupted.

Options:
      --listen IP:PORT            where to listen (port 0: any free port, the same for UDP and TCP)
      --zone DOMAIN               the cluster domain (default: --cluster-domain)
      --pods MODE                 pod records: insecure (default), verified or disabled
      --upstream IP:PORT          resolver for names outside the zone (default: none, REFUSED)
  CoreDNS kubernetes plugin options:
      --reverse-zones Z,...       reverse zones or CIDRs served (default: in-addr.arpa,ip6.arpa)
      --fallthrough Z,...         zones whose missing names go upstream ("." all, "" none;
                                  default: in-addr.arpa,ip6.arpa)
      --namespaces NS,...         expose only these namespaces (default: all)
      --ttl SECONDS               answer TTL, 0-3600 (default 5)
      --ignore-empty-service      ClusterIP services without ready endpoints do not exist
      --endpoint-pod-names        name endpoints without a hostname by their Pod
      --zonal                     answer ZONE._zone.SVC.NS.svc names (headless, by endpoint zone)
      --transfer                  allow AXFR/IXFR of the zone over TCP (transfer { to * })
      --autopath                  complete Pods' search paths here (autopath @kubernetes; needs
                                  --pods verified; this host's resolv.conf search domains last)
${CLUSTER_OPTIONS_HELP}
`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "serve") {
    process.stderr.write(sub && sub !== "--help" && sub !== "-h" ? `netlab dns: unknown subcommand "${sub}"\n\n${USAGE}` : USAGE);
    return sub === "--help" || sub === "-h" ? 0 : 1;
  }
  const parsed = parseCommandArgs({
    args: rest,
    options: {
      ...CLUSTER_OPTIONS,
      listen: { type: "string" },
      zone: { type: "string" },
      pods: { type: "string" },
      upstream: { type: "string" },
      "reverse-zones": { type: "string" },
      fallthrough: { type: "string" },
      namespaces: { type: "string" },
      ttl: { type: "string" },
      "ignore-empty-service": { type: "boolean" },
      "endpoint-pod-names": { type: "boolean" },
      transfer: { type: "boolean" },
      autopath: { type: "boolean" },
      zonal: { type: "boolean" },
    },
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  if (!values.listen) {
    process.stderr.write(`error: --listen IP:PORT is required\n\n${USAGE}`);
    return 1;
  }
  const pods = (values.pods as string | undefined) ?? "insecure";
  if (!["insecure", "verified", "disabled"].includes(pods)) {
    process.stderr.write(`error: --pods: invalid value "${pods}": want insecure, verified or disabled\n`);
    return 1;
  }
  const list = (v: unknown) => (typeof v === "string" ? v.split(",").map((x) => x.trim()).filter((x) => x !== "") : undefined);
  // Flag errors name the flag and the form it takes, before the manifests are loaded.
  for (const flag of ["listen", "upstream"] as const) {
    const v = values[flag] as string | undefined;
    const hp = v === undefined ? undefined : hostPort(v, flag === "listen" ? 0 : 1);
    if (hp && "problem" in hp) {
      process.stderr.write(`error: --${flag}: invalid value "${v}": ${hp.problem} (e.g. 127.0.0.1:53 or [::1]:53${flag === "listen" ? "; port 0: any free port" : ""})\n`);
      return 1;
    }
  }
  for (const flag of ["reverse-zones", "fallthrough"] as const) {
    for (const z of list(values[flag]) ?? []) {
      if (!z.includes("/")) continue;
      try {
        reverseZonesOfCidr(z);
      } catch (e) {
        // The parser's message names the CIDR and what is wrong with it.
        process.stderr.write(`error: --${flag}: ${(e as Error).message} (the flag takes zone names or CIDRs, comma separated, e.g. 0.10.in-addr.arpa,10.96.0.0/12)\n`);
        return 1;
      }
    }
  }
  let ttl: number | undefined;
  if (values.ttl !== undefined) {
    ttl = Number(values.ttl);
    if (!/^\d+$/.test(values.ttl as string) || ttl > 3600) {
      process.stderr.write(`error: --ttl: invalid value "${values.ttl as string}": want an integer from 0 to 3600\n`);
      return 1;
    }
  }
  if (values.autopath === true && pods !== "verified") {
    process.stderr.write("error: --autopath needs --pods verified (the client's Pod is looked up by its address)\n");
    return 1;
  }
  const cluster = await loadOfflineCluster(values);
  const zone = (values.zone as string | undefined) ?? cluster.settings.clusterDomain;
  const server = await startDnsServer({
    objects: cluster.objects,
    zone,
    podsMode: pods as "insecure",
    upstream: values.upstream as string | undefined,
    listen: values.listen as string,
    dnsServiceIPs: [cluster.dnsIP],
    reverseZones: list(values["reverse-zones"]),
    fallthrough: list(values.fallthrough),
    namespaces: list(values.namespaces),
    ttl,
    ignoreEmptyService: values["ignore-empty-service"] === true,
    endpointPodNames: values["endpoint-pod-names"] === true,
    zonal: values.zonal === true,
    transfer: values.transfer === true,
    autopath: values.autopath === true,
    autopathSearch: values.autopath === true ? hostSearchDomains() : undefined,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const a = server.udpAddress!;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  const c = server.records.counts;
  process.stdout.write(
    `serving ${zone} on ${host}:${a.port} (udp+tcp): ${server.recordCount()} records from ${c.services} services, ${c.endpointSlices} endpoint slices` +
      (values.upstream ? `; forwarding other names to ${values.upstream as string}` : "") +
      "\n",
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

/**
 * The search domains of this host's resolv.conf (what CoreDNS appends to a Pod's search path).
 * Not agent/resolv-conf.ts's parseResolvConf: that is the kubelet's, which ignores `domain`
 * lines; CoreDNS reads the file with miekg/dns, where the last search or domain line wins.
 */
function hostSearchDomains(): string[] {
  try {
    const line = readFileSync("/etc/resolv.conf", "utf8").split("\n").filter((l) => /^\s*(search|domain)\s/.test(l)).pop();
    return line ? line.trim().split(/\s+/).slice(1) : [];
  } catch {
    return [];
  }
}
