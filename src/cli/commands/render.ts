// `netlab render WHAT ...`: each target lives in its own module, render-<what>.ts.
const TARGETS: Record<string, string> = {
  cluster: "the objects after the control plane converged (-o yaml|json)",
  iptables: "kube-proxy's iptables-restore input for one node",
  nftables: "kube-proxy's nft -f input for one node",
  dns: "every cluster DNS record as zone-file lines",
  env: "a container's environment, in the kubelet's order",
  resolv: "a Pod's resolv.conf",
  nginx: "the ingress controller's nginx configuration",
};

export async function run(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (!what || !(what in TARGETS)) {
    const w = Math.max(...Object.keys(TARGETS).map((k) => k.length));
    process.stderr.write(
      `${what ? `netlab render: unknown target "${what}"\n\n` : ""}Usage: netlab render TARGET -f PATH... [options]\n\nTargets:\n` +
        Object.entries(TARGETS).map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n") + "\n",
    );
    return what === "--help" || what === "-h" ? 0 : 1;
  }
  const mod = (await import(`./render-${what}.js`)) as { run(argv: string[]): Promise<number> };
  return mod.run(rest);
}
