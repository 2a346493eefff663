// LoadBalancer ingress IPs from the lab's public pool (the simulated cloud's job). .0 is the
// network, .1 the fabric's own public address, the last the broadcast; addresses a Service
// claims as externalIPs are never handed out.
import type { Service } from "../api/types.js";
import { cidrContains, cidrSize, formatIPv4, parseCidr4, parseIPv4 } from "../cluster/ipv4.js";

export type LoadBalancerResult = { ip: string } | { error: string };

export function needsLoadBalancer(svc: Service): boolean {
  return svc.spec.type === "LoadBalancer" && !svc.spec.loadBalancerClass;
}

/** The pool address a Service already has in status, if any. */
export function assignedLoadBalancerIP(svc: Service): string | undefined {
  return svc.status?.loadBalancer?.ingress?.find((i) => i.ip)?.ip;
}

/**
 * `used`: LB addresses held by other Services; `reserved`: externalIPs of all Services.
 * spec.loadBalancerIP is honoured when it is in the pool and free.
 */
export function allocateLoadBalancerIP(svc: Service, pool: string, used: Set<string>, reserved: Set<string>): LoadBalancerResult {
  const c = parseCidr4(pool);
  if (!c) return { error: `invalid load balancer pool ${pool}` };
  const size = cidrSize(c);
  const free = (n: number) => {
    const s = formatIPv4(n);
    return n !== c.base && n !== c.base + 1 && n !== c.base + size - 1 && !used.has(s) && !reserved.has(s);
  };
  const wantedStr = svc.spec.loadBalancerIP;
  if (wantedStr) {
    const wanted = parseIPv4(wantedStr);
    if (wanted === undefined || !cidrContains(c, wanted)) return { error: `requested loadBalancerIP ${wantedStr} is not in the pool ${pool}` };
    if (!free(wanted)) return { error: `requested loadBalancerIP ${wantedStr} is already in use` };
    return { ip: wantedStr };
  }
  for (let i = 2; i < size - 1; i++) {
    const n = (c.base + i) >>> 0;
    if (free(n)) return { ip: formatIPv4(n) };
  }
  return { error: `no addresses left in the load balancer pool ${pool}` };
}
