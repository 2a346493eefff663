// The simulated cloud load balancer in the fabric (pure plan + edge): for every LoadBalancer
// Service with an address in status, DNAT in the fabric from LB-IP:port to one node's
// NodePort, chosen at random (External LB -> NodePort -> ClusterIP -> Pod). One nft
// transaction replaces the whole table on each change.
import type { Service } from "../api/types.js";
import type { LabPlan } from "./address-plan.js";
import { mustNsExec, type Runner } from "./exec.js";

export const LB_TABLE = "netlab-lb";

export interface LbRule {
  ip: string;
  protocol: "tcp" | "udp";
  port: number;
  nodePort: number;
  comment: string;
}

export function planLoadBalancerRules(services: Service[]): LbRule[] {
  const out: LbRule[] = [];
  for (const s of services) {
    if (s.spec?.type !== "LoadBalancer") continue;
    const ips = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((i): i is string => !!i);
    for (const ip of ips) {
      for (const p of s.spec.ports ?? []) {
        const proto = (p.protocol ?? "TCP").toLowerCase();
        if (!p.nodePort || (proto !== "tcp" && proto !== "udp")) continue;
        out.push({ ip, protocol: proto, port: p.port, nodePort: p.nodePort, comment: `${s.metadata.namespace ?? "default"}/${s.metadata.name}${p.name ? `:${p.name}` : ""}` });
      }
    }
  }
  return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

export function renderLoadBalancerTable(rules: LbRule[], nodeIPs: string[]): string {
  const lines = [`table ip ${LB_TABLE} {}`, `delete table ip ${LB_TABLE}`, `table ip ${LB_TABLE} {`, "  chain prerouting {", "    type nat hook prerouting priority dstnat; policy accept;"];
  if (nodeIPs.length) {
    for (const r of rules) {
      const map = nodeIPs.map((ip, i) => `${i} : ${ip} . ${r.nodePort}`).join(", ");
      lines.push(`    ip daddr ${r.ip} ${r.protocol} dport ${r.port} dnat ip to numgen random mod ${nodeIPs.length} map { ${map} } comment "${r.comment}"`);
    }
  }
  lines.push("  }", "}", "");
  return lines.join("\n");
}

export class CloudLoadBalancer {
  private last = "";
  constructor(
    private readonly runner: Runner,
    private readonly plan: LabPlan,
  ) {}

  async sync(services: Service[]): Promise<void> {
    const script = renderLoadBalancerTable(planLoadBalancerRules(services), this.plan.nodes.map((n) => n.ip));
    if (script === this.last) return;
    await mustNsExec(this.runner, this.plan.fabric.netns, "nft", ["-f", "-"], { input: script });
    this.last = script;
  }
}
