// Pod IPs from the node's podCIDR, for offline mode (in the lab, CNI's host-local IPAM decides).
// .0 is the network, .1 the bridge gateway (cbr0), the last address is broadcast.
import { cidrContains, cidrSize, formatIPv4, parseCidr4, parseIPv4 } from "../cluster/ipv4.js";

export function allocatePodIP(podCIDR: string, used: Iterable<string>): { ip: string } | { error: string } {
  const c = parseCidr4(podCIDR);
  if (!c) return { error: `invalid podCIDR ${podCIDR}` };
  const taken = new Set<number>();
  for (const u of used) {
    const n = parseIPv4(u);
    if (n !== undefined && cidrContains(c, n)) taken.add(n);
  }
  const size = cidrSize(c);
  for (let i = 2; i < size - 1; i++) {
    const ip = (c.base + i) >>> 0;
    if (!taken.has(ip)) return { ip: formatIPv4(ip) };
  }
  return { error: `no IP addresses available in range set: ${formatIPv4(c.base + 2)}-${formatIPv4(c.base + size - 2)}` };
}

/** The bridge gateway of a node's pod subnet (the first usable address). */
export function podGateway(podCIDR: string): string | undefined {
  const c = parseCidr4(podCIDR);
  return c ? formatIPv4(c.base + 1) : undefined;
}
