// The (simulated) cloud's service controller: LoadBalancer Services get an ingress IP from
// the pool; Services that stop being LoadBalancers lose it (load-balancer-ips.ts).
import type { Service } from "../api/types.js";
import { ControllerContext, splitKey } from "./context.js";
import { objectKey } from "./informer.js";
import { allocateLoadBalancerIP, assignedLoadBalancerIP, needsLoadBalancer } from "./load-balancer-ips.js";
import { cidrContains, parseCidr4, parseIPv4 } from "../cluster/ipv4.js";

export function startLoadBalancerController(ctx: ControllerContext): void {
  const services = ctx.informers.for<Service>("Service");
  const pool = parseCidr4(ctx.settings.loadBalancerIPRange);
  const inPool = (ip: string) => {
    const n = parseIPv4(ip);
    return !!pool && n !== undefined && cidrContains(pool, n);
  };

  const q = ctx.queue("service-lb", async (key) => {
    const { namespace, name } = splitKey(key);
    const svc = services.get(namespace, name);
    if (!svc) return;
    const have = assignedLoadBalancerIP(svc);
    if (!needsLoadBalancer(svc)) {
      if (svc.spec.type !== "LoadBalancer" && have && inPool(have)) await ctx.updateStatus({ ...svc, status: { ...(svc.status ?? {}), loadBalancer: {} } });
      return;
    }
    const others = services.list().filter((s) => objectKey(s) !== key);
    const used = new Set(others.map(assignedLoadBalancerIP).filter((x): x is string => !!x));
    const reserved = new Set(services.list().flatMap((s) => s.spec.externalIPs ?? []));
    if (have && !used.has(have) && (!svc.spec.loadBalancerIP || svc.spec.loadBalancerIP === have)) return;
    const r = allocateLoadBalancerIP(svc, ctx.settings.loadBalancerIPRange, used, reserved);
    if ("error" in r) {
      await ctx.event(svc, "Warning", "SyncLoadBalancerFailed", `Error syncing load balancer: failed to ensure load balancer: ${r.error}`, "service-controller");
      return;
    }
    await ctx.updateStatus({ ...svc, status: { ...(svc.status ?? {}), loadBalancer: { ingress: [{ ip: r.ip, ipMode: "VIP" }] } } });
    await ctx.event(svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer", "service-controller");
  });

  services.on((t, s) => {
    if (t !== "delete") q.add(objectKey(s));
  });
}
