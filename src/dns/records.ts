// The DNS server's view of the cluster: a compact, incrementally updated index of Services,
// EndpointSlices (Endpoints when a Service has no slices), Pods and Namespaces. Pure: no I/O.
// Only what answers need is kept (not the objects), so 10,000s of objects stay small, and one
// watch event updates only the entries of that object.
import { isIP } from "node:net";
import { expandIPv6 } from "../cluster/ipv6.js";
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
// CoreDNS reads only an endpoint's ready condition (the EndpointSlice controller already marks
// endpoints of publishNotReadyAddresses services ready), so publishNotReadyAddresses is kept for
// listings but never widens an answer.

export interface EndpointRecord {
  ip: string;
  /** The hostname the endpoint declares, "" when none (see endpointLabel). */
  hostname: string;
  ready: boolean;
  /**
   * targetRef.name when shorter than 64 characters (a valid label): CoreDNS's endpoint_pod_names.
   * Present only when kept and set (an absent field costs no memory in 100,000s of records).
   */
  podName?: string;
  /** The endpoint's topology zone (EndpointSlice endpoints[].zone), kept only for zonal names. */
  zone?: string;
}

export interface EndpointGroup {
  /** The EndpointSlice's name ("" for groups from an Endpoints object). */
  name: string;
  ports: PortRecord[];
  endpoints: EndpointRecord[];
}

/** Namespaces every cluster has, whether or not the manifests name them. */
export const BUILTIN_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const NO_PORTS: PortRecord[] = [{ name: "", protocol: "", port: -1 }];
const NO_IPS: string[] = [];

/** The service key the index uses: "name.namespace", lower case. */
export function serviceKey(name: string, namespace: string): string {
  return `${name}.${namespace}`.toLowerCase();
}

/**
 * CoreDNS's endpointHostname: the hostname, else the Pod's name (podName: given only under
 * endpoint_pod_names), else the address with dashes; an IPv6 address that
 * ends in "::" gets a trailing "0" ("fd00::" -> "fd00--0"), since a label may not end in "-".
 */
export function endpointLabel(ip: string, hostname: string | undefined, podName?: string): string {
  if (hostname) return hostname;
  if (podName) return podName;
  if (ip.includes(".")) return ip.replace(/\./g, "-");
  const dashed = ip.replace(/:/g, "-");
  return dashed.endsWith("-") ? dashed + "0" : dashed;
}

/** An endpoint record with only the optional fields that are set. */
function endpointRecord(ip: string, hostname: string, ready: boolean, podName: string, zone: string): EndpointRecord {
  if (!podName && !zone) return { ip, hostname, ready };
  const r: EndpointRecord = { ip, hostname, ready };
  if (podName) r.podName = podName;
  if (zone) r.zone = zone;
  return r;
}

/** CoreDNS keeps a target's name only when it can be a DNS label (shorter than 64). */
function podNameOf(ref: { name?: string } | undefined): string {
  const n = ref?.name ?? "";
  return n.length < 64 ? n : "";
}

/** A canonical text form for map keys: IPv4 as is, IPv6 as 32 lower-case hex nibbles. */
export function ipKey(ip: string): string {
  const fam = isIP(ip);
  if (fam === 4) return ip;
  if (fam !== 6) return ip.toLowerCase();
  return expandIPv6(ip);
}

