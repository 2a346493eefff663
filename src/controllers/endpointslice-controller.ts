// The EndpointSlice controller loop and the mirroring loop (pure parts in endpointslices.ts
// and endpointslice-mirroring.ts).
import type { Endpoints, EndpointSlice, Node, Pod, Service } from "../api/types.js";
import { ControllerContext, splitKey } from "./context.js";
import { ENDPOINTSLICE_CONTROLLER, MANAGED_BY_LABEL, MIRRORING_CONTROLLER, SERVICE_NAME_LABEL, planEndpointSlices, type SlicePlan } from "./endpointslices.js";
import { planMirroredSlices } from "./endpointslice-mirroring.js";
import { servicesForPod } from "./endpoints-controller.js";
import { objectKey, type Informer } from "./informer.js";

function managedSlices(slices: Informer<EndpointSlice>, namespace: string | undefined, service: string, managedBy: string): EndpointSlice[] {
  return slices.list(namespace ?? "default").filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === service && s.metadata.labels?.[MANAGED_BY_LABEL] === managedBy);
}

async function applyPlan(ctx: ControllerContext, plan: SlicePlan): Promise<void> {
  for (const s of plan.delete) await ctx.delete(s);
  for (const s of plan.update) await ctx.update(s);
  for (const s of plan.create) await ctx.create(s);
}

function sliceOwnerKey(s: EndpointSlice, managedBy: string): string | undefined {
  if (s.metadata.labels?.[MANAGED_BY_LABEL] !== managedBy) return undefined;
  const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${s.metadata.namespace ?? "default"}/${svc}` : undefined;
}

export function startEndpointSliceController(ctx: ControllerContext): void {
  const services = ctx.informers.for<Service>("Service");
  const pods = ctx.informers.for<Pod>("Pod");
  const slices = ctx.informers.for<EndpointSlice>("EndpointSlice");
  const nodes = ctx.informers.for<Node>("Node");
  const zoneOfNode = (n: string) => nodes.get(undefined, n)?.metadata.labels?.["topology.kubernetes.io/zone"];

  const q = ctx.queue("endpointslice", async (key) => {
    const { namespace, name } = splitKey(key);
    const svc = services.get(namespace, name);
    const existing = managedSlices(slices, namespace, name, ENDPOINTSLICE_CONTROLLER);
    if (!svc) {
      for (const s of existing) await ctx.delete(s);
      return;
    }
    await applyPlan(ctx, planEndpointSlices(svc, pods.list(namespace), existing, ctx.random, { zoneOfNode }));
  });

  services.on((_t, s) => q.add(objectKey(s)));
  pods.on((_t, p, old) => {
    for (const k of servicesForPod(services.list(p.metadata.namespace ?? "default"), p, old)) q.add(k);
  });
  slices.on((_t, s) => {
    const k = sliceOwnerKey(s, ENDPOINTSLICE_CONTROLLER);
    if (k) q.add(k);
  });
  // Endpoints carry their node's zone: a zone change touches every Service with Pods there.
  nodes.on((_t, n, old) => {
    const zone = (x?: Node) => x?.metadata.labels?.["topology.kubernetes.io/zone"];
    if (!old || zone(n) === zone(old)) return;
    for (const svc of services.list()) if (svc.spec.selector) q.add(objectKey(svc));
  });
}

export function startEndpointSliceMirroringController(ctx: ControllerContext): void {
  const services = ctx.informers.for<Service>("Service");
  const endpoints = ctx.informers.for<Endpoints>("Endpoints");
  const slices = ctx.informers.for<EndpointSlice>("EndpointSlice");

  const q = ctx.queue("endpointslicemirroring", async (key) => {
    const { namespace, name } = splitKey(key);
    const existing = managedSlices(slices, namespace, name, MIRRORING_CONTROLLER);
    await applyPlan(ctx, planMirroredSlices(services.get(namespace, name), endpoints.get(namespace, name), existing, ctx.random));
  });

  services.on((_t, s) => q.add(objectKey(s)));
  endpoints.on((_t, e) => q.add(objectKey(e)));
  slices.on((_t, s) => {
    const k = sliceOwnerKey(s, MIRRORING_CONTROLLER);
    if (k) q.add(k);
  });
}
