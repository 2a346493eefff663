// The jumps from the built-in chains into kube-proxy's chains. kube-proxy cannot write these
// in its restore input (that would replace every rule of PREROUTING etc.), so it ensures
// each with `iptables -C` and, when missing, `iptables -I` (prepend), in this order.
import type { KubeProxyConfiguration } from "../config.js";

export interface JumpRule {
  table: "filter" | "nat";
  chain: string; // the built-in chain
  target: string; // kube-proxy's chain
  /** The rule's match and jump arguments, as `iptables -t T -C/-I CHAIN` takes them. */
  args: string[];
}

const CT_NEW = ["-m", "conntrack", "--ctstate", "NEW"];

function jump(table: JumpRule["table"], target: string, chain: string, comment: string, extra: string[] = []): JumpRule {
  const args = [...extra];
  if (comment) args.push("-m", "comment", "--comment", comment);
  args.push("-j", target);
  return { table, chain, target, args };
}

/** kube-proxy's iptablesJumpChains followed by the kubelet duplicates it also ensures. */
export function baseJumpRules(cfg?: KubeProxyConfiguration): JumpRule[] {
  void cfg;
  return [
    jump("filter", "KUBE-EXTERNAL-SERVICES", "INPUT", "kubernetes externally-visible service portals", CT_NEW),
    jump("filter", "KUBE-EXTERNAL-SERVICES", "FORWARD", "kubernetes externally-visible service portals", CT_NEW),
    jump("filter", "KUBE-NODEPORTS", "INPUT", "kubernetes health check service ports"),
    jump("filter", "KUBE-SERVICES", "FORWARD", "kubernetes service portals", CT_NEW),
    jump("filter", "KUBE-SERVICES", "OUTPUT", "kubernetes service portals", CT_NEW),
    jump("filter", "KUBE-FORWARD", "FORWARD", "kubernetes forwarding rules"),
    jump("filter", "KUBE-PROXY-FIREWALL", "INPUT", "kubernetes load balancer firewall", CT_NEW),
    jump("filter", "KUBE-PROXY-FIREWALL", "OUTPUT", "kubernetes load balancer firewall", CT_NEW),
    jump("filter", "KUBE-PROXY-FIREWALL", "FORWARD", "kubernetes load balancer firewall", CT_NEW),
    jump("nat", "KUBE-SERVICES", "OUTPUT", "kubernetes service portals"),
    jump("nat", "KUBE-SERVICES", "PREROUTING", "kubernetes service portals"),
    jump("nat", "KUBE-POSTROUTING", "POSTROUTING", "kubernetes postrouting rules"),
    jump("filter", "KUBE-FIREWALL", "INPUT", ""),
    jump("filter", "KUBE-FIREWALL", "OUTPUT", ""),
  ];
}

/**
 * The commands that ensure the jumps, as argument vectors for `iptables`: for each rule a
 * `-N` for the target chain (ignore "already exists"), a `-C` check, and the `-I` to run
 * when the check fails.
 */
export function baseRuleCommands(cfg?: KubeProxyConfiguration): { ensureChain: string[]; check: string[]; insert: string[] }[] {
  return baseJumpRules(cfg).map((r) => ({
    ensureChain: ["-t", r.table, "-N", r.target],
    check: ["-t", r.table, "-C", r.chain, ...r.args],
    insert: ["-t", r.table, "-I", r.chain, ...r.args],
  }));
}
