// The DNS server's view of the cluster: a compact, incrementally updated index of Services,
// EndpointSlices (Endpoints when a Service has no slices), Pods and Namespaces. Pure: no I/O.
// Only what answers need is kept (not the objects), so 10,000s of objects stay small, and one
// watch event updates only the entries of that object.
import { isIP } from "node:net";
import type { Endpoints, EndpointSlice, KubeObject, Pod, Service } from "../api/types.js";

export interface PortRecord {
  /** Port name, "" when unnamed. */
  name: string;
  /** Lower case ("tcp"), "" for the no-ports sentinel. */
  protocol: string;
  /** -1: the endpoints declare no ports (CoreDNS's sentinel: A answers, no SRV). */
  port: number;
}

export interface ServiceRecord {
  namespace: string;
  name: string;
  type: "ClusterIP" | "Headless" | "ExternalName";
  /** ClusterIPs as written (v4 and/or v6). */
  ips: string[];
  ports: PortRecord[];
  externalName: string;
  publishNotReadyAddresses: boolean;
}

export interface EndpointRecord {
  ip: string;
  /** The endpoint's DNS label: its hostname, else the IP with `.`/`:` turned into `-`. */
  hostname: string;
  ready: boolean;
}

export interface EndpointGroup {
  ports: PortRecord[];
  endpoints: EndpointRecord[];
}

/** Namespaces every cluster has, whether or not the manifests name them. */
export const BUILTIN_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const NO_PORTS: PortRecord[] = [{ name: "", protocol: "", port: -1 }];

/** The service key the index uses: "name.namespace", lower case. */
export function serviceKey(name: string, namespace: string): string {
  return `${name}.${namespace}`.toLowerCase();
}

/** CoreDNS's endpointHostname: the hostname, else the address with dashes. */
export function endpointLabel(ip: string, hostname: string | undefined): string {
  if (hostname) return hostname;
  if (ip.includes(".")) return ip.replace(/\./g, "-");
  return ip.replace(/:/g, "-");
}

/** A canonical text form for map keys: IPv4 as is, IPv6 as 32 lower-case hex nibbles. */
export function ipKey(ip: string): string {
  const fam = isIP(ip);
  if (fam === 4) return ip;
  if (fam !== 6) return ip.toLowerCase();
  return expandIPv6(ip);
}

export function expandIPv6(ip: string): string {
  let s = ip.toLowerCase();
  const pct = s.indexOf("%");
  if (pct >= 0) s = s.slice(0, pct);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const m = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (m) {
    const v = m.slice(1).map(Number);
    s = s.slice(0, m.index) + ((v[0] << 8) | v[1]).toString(16) + ":" + ((v[2] << 8) | v[3]).toString(16);
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => g.padStart(4, "0")).join("");
}

interface PodEntry {
  namespace: string;
  ips: string[];
}

/**
 * The index. `apply(type, obj)` takes watch events (ADDED/MODIFIED/DELETED); every change bumps
 * `generation` and sets `serial` (the SOA serial: unix seconds of the last change).
 */
export class DnsRecords {
  generation = 0;
  serial: number;
  /** Unix seconds for the SOA serial; injectable so tests are deterministic. */
  private clock: () => number;
  private services = new Map<string, ServiceRecord>();
  /** service key -> slice key ("ns/name") -> group */
  private slicesBySvc = new Map<string, Map<string, EndpointGroup>>();
  /** slice key -> service key it belongs to */
  private sliceOwner = new Map<string, string>();
  /** service key -> group from the v1 Endpoints object (used only when there are no slices) */
  private endpointsObj = new Map<string, EndpointGroup[]>();
  /** ipKey -> service keys with that ClusterIP */
  private svcByIP = new Map<string, string[]>();
  /** ipKey -> [service key, hostname] of endpoints with that address */
  private epByIP = new Map<string, [string, string][]>();
  private namespaceObjs = new Set<string>();
  private nsServiceCount = new Map<string, number>();
  private pods = new Map<string, PodEntry>();
  /** ipKey -> namespaces of Pods with that IP */
  private podIPs = new Map<string, string[]>();
  /** Keep Pods only when answers need them (pods verified). */
  trackPods: boolean;

  constructor(opts: { trackPods?: boolean; clock?: () => number } = {}) {
    this.trackPods = opts.trackPods ?? true;
    this.clock = opts.clock ?? (() => Math.floor(Date.now() / 1000));
    this.serial = this.clock();
  }

  static fromObjects(objects: KubeObject[], opts: { trackPods?: boolean; implicitNamespaces?: boolean; clock?: () => number } = {}): DnsRecords {
    const r = new DnsRecords(opts);
    for (const o of objects) r.apply("ADDED", o);
    // Offline manifests seldom declare their namespaces; an API server would have them.
    if (opts.implicitNamespaces ?? true) for (const o of objects) if (o.metadata?.namespace) r.namespaceObjs.add(o.metadata.namespace.toLowerCase());
    r.generation++;
    return r;
  }

