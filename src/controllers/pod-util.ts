// Pod predicates the workload and endpoint controllers share, as upstream's podutil defines them.
import type { IntOrString, Pod, Protocol, ServicePort } from "../api/types.js";

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

export function isPodTerminal(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p === "Succeeded" || p === "Failed";
}

/** Counted by ReplicaSets and Deployments: not finished and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

export function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

export function isIPv6(ip: string): boolean {
  return ip.includes(":");
}

/** upstream endpointsutil.ShouldPodBeInEndpoints. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return !isPodTerminal(pod);
}

/**
 * upstream podutil.FindPort: a numeric targetPort is used as is; a named one is looked up in
 * this Pod's container ports with the same protocol. undefined when the Pod lacks the name.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target: IntOrString = sp.targetPort ?? sp.port;
  if (typeof target === "number") return target;
  const proto: Protocol = sp.protocol ?? "TCP";
  for (const c of [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? "TCP") === proto) return p.containerPort;
    }
  }
  return undefined;
}

/** The hostname an endpoint gets: only when the Pod's subdomain names this service in its namespace. */
export function endpointHostname(pod: Pod, serviceName: string, serviceNamespace: string | undefined): string | undefined {
  const h = pod.spec.hostname;
  if (h && pod.spec.subdomain === serviceName && (pod.metadata.namespace ?? "default") === (serviceNamespace ?? "default")) return h;
  return undefined;
}

/** Natural order for names like node-2 < node-10. */
export function naturalCompare(a: string, b: string): number {
  const ca = a.match(/\d+|\D+/g) ?? [];
  const cb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i];
    const y = cb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length || (a < b ? -1 : a > b ? 1 : 0);
}
