// EndpointSlices for a Service with a selector (upstream pkg/controller/endpointslice): one set
// of slices per address family and per port set, at most 100 endpoints per slice, conditions
// ready/serving/terminating, named `<svc>-<5 random>` and owned by the Service. Updates are
// stable: an endpoint stays in the slice that has it, new ones fill slices with room first.
import type { Endpoint, EndpointPort, EndpointSlice, OwnerReference, Pod, Service } from "../api/types.js";
import { canonicalJson } from "./hash.js";
import { HEADLESS_LABEL, isHeadless, podSelectedByService } from "./endpoints.js";
import { endpointHostname, findPort, isIPv6, isPodReady, podIPs, shouldPodBeInEndpoints } from "./pod-util.js";
import { generateName, type RandomSource } from "./random.js";

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io";
export const MIRRORING_CONTROLLER = "endpointslicemirroring-controller.k8s.io";
export const MAX_ENDPOINTS_PER_SLICE = 100;

export type AddressType = "IPv4" | "IPv6";

/** Endpoints that share an address type and a port set end up in the same slices. */
export interface DesiredGroup {
  addressType: AddressType;
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

export interface SliceIdentity {
  /** generateName base, e.g. the service name. */
  baseName: string;
  namespace: string;
  labels: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export function serviceFamilies(svc: Service): AddressType[] {
  if (svc.spec.ipFamilies?.length) return svc.spec.ipFamilies;
  return [svc.spec.clusterIP && isIPv6(svc.spec.clusterIP) ? "IPv6" : "IPv4"];
}

export function serviceOwnerReference(svc: Service): OwnerReference {
  return { apiVersion: "v1", kind: "Service", name: svc.metadata.name ?? "", uid: svc.metadata.uid ?? "", controller: true, blockOwnerDeletion: true };
}

function groupKey(addressType: string, ports: EndpointPort[] | null | undefined): string {
  return `${addressType}/${canonicalJson(ports ?? [])}`;
}

/** Identity of an endpoint across syncs: its Pod when known, else its first address. */
function endpointKey(e: Endpoint): string {
  return e.targetRef?.uid ? `uid:${e.targetRef.uid}` : `ip:${e.addresses[0] ?? ""}`;
}

/** The endpoints of a selector Service, grouped by address family and per-Pod port set. */
export function desiredServiceGroups(svc: Service, pods: Pod[], zoneOfNode?: (node: string) => string | undefined): DesiredGroup[] {
  const groups = new Map<string, DesiredGroup>();
  const families = serviceFamilies(svc);
  for (const pod of pods) {
    if (!podSelectedByService(svc, pod)) continue;
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? "", protocol: sp.protocol ?? "TCP", port };
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    const serving = isPodReady(pod);
    const terminating = pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
    // Ready is never true for a terminating Pod, unless the service publishes not-ready addresses.
    const ready = svc.spec.publishNotReadyAddresses === true || (serving && !terminating);
    for (const family of families) {
      const ip = podIPs(pod).find((a) => isIPv6(a) === (family === "IPv6"));
      if (!ip) continue;
      const e: Endpoint = { addresses: [ip], conditions: { ready, serving, terminating } };
      const hostname = endpointHostname(pod, svc.metadata.name ?? "", svc.metadata.namespace);
      if (hostname) e.hostname = hostname;
      e.targetRef = { kind: "Pod", namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name, uid: pod.metadata.uid };
      if (pod.spec.nodeName) {
        e.nodeName = pod.spec.nodeName;
        const zone = zoneOfNode?.(pod.spec.nodeName);
        if (zone) e.zone = zone;
      }
      const key = groupKey(family, ports);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType: family, ports, endpoints: [] }));
      g.endpoints.push(e);
    }
  }
  return [...groups.values()];
}

export function serviceSliceIdentity(svc: Service, managedBy: string): SliceIdentity {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  labels[SERVICE_NAME_LABEL] = svc.metadata.name ?? "";
  labels[MANAGED_BY_LABEL] = managedBy;
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = "";
  else delete labels[HEADLESS_LABEL];
  return { baseName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace ?? "default", labels, ownerReferences: [serviceOwnerReference(svc)] };
}

/**
 * Slices for a selector Service. `existing` are the slices this controller manages for it.
 * Services without a selector, and ExternalName services, get none (existing ones are deleted).
 */
