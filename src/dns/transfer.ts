// Zone transfer (AXFR, and IXFR answered as AXFR) of the cluster zone, as CoreDNS's kubernetes
// plugin lists it for the transfer plugin (plugin/kubernetes/transfer.go). Pure.
import { isIP } from "node:net";
import type { Answer as RR } from "dns-packet";
import { answerQuestion, dedup, endpointName, namespaceExposed, normalizeZone, soaRecord, TTL, type ZoneOptions } from "./answer.js";
import type { DnsRecords } from "./records.js";

/**
 * The records of a transfer, SOA first and last. `serial` is the client's (IXFR): when it is not
 * older than ours, the SOA alone says the zone is current. Only the cluster zone transfers
 * (reverse zones do not, as in CoreDNS); null for any other name.
 */
export function zoneTransfer(records: DnsRecords, opts: ZoneOptions, zoneName: string, serial = 0): RR[] | null {
  const zone = normalizeZone(opts.zone);
  if (normalizeZone(zoneName) !== zone) return null;
  const ttl = opts.ttl ?? TTL;
  const soa = soaRecord(zone, records.serial, ttl);
  if (serial !== 0 && serial >= records.serial >>> 0) return [soa];
  const out: RR[] = [soa];
  // NS and glue: the apex NS answer, each name once, each address after its name.
  const ns = answerQuestion(records, zone, "NS", opts);
  const seen = new Set<string>();
  for (const glue of ns?.additionals ?? []) {
    if (!seen.has(glue.name)) {
      seen.add(glue.name);
      out.push({ name: zone, type: "NS", ttl, class: "IN", data: glue.name });
    }
    out.push(glue);
  }
  const addr = (name: string, ip: string): RR => ({ name, type: isIP(ip) === 6 ? "AAAA" : "A", ttl, class: "IN", data: ip });
  const srv = (name: string, weight: number, port: number, target: string): RR => ({ name, type: "SRV", ttl, class: "IN", data: { priority: 0, weight, port, target } });
  const services = records.allServices().sort((a, b) => (a.namespace + "/" + a.name < b.namespace + "/" + b.name ? -1 : 1));
  for (const svc of services) {
    if (!namespaceExposed(records, opts, svc.namespace)) continue;
    const name = `${svc.name}.${svc.namespace}.svc.${zone}`;
    if (svc.type === "ExternalName") {
      if (svc.externalName && !isIP(svc.externalName)) out.push({ name, type: "CNAME", ttl, class: "IN", data: svc.externalName.replace(/\.$/, "") });
      continue;
    }
    if (svc.type === "ClusterIP") {
      if (svc.ips.length === 0) continue;
      for (const ip of svc.ips) out.push(addr(name, ip));
      // A bare-name SRV per port (peer-finder relies on it), plus the named-port SRV.
      for (const p of svc.ports) {
        out.push(srv(name, 100, p.port, name));
        if (p.name) out.push(srv(`_${p.name.toLowerCase()}._${p.protocol}.${name}`, 100, p.port, name));
      }
      continue;
    }
    // Headless: each ready endpoint under the service name and its own; SRV weights per slice.
    for (const g of records.endpointGroups(`${svc.name}.${svc.namespace}`)) {
      const ready = g.endpoints.filter((e) => e.ready);
      const weight = ready.length ? Math.floor(100 / ready.length) : 0;
      for (const e of ready) {
        const target = `${endpointName(e, opts)}.${name}`;
        out.push(addr(name, e.ip), addr(target, e.ip));
        for (const p of g.ports) if (p.name && p.port !== -1) out.push(srv(`_${p.name.toLowerCase()}._${p.protocol}.${name}`, weight, p.port, target));
      }
    }
  }
  // Repeated records (an address in two slices, two endpoints sharing a hostname) once each.
  return [soa, ...dedup(out.slice(1)), soa];
}
