// KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1): the subset the lab reads, with
// kube-proxy's defaults except clusterCIDR, which defaults to the lab's pod network.
import { parseAllDocuments } from "yaml";
import { canonicalCIDR } from "./ip.js";

export type ProxyMode = "iptables" | "nftables";

export interface KubeProxyConfiguration {
  apiVersion: "kubeproxy.config.k8s.io/v1alpha1";
  kind: "KubeProxyConfiguration";
  /**
   * Pod network, one CIDR or kube-proxy's dual-stack pair ("10.244.0.0/16,fd00:10::/64"):
   * traffic from outside it to a ClusterIP is masqueraded. "" disables that. Read it per
   * family with clusterCIDRFor.
   */
  clusterCIDR: string;
  mode: ProxyMode;
  iptables: {
    masqueradeBit: number;
    masqueradeAll: boolean;
    localhostNodePorts: boolean;
  };
  /** CIDRs (or "primary") whose addresses accept NodePort traffic; empty = every local address. */
  nodePortAddresses: string[];
}

/**
 * Facts kube-proxy learns from the host rather than from its configuration file. The
 * defaults describe this lab's machines (iptables 1.8.x: --random-fully; no nfacct
 * counters created; nf_conntrack_tcp_be_liberal unset).
 */
export interface HostFeatures {
  randomFully: boolean;
  nfacct: boolean;
  conntrackTCPLiberal: boolean;
}

export const DEFAULT_HOST_FEATURES: Readonly<HostFeatures> = { randomFully: true, nfacct: false, conntrackTCPLiberal: false };

export function defaultKubeProxyConfiguration(clusterCIDR = "10.244.0.0/16"): KubeProxyConfiguration {
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clusterCIDR,
    mode: "iptables",
    iptables: { masqueradeBit: 14, masqueradeAll: false, localhostNodePorts: true },
    nodePortAddresses: [],
  };
}

/**
 * The mark kube-proxy sets for masquerade: 1 << masqueradeBit as Go's "%#08x" prints it. Go
 * zero-pads the digits to the width and then adds "0x", so bit 14 is "0x00004000".
 */
export function masqueradeMark(cfg: KubeProxyConfiguration): string {
  const v = 2 ** cfg.iptables.masqueradeBit;
  return "0x" + v.toString(16).padStart(8, "0");
}

export interface ConfigParseResult {
  config?: KubeProxyConfiguration;
  errors: string[];
}

const TOP_FIELDS = new Set(["apiVersion", "kind", "clusterCIDR", "mode", "iptables", "nodePortAddresses"]);
// Fields of the real file we accept and ignore: they do not change the rules we render.
const IGNORED_TOP = new Set([
  "bindAddress", "healthzBindAddress", "metricsBindAddress", "bindAddressHardFail", "enableProfiling",
  "clientConnection", "hostnameOverride", "ipvs", "nftables", "winkernel", "conntrack", "configSyncPeriod",
  "portRange", "udpIdleTimeout", "oomScoreAdj", "featureGates", "detectLocalMode", "detectLocal",
  "showHiddenMetricsForVersion", "logging", "syncPeriod", "minSyncPeriod", "windowsRunAsService", "linux",
]);
const IPTABLES_FIELDS = new Set(["masqueradeBit", "masqueradeAll", "localhostNodePorts", "syncPeriod", "minSyncPeriod"]);

/** The clusterCIDR of one family ("" when it has none). */
export function clusterCIDRFor(cfg: KubeProxyConfiguration, family: "IPv4" | "IPv6"): string {
  const v6 = family === "IPv6";
  return cfg.clusterCIDR.split(",").map((s) => s.trim()).find((c) => c !== "" && c.includes(":") === v6) ?? "";
}

/**
 * clusterCIDR as kube-proxy validates it (one CIDR, or a pair with one of each family, with
 * its messages) and writes it into rules (each CIDR masked, IPv6 in RFC 5952 form:
 * MapCIDRsByIPFamily's IPNet.String()). "" (none) stays "".
 */