  /** Apply one watch event. Returns false for kinds the DNS does not use. */
  apply(type: "ADDED" | "MODIFIED" | "DELETED" | string, obj: KubeObject): boolean {
    const del = type === "DELETED";
    switch (obj.kind) {
      case "Service":
        this.setService(obj as Service, del);
        break;
      case "EndpointSlice":
        this.setSlice(obj as EndpointSlice, del);
        break;
      case "Endpoints":
        this.setEndpoints(obj as Endpoints, del);
        break;
      case "Pod":
        if (!this.trackPods) return false;
        this.setPod(obj as Pod, del);
        break;
      case "Namespace": {
        const n = (obj.metadata.name ?? "").toLowerCase();
        if (del) this.namespaceObjs.delete(n);
        else this.namespaceObjs.add(n);
        break;
      }
      default:
        return false;
    }
    this.changed();
    return true;
  }

  /** Forget everything (before a relist). */
  clear(): void {
    for (const m of [this.services, this.slicesBySvc, this.sliceOwner, this.endpointsObj, this.svcByIP, this.epByIP, this.nsServiceCount, this.pods, this.podIPs])
      (m as Map<unknown, unknown>).clear();
    this.namespaceObjs.clear();
    this.changed();
  }

  private changed(): void {
    this.generation++;
    this.serial = this.clock();
  }

  // ------------------------------------------------------------------ lookups

  service(name: string, namespace: string): ServiceRecord | undefined {
    return this.services.get(serviceKey(name, namespace));
  }

  /** Endpoint groups of a service: its EndpointSlices, else its Endpoints object. */
  endpointGroups(svcKey: string): EndpointGroup[] {
    const s = this.slicesBySvc.get(svcKey);
    if (s && s.size) return [...s.values()];
    return this.endpointsObj.get(svcKey) ?? [];
  }

  servicesByIP(ip: string): ServiceRecord[] {
    return (this.svcByIP.get(ipKey(ip)) ?? []).map((k) => this.services.get(k)!).filter(Boolean);
  }

  /** [service, endpoint label] of ready endpoints with this address. */
  endpointsByIP(ip: string): { service: ServiceRecord; hostname: string }[] {
    const out: { service: ServiceRecord; hostname: string }[] = [];
    for (const [k, h] of this.epByIP.get(ipKey(ip)) ?? []) {
      const s = this.services.get(k);
      if (s) out.push({ service: s, hostname: h });
    }
    return out;
  }

  namespaceExists(ns: string): boolean {
    const n = ns.toLowerCase();
    return this.namespaceObjs.has(n) || this.nsServiceCount.has(n) || BUILTIN_NAMESPACES.includes(n);
  }

  podExists(ip: string, namespace: string): boolean {
    const nss = this.podIPs.get(ipKey(ip));
    const n = namespace.toLowerCase();
    return !!nss && nss.some((x) => x === n);
  }

  allServices(): ServiceRecord[] {
    return [...this.services.values()];
  }

  allPods(): { namespace: string; ip: string }[] {
    const out: { namespace: string; ip: string }[] = [];
    for (const p of this.pods.values()) for (const ip of p.ips) out.push({ namespace: p.namespace, ip });
    return out;
  }

  get counts(): { services: number; endpointSlices: number; pods: number; namespaces: number } {
    return { services: this.services.size, endpointSlices: this.sliceOwner.size, pods: this.pods.size, namespaces: this.namespaceObjs.size };
  }

  // ------------------------------------------------------------------ updates

