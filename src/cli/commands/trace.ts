// `netlab trace --offline -f PATH... [--config FILE] --node NAME --src IP --dst IP:PORT
// [--proto tcp|udp|sctp] [--mode iptables|nftables] [--from pod|local|external] [-o json]`:
// follows one packet through the node's service rules and prints every rule it matched and
// the verdict.
import { CLUSTER_OPTIONS_HELP, loadConvergedCluster, settingsFromValues } from "../../offline/cli-options.js";
import { loadProxyConfig, proxyInputFromCluster } from "../../proxy/offline-input.js";
import { clusterCIDRFor } from "../../proxy/config.js";
import { planProxy } from "../../proxy/plan.js";
import { renderIptables } from "../../proxy/iptables/render.js";
import { renderNftables } from "../../proxy/nftables/render.js";
import { traceIptables, traceNftables, type TracePacket } from "../../trace/evaluate.js";
import { inCIDR, isIPv4 } from "../../proxy/ip.js";
import { PROXY_OPTIONS } from "./render-iptables.js";
import { parseCommandArgs } from "../args.js";

const USAGE = `Usage: netlab trace --offline -f PATH... --src IP --dst IP:PORT [options]

Follows a packet through kube-proxy's rules on NODE (nat PREROUTING or OUTPUT, the service
chains, DNAT, the filter hooks, nat POSTROUTING) and prints the rules it matched and the
verdict: DNAT (with each endpoint's probability), ACCEPT, DROP, REJECT or NONE (not a service).

Options:
${CLUSTER_OPTIONS_HELP}
      --offline                   compute from the manifests (required for now)
      --config FILE               kube-proxy's KubeProxyConfiguration (default: the lab's)
      --node NAME                 the node whose rules are walked (default: the first node)
      --src IP                    source address
      --dst IP:PORT               destination address and port
      --proto PROTO               tcp (default), udp or sctp
      --mode MODE                 iptables or nftables (default: the configuration's mode)
      --from ORIGIN               pod, local (sent by the node) or external (default: local
                                  when --src is the node's address, pod when it is in the
                                  cluster CIDR, else external)
  -o, --output json               machine-readable result
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args: argv,
    options: {
      ...PROXY_OPTIONS,
      offline: { type: "boolean" },
      src: { type: "string" },
      dst: { type: "string" },
      proto: { type: "string" },
      mode: { type: "string" },
      from: { type: "string" },
    },
    allowPositionals: false,
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const fail = (m: string) => {
    process.stderr.write(`error: ${m}\n`);
    return 1;
  };
  if (!values.offline) return fail("only --offline tracing is implemented here; add --offline");
  if (!values.filename?.length) return fail("must specify -f");
  if (!values.src || !isIPv4(values.src)) return fail(`--src must be an IPv4 address, got ${JSON.stringify(values.src ?? "")}`);
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(values.dst ?? "");
  if (!m || !isIPv4(m[1]) || Number(m[2]) < 1 || Number(m[2]) > 65535) return fail(`--dst must be IP:PORT (port 1-65535), got ${JSON.stringify(values.dst ?? "")}`);
  const proto = values.proto ?? "tcp";
  if (proto !== "tcp" && proto !== "udp" && proto !== "sctp") return fail(`--proto must be tcp, udp or sctp, got ${JSON.stringify(proto)}`);
  if (values.mode && values.mode !== "iptables" && values.mode !== "nftables") return fail(`--mode must be iptables or nftables, got ${JSON.stringify(values.mode)}`);
  if (values.from && !["pod", "local", "external"].includes(values.from)) return fail(`--from must be pod, local or external, got ${JSON.stringify(values.from)}`);
  if (values.output && values.output !== "json") return fail(`unsupported output format ${JSON.stringify(values.output)} (json)`);
  const config = await loadProxyConfig(values.config, settingsFromValues(values).clusterCIDR);
  const cluster = await loadConvergedCluster(values);
  const input = proxyInputFromCluster(cluster, values.node, config);
  const plan = planProxy(input);
  const mode = (values.mode as "iptables" | "nftables" | undefined) ?? config.mode;
  // --src is IPv4 (checked above): a dual-stack clusterCIDR's IPv4 half says whether it is a Pod's.
  const origin = (values.from as TracePacket["origin"] | undefined) ??
    (input.nodeIPs.includes(values.src) || values.src.startsWith("127.") ? "local" : inCIDR(clusterCIDRFor(config, "IPv4"), values.src) ? "pod" : "external");
  const packet: TracePacket = { src: values.src, dst: m[1], dport: Number(m[2]), proto, origin, localAddresses: input.nodeIPs };
  const r = mode === "nftables" ? traceNftables(renderNftables(plan), packet) : traceIptables(renderIptables(plan), packet);
  if (values.output === "json") {
    process.stdout.write(
      JSON.stringify({ verdict: r.verdict, destinations: r.destinations, probabilities: r.probabilities, masquerade: r.masquerade, rules: r.rules, mode, node: input.nodeName, origin }, null, 2) + "\n",
    );
    return 0;
  }
  const lines = [`${values.src} -> ${m[1]}:${m[2]}/${proto} from ${origin}, node ${input.nodeName}, ${mode} mode`];
  // The most probable path in full, then what the other branches matched beyond it.
  const paths = [...r.paths].sort((a, b) => b.probability - a.probability);
  const shown = new Set<string>();
  paths.forEach((p, i) => {
    const extra = p.rules.filter((x) => !shown.has(x));
    if (i > 0 && extra.length) lines.push(`  -- branch (${(p.probability * 100).toFixed(1)}%)${p.destination ? ` -> ${p.destination}` : ` ${p.verdict}`}`);
    for (const x of extra) lines.push(`  ${x}`), shown.add(x);
  });
  const dests = r.destinations.map((d, i) => `${d} (${(r.probabilities[i] * 100).toFixed(1)}%)`).join(", ");
  lines.push(`verdict: ${r.verdict}${dests ? ` ${dests}` : ""}${r.masquerade ? ", masqueraded" : ""}`);
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}
