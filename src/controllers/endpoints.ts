// The Endpoints object the endpoints controller keeps for a Service with a selector
// (upstream pkg/controller/endpoint): one address per Pod with an IP, ready Pods in
// `addresses`, the others in `notReadyAddresses`, named targetPorts resolved per Pod, and the
// subsets repacked so that addresses sharing the same ports share a subset.
import { createHash } from "node:crypto";
import type { EndpointAddress, EndpointPort, Endpoints, EndpointSubset, Pod, Service } from "../api/types.js";
import { canonicalJson } from "./hash.js";
import { mapSelectorMatches } from "./selector.js";
import { endpointHostname, findPort, isIPv6, isPodReady, podIPs, shouldPodBeInEndpoints } from "./pod-util.js";

export const HEADLESS_LABEL = "service.kubernetes.io/headless";
/** Marks Endpoints the controller made (upstream 1.33+), as opposed to hand-written ones. */
export const ENDPOINTS_MANAGED_BY_LABEL = "endpoints.kubernetes.io/managed-by";
export const ENDPOINT_CONTROLLER = "endpoint-controller";
/** upstream maxCapacity: more addresses than this are truncated (ready ones kept first). */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = "endpoints.kubernetes.io/over-capacity";

export function isHeadless(svc: Service): boolean {
  return svc.spec.clusterIP === "None";
}

/** The service's primary family decides which Pod IP goes into Endpoints. */
export function serviceFamily(svc: Service): "IPv4" | "IPv6" {
  const f = svc.spec.ipFamilies?.[0];
  if (f) return f;
  return svc.spec.clusterIP && isIPv6(svc.spec.clusterIP) ? "IPv6" : "IPv4";
}

export function podSelectedByService(svc: Service, pod: Pod): boolean {
  if (!svc.spec.selector) return false;
  return (pod.metadata.namespace ?? "default") === (svc.metadata.namespace ?? "default") && mapSelectorMatches(svc.spec.selector, pod.metadata.labels);
}

function podAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  const family = serviceFamily(svc);
  const ip = podIPs(pod).find((a) => isIPv6(a) === (family === "IPv6"));
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  const hostname = endpointHostname(pod, svc.metadata.name ?? "", svc.metadata.namespace);
  if (hostname) addr.hostname = hostname;
  if (pod.spec.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: "Pod", namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name, uid: pod.metadata.uid };
  return addr;
}

/** The subsets for a Service from the Pods (any Pods: the selector is applied here). */
export function computeEndpointSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const publishNotReady = svc.spec.publishNotReadyAddresses === true;
  const subsets: EndpointSubset[] = [];
  for (const pod of pods) {
    if (!podSelectedByService(svc, pod)) continue;
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = podAddress(svc, pod);
    if (!addr) continue;
    const ready = publishNotReady || isPodReady(pod);
    const ports = svc.spec.ports ?? [];
    if (ports.length === 0) {
      // Headless without ports: addresses only (DNS A records); a ClusterIP service needs a port.
      if (isHeadless(svc)) subsets.push(ready ? { addresses: [addr] } : { notReadyAddresses: [addr] });
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue; // this Pod lacks the named port: not an endpoint for it
      // Field order as upstream serializes EndpointPort: name, port, protocol, appProtocol.
      const ep: EndpointPort = sp.name ? { name: sp.name, port, protocol: sp.protocol ?? "TCP" } : { port, protocol: sp.protocol ?? "TCP" };
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      subsets.push(ready ? { addresses: [addr], ports: [ep] } : { notReadyAddresses: [addr], ports: [ep] });
    }
  }
  return repackSubsets(subsets);
}

function addrKey(a: EndpointAddress): string {
  return `${a.ip}\u0000${a.targetRef?.uid ?? ""}`;
}

function lessAddress(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return Buffer.compare(Buffer.from(a.ip), Buffer.from(b.ip));
  const ua = a.targetRef?.uid;
  const ub = b.targetRef?.uid;
  if (ua === ub) return 0;
  if (ub === undefined) return 1;
  if (ua === undefined) return -1;
  return ua < ub ? -1 : 1;
}

function md5Of(v: unknown): string {
  return createHash("md5").update(canonicalJson(v)).digest("hex");
}

