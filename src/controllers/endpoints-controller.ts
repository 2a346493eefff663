// The endpoints controller loop: Services x Pods -> Endpoints (pure part in endpoints.ts).
import type { Endpoints, Pod, Service } from "../api/types.js";
import { isStatusError } from "../api/status.js";
import { ControllerContext, splitKey } from "./context.js";
import { desiredEndpoints, endpointsChanged } from "./endpoints.js";
import { objectKey } from "./informer.js";
import { mapSelectorMatches } from "./selector.js";

/** Services in the Pod's namespace whose selector matches the Pod (old or new labels). */
export function servicesForPod(services: Service[], pod: Pod, old?: Pod): string[] {
  const ns = pod.metadata.namespace ?? "default";
  return services
    .filter((s) => (s.metadata.namespace ?? "default") === ns && s.spec.selector)
    .filter((s) => mapSelectorMatches(s.spec.selector!, pod.metadata.labels) || (old && mapSelectorMatches(s.spec.selector!, old.metadata.labels)))
    .map(objectKey);
}

export function startEndpointsController(ctx: ControllerContext): void {
  const services = ctx.informers.for<Service>("Service");
  const pods = ctx.informers.for<Pod>("Pod");
  const endpoints = ctx.informers.for<Endpoints>("Endpoints");

  const q = ctx.queue("endpoints", async (key) => {
    const { namespace, name } = splitKey(key);
    const svc = services.get(namespace, name);
    const existing = endpoints.get(namespace, name);
    if (!svc) {
      // upstream deletes the Endpoints of a deleted Service.
      if (existing && name !== "kubernetes") await ctx.delete(existing);
      return;
    }
    const want = desiredEndpoints(svc, pods.list(namespace), existing);
    if (!want) return; // no selector: hand-written Endpoints are the user's
    if (!existing) {
      try {
        await ctx.create(want);
      } catch (e) {
        if (!isStatusError(e, "AlreadyExists")) throw e;
        throw new Error(`endpoints ${key} appeared meanwhile; retrying`);
      }
      return;
    }
    if (endpointsChanged(existing, want)) {
      const next: Endpoints = { ...want, metadata: { ...want.metadata, resourceVersion: existing.metadata.resourceVersion } };
      if (!want.subsets) delete next.subsets;
      await ctx.update(next);
    }
  });

  services.on((_t, s) => q.add(objectKey(s)));
  pods.on((_t, p, old) => {
    for (const k of servicesForPod(services.list(p.metadata.namespace ?? "default"), p, old)) q.add(k);
  });
  endpoints.on((t, e) => {
    if (t === "delete" || services.get(e.metadata.namespace, e.metadata.name ?? "")?.spec.selector) q.add(objectKey(e));
  });
}