export function planEndpointSlices(
  svc: Service,
  pods: Pod[],
  existing: EndpointSlice[],
  rand: RandomSource,
  opts: { maxEndpointsPerSlice?: number; zoneOfNode?: (node: string) => string | undefined } = {},
): SlicePlan {
  if (!svc.spec.selector || svc.spec.type === "ExternalName") return { create: [], update: [], delete: [...existing] };
  const groups = desiredServiceGroups(svc, pods, opts.zoneOfNode);
  return reconcileSlices(groups, existing, serviceSliceIdentity(svc, ENDPOINTSLICE_CONTROLLER), serviceFamilies(svc)[0], rand, opts.maxEndpointsPerSlice);
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  const x = a.addresses[0] ?? "";
  const y = b.addresses[0] ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

function newSlice(id: SliceIdentity, addressType: AddressType, ports: EndpointPort[] | null, endpoints: Endpoint[], rand: RandomSource, taken: Set<string>): EndpointSlice {
  let name = generateName(id.baseName, rand);
  while (taken.has(name)) name = generateName(id.baseName, rand);
  taken.add(name);
  const metadata: EndpointSlice["metadata"] = { name, generateName: id.baseName, namespace: id.namespace, labels: { ...id.labels } };
  if (id.ownerReferences) metadata.ownerReferences = id.ownerReferences.map((o) => ({ ...o }));
  return { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata, addressType, endpoints, ports };
}

function labelsDiffer(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  return canonicalJson(a ?? {}) !== canonicalJson(b);
}

/**
 * The stable part of upstream's reconciler: endpoints stay where they are (updated in place
 * when their conditions change), gone ones are removed, new ones fill slices that have room
 * (fullest first) before new slices are made. A slice left empty is deleted. With no
 * endpoints at all, one empty placeholder slice remains, as upstream keeps.
 */
export function reconcileSlices(
  groups: DesiredGroup[],
  existing: EndpointSlice[],
  id: SliceIdentity,
  placeholderType: AddressType,
  rand: RandomSource,
  maxPerSlice = MAX_ENDPOINTS_PER_SLICE,
): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const taken = new Set(existing.map((s) => s.metadata.name ?? ""));
  const byGroup = new Map<string, EndpointSlice[]>();
  for (const s of [...existing].sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1))) {
    const k = groupKey(s.addressType, s.ports);
    byGroup.set(k, [...(byGroup.get(k) ?? []), s]);
  }
  const total = groups.reduce((n, g) => n + g.endpoints.length, 0);
  if (total === 0) {
    const placeholder = existing.find((s) => (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0 && s.addressType === placeholderType);
    for (const s of existing) if (s !== placeholder) plan.delete.push(s);
    if (placeholder) {
      if (labelsDiffer(placeholder.metadata.labels, id.labels)) plan.update.push({ ...placeholder, metadata: { ...placeholder.metadata, labels: { ...id.labels } } });
    } else {
      plan.create.push(newSlice(id, placeholderType, null, [], rand, taken));
    }
    return plan;
  }
  const wanted = new Set<string>();
  for (const g of groups) {
    const k = groupKey(g.addressType, g.ports);
    wanted.add(k);
    const desired = new Map(g.endpoints.map((e) => [endpointKey(e), e]));
    const slices = byGroup.get(k) ?? [];
    const kept: { slice: EndpointSlice; endpoints: Endpoint[]; changed: boolean }[] = [];
    for (const s of slices) {
      const eps: Endpoint[] = [];
      let changed = labelsDiffer(s.metadata.labels, id.labels);
      for (const e of s.endpoints ?? []) {
        const key = endpointKey(e);
        const d = desired.get(key);
        if (!d) {
          changed = true;
          continue;
        }
        if (canonicalJson(d) !== canonicalJson(e)) changed = true;
        eps.push(d);
        desired.delete(key);
      }
      kept.push({ slice: s, endpoints: eps, changed });
    }
    const fresh = [...desired.values()].sort(compareEndpoints);
    // Fill slices with room, fullest first, so endpoints pack into few slices.
    const withRoom = kept.filter((k) => k.endpoints.length > 0 && k.endpoints.length < maxPerSlice).sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const k of withRoom) {
      while (fresh.length && k.endpoints.length < maxPerSlice) {
        k.endpoints.push(fresh.shift()!);
        k.changed = true;
      }
    }
    for (const k of kept) {
      if (k.endpoints.length === 0) {
        // An emptied slice is reused for new endpoints before it would be deleted.
        if (fresh.length) {
          k.endpoints = fresh.splice(0, maxPerSlice);
          k.changed = true;
        } else {
          plan.delete.push(k.slice);
          continue;
        }
      }
      if (k.changed) plan.update.push({ ...k.slice, metadata: { ...k.slice.metadata, labels: { ...id.labels } }, endpoints: k.endpoints, ports: g.ports });
    }
    while (fresh.length) plan.create.push(newSlice(id, g.addressType, g.ports, fresh.splice(0, maxPerSlice), rand, taken));
  }
  for (const [k, slices] of byGroup) if (!wanted.has(k)) plan.delete.push(...slices);
  return plan;
}