function parseClusterCIDR(value: string): { cidr: string; error?: undefined } | { error: string } {
  if (value.trim() === "") return { cidr: "" };
  const invalid = (why: string) => ({ error: `clusterCIDR: Invalid value: ${JSON.stringify(value)}: ${why}` });
  const cidrs = value.split(",").map(canonicalCIDR);
  if (cidrs.length > 2) return invalid("only one CIDR allowed or a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)");
  const [a, b] = cidrs;
  if (cidrs.length === 2 && (a === undefined || b === undefined || a.includes(":") === b.includes(":"))) return invalid("must be a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)");
  if (a === undefined) return invalid("must be a valid CIDR block (e.g. 10.100.0.0/16 or fde4:8dba:82e1::/48)");
  return { cidr: cidrs.join(",") };
}

/** Parses kube-proxy's configuration file; errors name the field as kube-proxy does. */
export function parseKubeProxyConfiguration(text: string, defaults = defaultKubeProxyConfiguration()): ConfigParseResult {
  const errors: string[] = [];
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch (e) {
    return { errors: [`invalid YAML: ${(e as Error).message}`] };
  }
  const list = Array.isArray(docs) ? docs : [docs];
  const found = list.map((d) => d.toJS() as unknown).filter((d) => d && typeof d === "object" && (d as { kind?: string }).kind === "KubeProxyConfiguration");
  for (const d of list) for (const e of d.errors) errors.push(`invalid YAML: ${e.message}`);
  if (errors.length) return { errors };
  if (found.length === 0) return { errors: ['no document of kind "KubeProxyConfiguration" found'] };
  const raw = found[0] as Record<string, unknown>;
  const cfg: KubeProxyConfiguration = structuredClone(defaults);
  if (raw.apiVersion !== "kubeproxy.config.k8s.io/v1alpha1") errors.push(`apiVersion: Unsupported value: ${JSON.stringify(raw.apiVersion)}: supported values: "kubeproxy.config.k8s.io/v1alpha1"`);
  for (const k of Object.keys(raw)) if (!TOP_FIELDS.has(k) && !IGNORED_TOP.has(k)) errors.push(`unknown field "${k}"`);
  if (raw.clusterCIDR !== undefined) {
    if (typeof raw.clusterCIDR !== "string") errors.push(`clusterCIDR: Invalid value: ${JSON.stringify(raw.clusterCIDR)}: must be a string`);
    else {
      const r = parseClusterCIDR(raw.clusterCIDR);
      if (r.error !== undefined) errors.push(r.error);
      else cfg.clusterCIDR = r.cidr;
    }
  }
  if (raw.mode !== undefined && raw.mode !== "") {
    if (raw.mode !== "iptables" && raw.mode !== "nftables") errors.push(`mode: Unsupported value: ${JSON.stringify(raw.mode)}: supported values: "iptables", "nftables"`);
    else cfg.mode = raw.mode;
  }
  if (raw.iptables !== undefined && raw.iptables !== null) {
    if (typeof raw.iptables !== "object") errors.push("iptables: Invalid value: must be an object");
    else {
      const ipt = raw.iptables as Record<string, unknown>;
      for (const k of Object.keys(ipt)) if (!IPTABLES_FIELDS.has(k)) errors.push(`unknown field "iptables.${k}"`);
      if (ipt.masqueradeBit !== undefined && ipt.masqueradeBit !== null) {
        const b = ipt.masqueradeBit;
        if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 31) errors.push(`iptables.masqueradeBit: Invalid value: ${JSON.stringify(b)}: must be within the range [0, 31]`);
        else cfg.iptables.masqueradeBit = b;
      }
      for (const f of ["masqueradeAll", "localhostNodePorts"] as const) {
        const v = ipt[f];
        if (v === undefined || v === null) continue;
        if (typeof v !== "boolean") errors.push(`iptables.${f}: Invalid value: ${JSON.stringify(v)}: must be true or false`);
        else cfg.iptables[f] = v;
      }
    }
  }
  if (raw.nodePortAddresses !== undefined && raw.nodePortAddresses !== null) {
    const v = raw.nodePortAddresses;
    if (!Array.isArray(v)) errors.push("nodePortAddresses: Invalid value: must be a list of CIDRs");
    else
      v.forEach((c, i) => {
        if (c === "primary") return;
        if (typeof c !== "string" || c.trim() !== c || canonicalCIDR(c) === undefined) errors.push(`nodePortAddresses[${i}]: Invalid value: ${JSON.stringify(c)}: must be a valid CIDR`);
      });
    if (errors.length === 0) cfg.nodePortAddresses = v as string[];
  }
  return errors.length ? { errors } : { config: cfg, errors };
}
