// Service spec.externalIPs in the fabric (pure plan + edge). Kubernetes does not manage these
// addresses: the admin routes them to a node, and kube-proxy there matches the original
// destination ("external IP" rules). So the fabric ROUTES each address to the nodes (ECMP, no
// DNAT, unlike the cloud load balancer), and the external network routes it to the fabric when
// it is not already in a range it sends there. Routes carry their own protocol number so that a
// sync (or a restarted daemon) finds and replaces exactly its own routes: level-triggered.
import type { Service } from "../api/types.js";
import type { LabPlan } from "./address-plan.js";
import { cidrContains, parseIPv4 } from "../cluster/ipv4.js";
import { containsAddress, parseCidr } from "./ipv4.js";
import { ipBatch, mustRun, type Runner } from "./exec.js";

/** rtnetlink protocol number of these routes (unassigned in /etc/iproute2/rt_protos). */
export const EXTERNAL_IP_ROUTE_PROTO = 77;

export interface ExternalIPRoutePlan {
  /** Addresses routed to the nodes, sorted. */
  ips: string[];
  /** Addresses left alone, with why (they belong to the lab itself or to the LB pool). */
  skipped: { ip: string; service: string; reason: string }[];
}

export function planExternalIPRoutes(services: Service[], plan: LabPlan): ExternalIPRoutePlan {
  const lbIPs = new Set(services.flatMap((s) => (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((i): i is string => !!i)));
  const own = new Set([plan.fabric.publicIP, plan.fabric.externalIP, plan.nodeNetwork.gateway]);
  const ranges = (
    [
      [plan.nodeNetwork.cidr, "in the node network"],
      [plan.clusterCIDR, "in the cluster CIDR"],
      [plan.external.cidr, "in the external network"],
      ["127.0.0.0/8", "a loopback address"],
      ["224.0.0.0/3", "a multicast or reserved address"],
      ["0.0.0.0/8", "not a unicast address"],
    ] as const
  ).map(([c, reason]) => ({ cidr: parseCidr(c), reason }));
  const ips = new Set<string>();
  const skipped: ExternalIPRoutePlan["skipped"] = [];
  for (const s of services) {
    const service = `${s.metadata.namespace ?? "default"}/${s.metadata.name}`;
    for (const ip of s.spec?.externalIPs ?? []) {
      const n = parseIPv4(ip);
      if (n === undefined) continue; // IPv6: the lab is IPv4-only
      let reason: string | undefined;
      if (own.has(ip)) reason = "an address of the fabric";
      else if (lbIPs.has(ip)) reason = "a LoadBalancer address";
      else reason = ranges.find((r) => cidrContains(r.cidr, n))?.reason;
      if (reason) skipped.push({ ip, service, reason });
      else ips.add(ip);
    }
  }
  return { ips: [...ips].sort(), skipped };
}

/** `ip route` lines for the fabric: each address as a host route over every node (ECMP). */
export function fabricRouteLines(ips: string[], plan: LabPlan): string[] {
  if (plan.nodes.length === 0) return [];
  const hops = plan.nodes.map((n) => `nexthop via ${n.ip} dev ${plan.fabric.bridge}`).join(" ");
  return ips.map((ip) => `route replace ${ip}/32 proto ${EXTERNAL_IP_ROUTE_PROTO} ${hops}`);
}

/** `ip route` lines for the external network: addresses it does not already send to the fabric. */
export function externalRouteLines(ips: string[], plan: LabPlan): string[] {
  const via = plan.external.routedViaFabric.map((c) => parseCidr(c));
  return ips.filter((ip) => !via.some((c) => containsAddress(c, ip))).map((ip) => `route replace ${ip}/32 proto ${EXTERNAL_IP_ROUTE_PROTO} via ${plan.fabric.externalIP}`);
}

/** Destinations of the routes with our protocol number in a namespace (`ip route show proto N`). */
export function parseOwnRoutes(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => /^\d/.test(l))
    .map((l) => l.split(" ")[0].replace(/\/32$/, ""));
}

export class ExternalIPRouter {
  private last = "";
  constructor(
    private readonly runner: Runner,
    private readonly plan: LabPlan,
    private readonly log: (m: string) => void = () => {},
  ) {}

  async sync(services: Service[]): Promise<void> {
    const p = planExternalIPRoutes(services, this.plan);
    const key = JSON.stringify(p);
    if (key === this.last) return;
    for (const s of p.skipped) this.log(`externalIP ${s.ip} of ${s.service} not routed: ${s.reason}`);
    for (const [netns, lines] of [
      [this.plan.fabric.netns, fabricRouteLines(p.ips, this.plan)],
      [this.plan.external.netns, externalRouteLines(p.ips, this.plan)],
    ] as const) {
      const want = new Set(lines.map((l) => l.split(" ")[2].replace(/\/32$/, "")));
      const have = parseOwnRoutes(await mustRun(this.runner, "ip", ["-n", netns, "-4", "route", "show", "proto", String(EXTERNAL_IP_ROUTE_PROTO)]));
      const stale = have.filter((ip) => !want.has(ip)).map((ip) => `route del ${ip}/32 proto ${EXTERNAL_IP_ROUTE_PROTO}`);
      await ipBatch(this.runner, [...stale, ...lines], netns);
    }
    this.last = key;
  }
}