/**
 * upstream endpoints.RepackSubsets: expand to (address, port) pairs, then group ports by the
 * exact set of addresses serving them. Not-ready wins over ready for the same address and port.
 * Ordering: addresses by IP then uid; ports and subsets by a hash of their content (upstream
 * hashes too, over a Go-specific dump; ours is md5 of canonical JSON).
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const allAddrs = new Map<string, EndpointAddress>();
  const portToAddrs = new Map<string, { port: EndpointPort; addrs: Map<string, boolean> }>();
  const noPortAddrs = new Map<string, boolean>();
  const record = (set: Map<string, boolean>, a: EndpointAddress, ready: boolean) => {
    const k = addrKey(a);
    if (!allAddrs.has(k)) allAddrs.set(k, { ...a });
    const was = set.get(k);
    if (was === undefined || was) set.set(k, ready);
  };
  for (const ss of subsets) {
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      for (const a of ss.addresses ?? []) record(noPortAddrs, a, true);
      for (const a of ss.notReadyAddresses ?? []) record(noPortAddrs, a, false);
      continue;
    }
    for (const p of ports) {
      const pk = canonicalJson(p);
      let entry = portToAddrs.get(pk);
      if (!entry) portToAddrs.set(pk, (entry = { port: { ...p }, addrs: new Map() }));
      for (const a of ss.addresses ?? []) record(entry.addrs, a, true);
      for (const a of ss.notReadyAddresses ?? []) record(entry.addrs, a, false);
    }
  }
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, addrs } of portToAddrs.values()) {
    const key = [...addrs.entries()].map(([k, r]) => `${k}\u0001${r}`).sort().join("\u0002");
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { addrs, ports: [] }));
    g.ports.push(port);
  }
  const build = (addrs: Map<string, boolean>, ports: EndpointPort[] | undefined): EndpointSubset => {
    const ready = [...addrs].filter(([, r]) => r).map(([k]) => allAddrs.get(k)!).sort(lessAddress);
    const notReady = [...addrs].filter(([, r]) => !r).map(([k]) => allAddrs.get(k)!).sort(lessAddress);
    const ss: EndpointSubset = {};
    if (ready.length) ss.addresses = ready;
    if (notReady.length) ss.notReadyAddresses = notReady;
    if (ports) ss.ports = ports.map((p) => ({ p, h: md5Of(p) })).sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0)).map((x) => x.p);
    return ss;
  };
  const out = [...groups.values()].map((g) => build(g.addrs, g.ports));
  if (noPortAddrs.size) out.push(build(noPortAddrs, undefined));
  return out.map((s) => ({ s, h: md5Of(s) })).sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0)).map((x) => x.s);
}

/** Keeps ready addresses first when a Service has more than MAX_ENDPOINTS_CAPACITY endpoints. */
function truncate(subsets: EndpointSubset[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (total <= MAX_ENDPOINTS_CAPACITY) return { subsets, truncated: false };
  let room = MAX_ENDPOINTS_CAPACITY;
  const out = subsets.map((s) => ({ ...s }));
  for (const s of out) {
    const n = Math.min(room, s.addresses?.length ?? 0);
    if (s.addresses) s.addresses = s.addresses.slice(0, n);
    room -= n;
  }
  for (const s of out) {
    const n = Math.min(room, s.notReadyAddresses?.length ?? 0);
    if (s.notReadyAddresses) s.notReadyAddresses = s.notReadyAddresses.slice(0, n);
    room -= n;
  }
  return {
    subsets: out
      .map((s) => {
        if (s.addresses?.length === 0) delete s.addresses;
        if (s.notReadyAddresses?.length === 0) delete s.notReadyAddresses;
        return s;
      })
      .filter((s) => s.addresses || s.notReadyAddresses),
    truncated: true,
  };
}

/**
 * The desired Endpoints for a Service with a selector, or undefined when the controller must
 * not manage one (no selector: the user's hand-written Endpoints stay as they are).
 * `existing` keeps its identity (uid, resourceVersion) so the result can be written as an update.
 */
export function desiredEndpoints(svc: Service, pods: Pod[], existing?: Endpoints): Endpoints | undefined {
  if (!svc.spec.selector || svc.spec.type === "ExternalName") return undefined;
  const { subsets, truncated } = truncate(computeEndpointSubsets(svc, pods));
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = "";
  else delete labels[HEADLESS_LABEL];
  labels[ENDPOINTS_MANAGED_BY_LABEL] = ENDPOINT_CONTROLLER;
  const annotations: Record<string, string> = { ...(existing?.metadata.annotations ?? {}) };
  if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = "truncated";
  else delete annotations[OVER_CAPACITY_ANNOTATION];
  const meta = { ...(existing?.metadata ?? {}), name: svc.metadata.name, namespace: svc.metadata.namespace ?? "default" };
  meta.labels = Object.keys(labels).length ? labels : undefined;
  meta.annotations = Object.keys(annotations).length ? annotations : undefined;
  if (!meta.labels) delete meta.labels;
  if (!meta.annotations) delete meta.annotations;
  const ep: Endpoints = { apiVersion: "v1", kind: "Endpoints", metadata: meta };
  if (subsets.length) ep.subsets = subsets;
  return ep;
}

/** True when writing `desired` over `existing` would change what users see. */
export function endpointsChanged(existing: Endpoints, desired: Endpoints): boolean {
  return (
    canonicalJson(existing.subsets ?? []) !== canonicalJson(desired.subsets ?? []) ||
    canonicalJson(existing.metadata.labels ?? {}) !== canonicalJson(desired.metadata.labels ?? {}) ||
    canonicalJson(existing.metadata.annotations ?? {}) !== canonicalJson(desired.metadata.annotations ?? {})
  );
}
