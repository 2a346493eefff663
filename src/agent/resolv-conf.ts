// A Pod's resolv.conf as the kubelet forms it (pkg/kubelet/network/dns/dns.go GetPodDNS) and the
// runtime writes it: nameserver lines, then search, then options.
import type { Pod } from "../api/types.js";

export interface PodDNSSettings {
  /** kubelet --cluster-dns */
  clusterDNS: string[];
  /** kubelet --cluster-domain */
  clusterDomain: string;
  /** The text of the node's resolv.conf (kubelet --resolv-conf). */
  nodeResolvConf: string;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

// Limits of current Kubernetes (ExpandedDNSConfig is GA).
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const DNS1123_SUBDOMAIN_MAX = 253;

export interface PodDNSResult {
  config: DNSConfig;
  /** Kubelet's DNSConfigForming event texts when limits cut something. */
  warnings: string[];
  /** Set when the Pod cannot get a configuration (dnsPolicy None without dnsConfig). */
  error?: string;
}

/** The Pod's resolv.conf text. Throws for an invalid Pod (dnsPolicy None without dnsConfig). */
export function podResolvConf(pod: Pod, settings: PodDNSSettings): string {
  const r = podDNSConfig(pod, settings);
  if (r.error) throw new Error(r.error);
  return formatResolvConf(r.config);
}

export function parseResolvConf(text: string): DNSConfig {
  const servers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t.startsWith("#")) continue;
    const f = t.split(/\s+/).filter(Boolean);
    if (f.length === 0) continue;
    // nameserver lines accumulate; the last search / options line wins.
    if (f[0] === "nameserver" && f.length >= 2) servers.push(f[1]);
    if (f[0] === "search") searches = f.slice(1).map((s) => (s.endsWith(".") ? s.slice(0, -1) : s));
    if (f[0] === "options") options = f.slice(1);
  }
  return { servers, searches, options };
}

export function podDNSConfig(pod: Pod, settings: PodDNSSettings): PodDNSResult {
  const warnings: string[] = [];
  const policy = pod.spec.dnsPolicy ?? "ClusterFirst";
  if (policy === "None" && !pod.spec.dnsConfig) {
    return {
      config: { servers: [], searches: [], options: [] },
      warnings,
      error: `spec.dnsConfig: Required value: must provide \`dnsConfig\` when \`dnsPolicy\` is None`,
    };
  }
  let cfg = parseResolvConf(settings.nodeResolvConf);
  let type: "cluster" | "host" | "none";
  if (policy === "None") type = "none";
  else if (policy === "ClusterFirstWithHostNet") type = "cluster";
  else if (policy === "ClusterFirst") type = pod.spec.hostNetwork ? "host" : "cluster";
  else type = "host";
  if (type === "cluster" && settings.clusterDNS.length === 0) {
    warnings.push(`kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`);
    type = "host";
  }
  if (type === "none") cfg = { servers: [], searches: [], options: [] };
  else if (type === "cluster") {
    const ns = pod.metadata.namespace ?? "default";
    const d = settings.clusterDomain;
    cfg = {
      servers: [...settings.clusterDNS],
      searches: d ? unique([`${ns}.svc.${d}`, `svc.${d}`, d, ...cfg.searches]) : cfg.searches,
      options: ["ndots:5"],
    };
  }
  const dc = pod.spec.dnsConfig;
  if (dc) {
    cfg = {
      servers: unique([...cfg.servers, ...(dc.nameservers ?? [])]),
      searches: unique([...cfg.searches, ...(dc.searches ?? [])]),
      options: mergeOptions(cfg.options, dc.options ?? []),
    };
  }
  if (cfg.servers.length > MAX_DNS_NAMESERVERS) {
    cfg.servers = cfg.servers.slice(0, MAX_DNS_NAMESERVERS);
    warnings.push(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${cfg.servers.join(" ")}`);
  }
  const s = fitSearch(cfg.searches);
  cfg.searches = s.searches;
  if (s.exceeded)
    warnings.push(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${s.searches.join(" ")}`);
  return { config: cfg, warnings };
}

function fitSearch(input: string[]): { searches: string[]; exceeded: boolean } {
  let exceeded = false;
  let s = input;
  if (s.length > MAX_DNS_SEARCH_PATHS) {
    s = s.slice(0, MAX_DNS_SEARCH_PATHS);
    exceeded = true;
  }
  // glibc aborts on search paths longer than 255 characters; the kubelet drops them.
  const kept = s.filter((x) => x.length <= DNS1123_SUBDOMAIN_MAX);
  if (kept.length !== s.length) exceeded = true;
  s = kept;
  const total = s.join(" ").length;
  if (total > MAX_DNS_SEARCH_LIST_CHARS) {
    let cut = 0;
    let n = 0;
    for (let i = s.length - 1; i >= 0; i--) {
      cut += s[i].length + 1;
      n++;
      if (total - cut <= MAX_DNS_SEARCH_LIST_CHARS) break;
    }
    s = s.slice(0, s.length - n);
    exceeded = true;
  }
  return { searches: s, exceeded };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** dnsConfig options override same-named existing ones (kubelet uses a map; we keep first-seen order). */
function mergeOptions(existing: string[], add: { name: string; value?: string }[]): string[] {
  const m = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(":");
    if (i >= 0) m.set(op.slice(0, i), op.slice(i + 1));
    else m.set(op, "");
  }
  for (const op of add) m.set(op.name, op.value ?? "");
  return [...m].map(([k, v]) => (v ? `${k}:${v}` : k));
}

export function formatResolvConf(c: DNSConfig): string {
  let out = "";
  for (const s of c.servers) out += `nameserver ${s}\n`;
  if (c.searches.length) out += `search ${c.searches.join(" ")}\n`;
  if (c.options.length) out += `options ${c.options.join(" ")}\n`;
  return out;
}
