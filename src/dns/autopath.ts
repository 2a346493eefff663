// CoreDNS's `autopath @kubernetes`: server-side search-path completion. A Pod's resolver tries
// <name>.<ns>.svc.<zone> first; the server walks the Pod's whole search path itself and answers
// the first name that exists, with a CNAME from the asked name. Pure parts here (the search path,
// the CNAME rewrite); the server runs the walk, since names outside the zone go upstream.
import type { Answer as RR } from "dns-packet";
import { isSubDomain, normalizeZone, type ZoneOptions } from "./answer.js";
import type { DnsRecords } from "./records.js";

/**
 * kubernetes/autopath.go AutoPath: the search path of the Pod at `clientIP` for a question in the
 * cluster zone (lower case, without the final dot), ending in "" (the bare name); null for no
 * autopath: pods not verified, the client is no Pod, or the name is outside the zone. Several
 * Pods at one address (host network) are told apart by the namespace label in the question.
 */
export function autoPathSearch(records: DnsRecords, opts: ZoneOptions, qname: string, clientIP: string, hostSearch: string[] = []): string[] | null {
  if (opts.podsMode !== "verified") return null;
  const zone = normalizeZone(opts.zone);
  const name = qname.toLowerCase().replace(/\.$/, "");
  if (!isSubDomain(zone, name)) return null;
  const namespaces = records.podNamespacesAt(clientIP);
  if (namespaces.length === 0) return null;
  let ns = namespaces[0];
  if (namespaces.length > 1) {
    // matchQuery: the label before "svc", just above the zone.
    const labels = name.split(".");
    const i = labels.length - zone.split(".").length - 2;
    const want = i >= 0 ? labels[i] : "";
    if (!namespaces.includes(want)) return null;
    ns = want;
  }
  return [`${ns}.svc.${zone}`, `svc.${zone}`, zone, ...hostSearch.map(normalizeZone), ""];
}

/**
 * autopath.go firstInSearchPath, then the asked-for base name: null when the name is neither
 * the first element nor below it; "" for the first element itself, which CoreDNS cannot trim
 * (dnsutil.TrimZone overshoots) and answers with SERVFAIL.
 */
export function autoPathBase(qname: string, search: string[]): string | null {
  const first = search[0];
  const q = qname.replace(/\.$/, "");
  const lower = q.toLowerCase();
  if (lower === first) return "";
  if (!lower.endsWith("." + first)) return null;
  return q.slice(0, q.length - first.length - 1);
}

/** The name to ask for one search-path element. */
export function autoPathName(base: string, element: string): string {
  return element === "" ? base : `${base}.${element}`;
}

/**
 * autopath.go cnamer: a CNAME from the original name to the first answer record of another name,
 * with that record's TTL, in front of the answers.
 */
export function cnamer(answers: RR[], original: string): RR[] {
  const o = original.replace(/\.$/, "").toLowerCase();
  const first = answers.find((a) => a.name.replace(/\.$/, "").toLowerCase() !== o);
  if (!first) return answers;
  const cname: RR = { name: original.replace(/\.$/, ""), type: "CNAME", ttl: (first as { ttl?: number }).ttl ?? 0, class: "IN", data: first.name.replace(/\.$/, "") };
  return [cname, ...answers];
}
