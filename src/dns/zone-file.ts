// Every record the cluster zone answers, as zone-file lines (for `netlab render dns`). The
// records are produced by asking answerQuestion for every name the index knows, so the listing
// and the server cannot disagree.
import type { Answer as RR } from "dns-packet";
import { answerQuestion, endpointName, normalizeZone, reverseName, type ZoneOptions } from "./answer.js";
import type { DnsRecords } from "./records.js";

/** One record in zone-file presentation: `name. ttl IN TYPE rdata` (tab separated). */
export function formatRR(r: RR): string {
  return [fqdn(r.name), String((r as { ttl?: number }).ttl ?? 0), "IN", r.type, rdata(r)].join("\t");
}

function fqdn(n: string): string {
  return n.endsWith(".") ? n : n + ".";
}

function rdata(r: RR): string {
  const d = (r as { data?: unknown }).data;
  switch (r.type) {
    case "A":
    case "AAAA":
      return String(d);
    case "CNAME":
    case "PTR":
    case "NS":
      return fqdn(String(d));
    case "SRV": {
      const s = d as { priority?: number; weight?: number; port: number; target: string };
      return `${s.priority ?? 0} ${s.weight ?? 0} ${s.port} ${fqdn(s.target)}`;
    }
    case "SOA": {
      const s = d as { mname: string; rname: string; serial?: number; refresh?: number; retry?: number; expire?: number; minimum?: number };
      return `${fqdn(s.mname)} ${fqdn(s.rname)} ${s.serial ?? 0} ${s.refresh ?? 0} ${s.retry ?? 0} ${s.expire ?? 0} ${s.minimum ?? 0}`;
    }
    case "TXT": {
      const parts = Array.isArray(d) ? d : [d];
      return parts.map((p) => JSON.stringify(Buffer.isBuffer(p) ? p.toString() : String(p))).join(" ");
    }
    default:
      return Buffer.isBuffer(d) ? `\\# ${d.length} ${d.toString("hex")}` : JSON.stringify(d);
  }
}

/** Every record of the zone (and the PTRs it serves), deduplicated, sorted. */
export function zoneRecords(records: DnsRecords, opts: ZoneOptions): RR[] {
  const z = normalizeZone(opts.zone);
  const qs: [string, string][] = [
    [z, "SOA"],
    [z, "NS"],
    [`ns.dns.${z}`, "A"],
    [`ns.dns.${z}`, "AAAA"],
    [`dns-version.${z}`, "TXT"],
  ];
  const ips = new Set<string>();
  for (const s of records.allServices()) {
    const name = `${s.name}.${s.namespace}.svc.${z}`;
    if (s.type === "ExternalName") {
      qs.push([name, "CNAME"]);
      continue;
    }
    qs.push([name, "A"], [name, "AAAA"]);
    for (const ip of s.ips) ips.add(ip);
    const ports = new Map<string, string>();
    for (const p of s.ports) if (p.name) ports.set(`_${p.name}._${p.protocol}`, "");
    for (const g of records.endpointGroups(`${s.name}.${s.namespace}`)) {
      for (const p of g.ports) if (p.name) ports.set(`_${p.name.toLowerCase()}._${p.protocol}`, "");
      for (const e of g.endpoints) {
        if (!e.ready) continue;
        const label = endpointName(e, opts);
        qs.push([`${label}.${name}`, "A"], [`${label}.${name}`, "AAAA"]);
        ips.add(e.ip);
      }
    }
    for (const p of ports.keys()) qs.push([`${p}.${name}`, "SRV"]);
  }
  for (const ip of ips) qs.push([reverseName(ip), "PTR"]);
  if (opts.podsMode !== "disabled") {
    for (const p of records.allPods()) {
      const dashed = p.ip.includes(":") ? p.ip.replace(/:/g, "-") : p.ip.replace(/\./g, "-");
      qs.push([`${dashed}.${p.namespace}.pod.${z}`, p.ip.includes(":") ? "AAAA" : "A"]);
    }
  }
  const out = new Map<string, RR>();
  for (const [name, type] of qs) {
    const a = answerQuestion(records, name, type, opts);
    if (!a || a.rcode !== "NOERROR") continue;
    for (const r of [...a.answers, ...a.additionals]) out.set(formatRR(r), r);
  }
  // The apex (SOA, NS) first, as zone files start; then by name and type.
  const apex = (r: RR) => (r.name.toLowerCase() === z ? 0 : 1);
  return [...out.entries()].sort((x, y) => apex(x[1]) - apex(y[1]) || cmp(x[1], y[1]) || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((e) => e[1]);
}

const TYPE_ORDER = ["SOA", "NS", "A", "AAAA", "CNAME", "SRV", "PTR", "TXT"];
function cmp(a: RR, b: RR): number {
  const an = a.name.toLowerCase();
  const bn = b.name.toLowerCase();
  if (an !== bn) return an < bn ? -1 : 1;
  return TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type);
}

/** Zone-file text with the columns aligned. */
export function renderZone(rrs: RR[]): string {
  const rows = rrs.map((r) => formatRR(r).split("\t"));
  const w = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i < 4 ? c.padEnd(w[i]) : c)).join(" ")).join("\n") + (rows.length ? "\n" : "");
}