/** Maps whose values are usually one string: a bare string, else an array (saves an array per entry). */
type Multi = Map<string, string | string[]>;
function addMulti(m: Multi, k: string, v: string): void {
  const cur = m.get(k);
  if (cur === undefined) m.set(k, v);
  else if (typeof cur === "string") m.set(k, [cur, v]);
  else cur.push(v);
}
function removeMulti(m: Multi, k: string, v: string): void {
  const cur = m.get(k);
  if (cur === undefined) return;
  if (typeof cur === "string") {
    if (cur === v) m.delete(k);
    return;
  }
  const i = cur.indexOf(v);
  if (i >= 0) cur.splice(i, 1);
  if (cur.length === 1) m.set(k, cur[0]);
  else if (cur.length === 0) m.delete(k);
}
function multi(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === "string" ? [v] : v;
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
  /** service key -> the endpoint groups of its EndpointSlices (one group, or several), found by slice name */
  private groupsBySvc = new Map<string, EndpointGroup | EndpointGroup[]>();
  private sliceCount = 0;
  /** service key -> groups from the v1 Endpoints object (used only when there are no slices) */
  private endpointsObj = new Map<string, EndpointGroup[]>();
  /** ipKey -> service keys with that ClusterIP */
  private svcByIP: Multi = new Map();
  /** ipKey -> service keys with an endpoint at that address (readiness is checked on lookup) */
  private epByIP: Multi = new Map();
  private namespaceObjs = new Set<string>();
  private nsServiceCount = new Map<string, number>();
  /** "ns/name" -> Pod IP(s) */
  private pods: Multi = new Map();
  /** ipKey -> namespaces of Pods with that IP */
  private podIPs: Multi = new Map();
  /** Shared port lists and namespace strings: 10,000 services mostly repeat a few. */
  private portLists = new Map<string, PortRecord[]>();
  private names = new Map<string, string>();
  /** Keep Pods only when answers need them (pods verified). */
  trackPods: boolean;
  /** Keep endpoints' Pod names only when answers use them (endpoint_pod_names). */
  keepPodNames: boolean;
  /** Keep endpoints' zones, and the zones ever occupied, only when answers use them (zonal). */
  keepZones: boolean;
  /** Topology zones some endpoint has occupied; add-only, as CoreDNS keeps them. */
  private topologyZones = new Set<string>();

  constructor(opts: { trackPods?: boolean; keepPodNames?: boolean; keepZones?: boolean; clock?: () => number } = {}) {
    this.trackPods = opts.trackPods ?? true;
    this.keepPodNames = opts.keepPodNames ?? true;
    this.keepZones = opts.keepZones ?? true;
    this.clock = opts.clock ?? (() => Math.floor(Date.now() / 1000));
    this.serial = this.clock();
  }

  static fromObjects(
    objects: KubeObject[],
    opts: { trackPods?: boolean; keepPodNames?: boolean; keepZones?: boolean; implicitNamespaces?: boolean; clock?: () => number } = {},
  ): DnsRecords {
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

  /** "ns/name" of every object of a kind the index holds (for deletions after a relist). */
  *keys(kind: string): Iterable<string> {
    if (kind === "Service") for (const s of this.services.values()) yield `${s.namespace}/${s.name}`;
    if (kind === "EndpointSlice")
      for (const [k, g] of this.groupsBySvc) for (const x of Array.isArray(g) ? g : [g]) yield `${k.slice(k.indexOf(".") + 1)}/${x.name}`;
    if (kind === "Pod") yield* this.pods.keys();
    if (kind === "Namespace") for (const n of this.namespaceObjs) yield `/${n}`;
    if (kind === "Endpoints")
      for (const k of this.endpointsObj.keys()) {
        const i = k.indexOf(".");
        yield `${k.slice(i + 1)}/${k.slice(0, i)}`;
      }
  }

  /** Forget everything (before a relist). */
  clear(): void {
    this.sliceCount = 0;
    for (const m of [this.services, this.groupsBySvc, this.endpointsObj, this.svcByIP, this.epByIP, this.nsServiceCount, this.pods, this.podIPs])
      (m as Map<unknown, unknown>).clear();
    this.namespaceObjs.clear();
    this.changed();
  }

  private changed(): void {
    this.generation++;
    this.serial = this.clock();
  }

  private intern(s: string): string {
    const hit = this.names.get(s);
    if (hit !== undefined) return hit;
    this.names.set(s, s);
    return s;
  }

  private portList(ports: { name?: string; protocol?: string; port: number }[] | null | undefined): PortRecord[] {
    if (!ports || ports.length === 0) return NO_PORTS;
    const list = ports.map((p) => ({ name: p.name ?? "", protocol: (p.protocol ?? "TCP").toLowerCase(), port: p.port }));
    const sig = list.map((p) => `${p.name}/${p.protocol}/${p.port}`).join(",");
    const hit = this.portLists.get(sig);
    if (hit) return hit;
    this.portLists.set(sig, list);
    return list;
  }

  // ------------------------------------------------------------------ lookups

  service(name: string, namespace: string): ServiceRecord | undefined {
    return this.services.get(serviceKey(name, namespace));
  }

  /** Endpoint groups of a service: its EndpointSlices, else its Endpoints object. */
  endpointGroups(svcKey: string): EndpointGroup[] {
    const g = this.groupsBySvc.get(svcKey);
    if (g) return Array.isArray(g) ? g : [g];
    return this.endpointsObj.get(svcKey) ?? [];
  }

  servicesByIP(ip: string): ServiceRecord[] {
    return multi(this.svcByIP.get(ipKey(ip))).map((k) => this.services.get(k)!).filter(Boolean);
  }

  /** Ready endpoints with this address, with their service (answer.ts's endpointName names them). */
  endpointsByIP(ip: string): { service: ServiceRecord; endpoint: EndpointRecord }[] {
    const out: { service: ServiceRecord; endpoint: EndpointRecord }[] = [];
    const k = ipKey(ip);
    for (const { service, group } of this.groupsWithIP(ip)) for (const e of group.endpoints) if (e.ready && ipKey(e.ip) === k) out.push({ service, endpoint: e });
    return out;
  }

  /** The endpoint groups (slices) holding a ready endpoint with this address, with their service. */
  groupsWithIP(ip: string): { service: ServiceRecord; group: EndpointGroup }[] {
    const out: { service: ServiceRecord; group: EndpointGroup }[] = [];
    const k = ipKey(ip);
    for (const svcKey of new Set(multi(this.epByIP.get(k)))) {
      const s = this.services.get(svcKey);
      if (!s) continue;
      for (const g of this.endpointGroups(svcKey)) if (g.endpoints.some((e) => e.ready && ipKey(e.ip) === k)) out.push({ service: s, group: g });
    }
    return out;
  }

  namespaceExists(ns: string): boolean {
    const n = ns.toLowerCase();
    return this.namespaceObjs.has(n) || this.nsServiceCount.has(n) || BUILTIN_NAMESPACES.includes(n);
  }

  /** Whether some endpoint has ever been in this topology zone (zonal names exist only for those). */
  zoneExists(zone: string): boolean {
    return this.topologyZones.has(zone);
  }

  /** Whether some Pod has this IP (asked for every query when autopath is on: no array made). */
  hasPodAt(ip: string): boolean {
    return this.podIPs.has(ipKey(ip));
  }

  /** Namespaces of the Pods with this IP (several for host-network Pods sharing a node's address). */
  podNamespacesAt(ip: string): string[] {
    return multi(this.podIPs.get(ipKey(ip)));
  }

  podExists(ip: string, namespace: string): boolean {
    return multi(this.podIPs.get(ipKey(ip))).includes(namespace.toLowerCase());
  }

  allServices(): ServiceRecord[] {
    return [...this.services.values()];
  }

  allPods(): { namespace: string; ip: string }[] {
    const out: { namespace: string; ip: string }[] = [];
    for (const [key, ips] of this.pods) for (const ip of multi(ips)) out.push({ namespace: key.slice(0, key.indexOf("/")), ip });
    return out;
  }

  get counts(): { services: number; endpointSlices: number; pods: number; namespaces: number } {
    return { services: this.services.size, endpointSlices: this.sliceCount, pods: this.pods.size, namespaces: this.namespaceObjs.size };
  }

  // ------------------------------------------------------------------ updates

  private setService(svc: Service, del: boolean): void {
    const ns = svc.metadata.namespace ?? "default";
    const key = serviceKey(svc.metadata.name ?? "", ns);
    const old = this.services.get(key);
    if (old) {
      for (const ip of old.ips) removeMulti(this.svcByIP, ipKey(ip), key);
      this.services.delete(key);
      this.nsCount(old.namespace, -1);
    }
    if (del) return;
    const spec = svc.spec ?? {};
    const type = spec.type === "ExternalName" ? "ExternalName" : spec.clusterIP === "None" ? "Headless" : "ClusterIP";
    const ips = type === "ClusterIP" ? (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => isIP(ip)).slice() : NO_IPS;
    const rec: ServiceRecord = {
      namespace: this.intern(ns.toLowerCase()),
      name: (svc.metadata.name ?? "").toLowerCase(),
      type,
      ips,
      ports: this.portList(spec.ports),
      externalName: spec.externalName ?? "",
      publishNotReadyAddresses: !!spec.publishNotReadyAddresses,
    };
    if (rec.ports === NO_PORTS) rec.ports = [];
    this.services.set(key, rec);
    this.nsCount(rec.namespace, 1);
    for (const ip of ips) addMulti(this.svcByIP, ipKey(ip), key);
  }

  private nsCount(ns: string, d: number): void {
    const n = (this.nsServiceCount.get(ns) ?? 0) + d;
    if (n <= 0) this.nsServiceCount.delete(ns);
    else this.nsServiceCount.set(ns, n);
  }

  private indexGroup(owner: string, g: EndpointGroup, add: boolean): void {
    for (const e of g.endpoints) (add ? addMulti : removeMulti)(this.epByIP, ipKey(e.ip), owner);
  }

  private setSlice(slice: EndpointSlice, del: boolean): void {
    const ns = slice.metadata.namespace ?? "default";
    const name = slice.metadata.name ?? "";
    const svcName = slice.metadata.labels?.["kubernetes.io/service-name"];
    // The service-name label never changes on a slice, so the owner is found from it; a DELETED
    // without labels (after a relist) is looked up among all services.
    let owner = svcName ? serviceKey(svcName, ns) : undefined;
    if (!owner && del) owner = this.findSliceOwner(ns.toLowerCase(), name);
    if (owner) this.removeGroup(owner, name);
    if (del || !owner || slice.addressType === "FQDN") return;
    const endpoints: EndpointRecord[] = [];
    for (const e of slice.endpoints ?? []) {
      // Ready unless it says otherwise (the API's meaning of a missing condition).
      const ready = e.conditions?.ready !== false;
      const podName = this.keepPodNames ? podNameOf(e.targetRef) : "";
      // Lower case: questions are matched lower-cased (DNS names are case-insensitive).
      const zone = this.keepZones ? (e.zone ?? "").toLowerCase() : "";
      if (zone) this.topologyZones.add(zone);
      for (const ip of e.addresses ?? []) endpoints.push(endpointRecord(ip, e.hostname ?? "", ready, podName, zone));
    }
    // slice(): an exact-size copy (push grows the backing store to 17 slots; that adds up over 10,000s).
    const group: EndpointGroup = { name, ports: this.portList(slice.ports), endpoints: endpoints.slice() };
    const cur = this.groupsBySvc.get(owner);
    this.groupsBySvc.set(owner, cur === undefined ? group : Array.isArray(cur) ? [...cur, group] : [cur, group]);
    this.sliceCount++;
    this.indexGroup(owner, group, true);
  }

  private removeGroup(owner: string, name: string): void {
    const cur = this.groupsBySvc.get(owner);
    if (cur === undefined) return;
    const list = Array.isArray(cur) ? cur : [cur];
    const old = list.find((g) => g.name === name);
    if (!old) return;
    this.indexGroup(owner, old, false);
    this.sliceCount--;
    const rest = list.filter((g) => g !== old);
    if (rest.length === 0) this.groupsBySvc.delete(owner);
    else this.groupsBySvc.set(owner, rest.length === 1 ? rest[0] : rest);
  }

  private findSliceOwner(ns: string, name: string): string | undefined {
    for (const [k, g] of this.groupsBySvc)
      if (k.slice(k.indexOf(".") + 1) === ns && (Array.isArray(g) ? g : [g]).some((x) => x.name === name)) return k;
    return undefined;
  }

  private setEndpoints(ep: Endpoints, del: boolean): void {
    const key = serviceKey(ep.metadata.name ?? "", ep.metadata.namespace ?? "default");
    for (const g of this.endpointsObj.get(key) ?? []) this.indexGroup(key, g, false);
    this.endpointsObj.delete(key);
    if (del) return;
    const groups: EndpointGroup[] = [];
    for (const s of ep.subsets ?? []) {
      const endpoints: EndpointRecord[] = [];
      for (const a of s.addresses ?? []) endpoints.push(endpointRecord(a.ip, a.hostname ?? "", true, this.keepPodNames ? podNameOf(a.targetRef) : "", ""));
      for (const a of s.notReadyAddresses ?? []) endpoints.push(endpointRecord(a.ip, a.hostname ?? "", false, this.keepPodNames ? podNameOf(a.targetRef) : "", ""));
      groups.push({ name: "", ports: this.portList(s.ports), endpoints });
    }
    this.endpointsObj.set(key, groups);
    for (const g of groups) this.indexGroup(key, g, true);
  }

  private setPod(pod: Pod, del: boolean): void {
    const ns = this.intern((pod.metadata.namespace ?? "default").toLowerCase());
    const key = ns + "/" + (pod.metadata.name ?? "");
    const old = this.pods.get(key);
    if (old !== undefined) {
      for (const ip of multi(old)) removeMulti(this.podIPs, ipKey(ip), ns);
      this.pods.delete(key);
    }
    if (del) return;
    // CoreDNS indexes Pods by status.podIP only (object/pod.go), so a dual-stack Pod is verified by its primary IP.
    const ips = pod.status?.podIP ? [pod.status.podIP] : [];
    if (ips.length === 0) return;
    this.pods.set(key, ips.length === 1 ? ips[0] : ips);
    for (const ip of ips) addMulti(this.podIPs, ipKey(ip), ns);
  }
}
