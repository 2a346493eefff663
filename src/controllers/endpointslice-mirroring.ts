// Mirrors the hand-written Endpoints of a Service without a selector into EndpointSlices
// (upstream pkg/controller/endpointslicemirroring). The Endpoints object itself is not touched.
import type { Endpoint, EndpointAddress, EndpointPort, Endpoints, EndpointSlice, Service } from "../api/types.js";
import { canonicalJson } from "./hash.js";
import { isIPv6 } from "./pod-util.js";
import type { RandomSource } from "./random.js";
import {
  MANAGED_BY_LABEL,
  MIRRORING_CONTROLLER,
  SERVICE_NAME_LABEL,
  reconcileSlices,
  serviceOwnerReference,
  type AddressType,
  type DesiredGroup,
  type SlicePlan,
} from "./endpointslices.js";

export const SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror";
/** upstream mirrors at most this many addresses per Endpoints. */
export const MAX_MIRRORED_ENDPOINTS = 1000;

export function shouldMirror(svc: Service | undefined, ep: Endpoints | undefined): boolean {
  if (!svc || !ep) return false;
  if (svc.spec.selector) return false;
  if (ep.metadata.labels?.[SKIP_MIRROR_LABEL] === "true") return false;
  return true;
}

function toEndpoint(a: EndpointAddress, ready: boolean): Endpoint {
  const e: Endpoint = { addresses: [a.ip], conditions: { ready } };
  if (a.hostname) e.hostname = a.hostname;
  if (a.targetRef) e.targetRef = { ...a.targetRef };
  if (a.nodeName) e.nodeName = a.nodeName;
  return e;
}

export function desiredMirrorGroups(ep: Endpoints): DesiredGroup[] {
  const groups = new Map<string, DesiredGroup>();
  let budget = MAX_MIRRORED_ENDPOINTS;
  for (const ss of ep.subsets ?? []) {
    const ports: EndpointPort[] = (ss.ports ?? []).map((p) => {
      const out: EndpointPort = { name: p.name ?? "", protocol: p.protocol ?? "TCP", port: p.port };
      if (p.appProtocol) out.appProtocol = p.appProtocol;
      return out;
    });
    const add = (a: EndpointAddress, ready: boolean) => {
      if (budget <= 0) return;
      const type: AddressType = isIPv6(a.ip) ? "IPv6" : "IPv4";
      const key = `${type}/${canonicalJson(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType: type, ports, endpoints: [] }));
      if (g.endpoints.some((e) => e.addresses[0] === a.ip)) return;
      g.endpoints.push(toEndpoint(a, ready));
      budget--;
    };
    for (const a of ss.addresses ?? []) add(a, true);
    for (const a of ss.notReadyAddresses ?? []) add(a, false);
  }
  return [...groups.values()];
}

/** Slices for the Endpoints of a selectorless Service; `existing` are the mirrored slices. */
export function planMirroredSlices(svc: Service | undefined, ep: Endpoints | undefined, existing: EndpointSlice[], rand: RandomSource): SlicePlan {
  if (!shouldMirror(svc, ep)) return { create: [], update: [], delete: [...existing] };
  const labels: Record<string, string> = { ...(ep!.metadata.labels ?? {}) };
  labels[SERVICE_NAME_LABEL] = svc!.metadata.name ?? "";
  labels[MANAGED_BY_LABEL] = MIRRORING_CONTROLLER;
  const groups = desiredMirrorGroups(ep!);
  const plan = reconcileSlices(
    groups,
    existing,
    { baseName: `${ep!.metadata.name}-`, namespace: ep!.metadata.namespace ?? "default", labels, ownerReferences: [serviceOwnerReference(svc!)] },
    "IPv4",
    rand,
  );
  // The mirroring controller keeps no placeholder: an Endpoints without addresses has no slices.
  if (groups.length === 0) return { create: [], update: [], delete: [...existing] };
  return plan;
}