  private setService(svc: Service, del: boolean): void {
    const ns = svc.metadata.namespace ?? "default";
    const key = serviceKey(svc.metadata.name ?? "", ns);
    const old = this.services.get(key);
    if (old) {
      for (const ip of old.ips) this.unindex(this.svcByIP, ipKey(ip), (k) => k === key);
      this.services.delete(key);
      this.nsCount(old.namespace, -1);
    }
    if (del) return;
    const spec = svc.spec ?? {};
    const type = spec.type === "ExternalName" ? "ExternalName" : spec.clusterIP === "None" ? "Headless" : "ClusterIP";
    const ips = type === "ClusterIP" ? (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => isIP(ip)) : [];
    const rec: ServiceRecord = {
      namespace: ns.toLowerCase(),
      name: (svc.metadata.name ?? "").toLowerCase(),
      type,
      ips,
      ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? "", protocol: (p.protocol ?? "TCP").toLowerCase(), port: p.port })),
      externalName: spec.externalName ?? "",
      publishNotReadyAddresses: !!spec.publishNotReadyAddresses,
    };
    this.services.set(key, rec);
    this.nsCount(rec.namespace, 1);
    for (const ip of ips) this.index(this.svcByIP, ipKey(ip), key);
    // publishNotReadyAddresses changes which endpoints have reverse entries.
    this.reindexEndpoints(key);
  }

  private nsCount(ns: string, d: number): void {
    const n = (this.nsServiceCount.get(ns) ?? 0) + d;
    if (n <= 0) this.nsServiceCount.delete(ns);
    else this.nsServiceCount.set(ns, n);
  }

  private setSlice(slice: EndpointSlice, del: boolean): void {
    const ns = slice.metadata.namespace ?? "default";
    const sliceKey = `${ns}/${slice.metadata.name ?? ""}`;
    const oldOwner = this.sliceOwner.get(sliceKey);
    if (oldOwner) {
      const m = this.slicesBySvc.get(oldOwner);
      m?.delete(sliceKey);
      if (m && m.size === 0) this.slicesBySvc.delete(oldOwner);
      this.sliceOwner.delete(sliceKey);
      this.reindexEndpoints(oldOwner);
    }
    const svcName = slice.metadata.labels?.["kubernetes.io/service-name"];
    if (del || !svcName || slice.addressType === "FQDN") return;
    const owner = serviceKey(svcName, ns);
    const ports = slice.ports?.length
      ? slice.ports.map((p) => ({ name: p.name ?? "", protocol: (p.protocol ?? "TCP").toLowerCase(), port: p.port }))
      : NO_PORTS;
    const endpoints: EndpointRecord[] = [];
    for (const e of slice.endpoints ?? []) {
      // Ready unless it says otherwise (the API's meaning of a missing condition).
      const ready = e.conditions?.ready !== false;
      for (const ip of e.addresses ?? []) endpoints.push({ ip, hostname: endpointLabel(ip, e.hostname), ready });
    }
    let m = this.slicesBySvc.get(owner);
    if (!m) this.slicesBySvc.set(owner, (m = new Map()));
    m.set(sliceKey, { ports, endpoints });
    this.sliceOwner.set(sliceKey, owner);
    this.reindexEndpoints(owner);
  }

  private setEndpoints(ep: Endpoints, del: boolean): void {
    const key = serviceKey(ep.metadata.name ?? "", ep.metadata.namespace ?? "default");
    if (del) this.endpointsObj.delete(key);
    else {
      const groups: EndpointGroup[] = [];
      for (const s of ep.subsets ?? []) {
        const ports = s.ports?.length ? s.ports.map((p) => ({ name: p.name ?? "", protocol: (p.protocol ?? "TCP").toLowerCase(), port: p.port })) : NO_PORTS;
        const endpoints: EndpointRecord[] = [];
        for (const a of s.addresses ?? []) endpoints.push({ ip: a.ip, hostname: endpointLabel(a.ip, a.hostname), ready: true });
        for (const a of s.notReadyAddresses ?? []) endpoints.push({ ip: a.ip, hostname: endpointLabel(a.ip, a.hostname), ready: false });
        groups.push({ ports, endpoints });
      }
      this.endpointsObj.set(key, groups);
    }
    this.reindexEndpoints(key);
  }

  /** Rebuild the reverse entries of one service's endpoints. */
  private reindexEndpoints(svcKey: string): void {
    const prev = this.epIndexed.get(svcKey);
    if (prev) for (const ip of prev) this.unindex(this.epByIP, ip, (e) => e[0] === svcKey);
    this.epIndexed.delete(svcKey);
    const svc = this.services.get(svcKey);
    if (!svc) return;
    const ips: string[] = [];
    for (const g of this.endpointGroups(svcKey)) {
      for (const e of g.endpoints) {
        if (!e.ready && !svc.publishNotReadyAddresses) continue;
        const k = ipKey(e.ip);
        this.index(this.epByIP, k, [svcKey, e.hostname]);
        ips.push(k);
      }
    }
    if (ips.length) this.epIndexed.set(svcKey, ips);
  }
  private epIndexed = new Map<string, string[]>();

  private setPod(pod: Pod, del: boolean): void {
    const key = `${pod.metadata.namespace ?? "default"}/${pod.metadata.name ?? ""}`;
    const old = this.pods.get(key);
    if (old) {
      for (const ip of old.ips) this.unindex(this.podIPs, ipKey(ip), (n) => n === old.namespace);
      this.pods.delete(key);
    }
    if (del) return;
    const ips = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : pod.status?.podIP ? [pod.status.podIP] : [];
    if (ips.length === 0) return;
    const e: PodEntry = { namespace: (pod.metadata.namespace ?? "default").toLowerCase(), ips };
    this.pods.set(key, e);
    for (const ip of ips) this.index(this.podIPs, ipKey(ip), e.namespace);
  }

  private index<T>(m: Map<string, T[]>, k: string, v: T): void {
    const a = m.get(k);
    if (a) a.push(v);
    else m.set(k, [v]);
  }

  private unindex<T>(m: Map<string, T[]>, k: string, drop: (v: T) => boolean): void {
    const a = m.get(k);
    if (!a) return;
    const i = a.findIndex(drop);
    if (i >= 0) a.splice(i, 1);
    if (a.length === 0) m.delete(k);
  }
}
