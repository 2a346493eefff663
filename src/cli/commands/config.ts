// `netlab config set proxy-mode iptables|nftables`: edits kube-proxy's configuration (the
// kube-system/kube-proxy ConfigMap, as kubeadm keeps it); every node's proxy of the running
// lab replaces one mode's rules with the other's.
import { parseArgs } from "node:util";
import { HttpClient } from "../../client/http-client.js";
import { labStateDir, readJson, type LabStatus } from "../../daemon/state.js";
import { validateLabName } from "../../lab/address-plan.js";
import { KUBE_PROXY_CONFIGMAP } from "../../lab/system-objects.js";
import type { ConfigMap } from "../../api/types.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { name: { type: "string", default: "netlab" }, help: { type: "boolean", short: "h" } }, allowPositionals: true });
  if (values.help || positionals.length === 0) {
    process.stdout.write("Usage: netlab config [--name LAB] set proxy-mode iptables|nftables\n       netlab config [--name LAB] get proxy-mode\n");
    return values.help ? 0 : 1;
  }
  const name = String(values.name);
  const err = validateLabName(name);
  if (err) return fail(err);
  const [verb, key, value] = positionals;
  if (key !== "proxy-mode") return fail(`unknown setting "${key ?? ""}": want proxy-mode`);
  const st = await readJson<LabStatus>(`${labStateDir(name)}/status.json`);
  if (!st?.kubeconfig) return fail(`lab "${name}" is not running`);
  const client = HttpClient.fromKubeconfig(st.kubeconfig);
  const key2 = { kind: "ConfigMap", namespace: KUBE_PROXY_CONFIGMAP.namespace, name: KUBE_PROXY_CONFIGMAP.name };
  const cm = await client.get<ConfigMap>(key2);
  const text = cm.data?.["config.conf"] ?? "";
  const cur = /^mode:\s*(\S+)\s*$/m.exec(text)?.[1] ?? "iptables";
  if (verb === "get") {
    process.stdout.write(`${cur}\n`);
    return 0;
  }
  if (verb !== "set") return fail(`unknown verb "${verb}": want set or get`);
  if (value !== "iptables" && value !== "nftables") return fail(`invalid proxy-mode "${value ?? ""}": want iptables or nftables`);
  if (cur === value) {
    process.stdout.write(`proxy-mode is already ${value}\n`);
    return 0;
  }
  const next = /^mode:/m.test(text) ? text.replace(/^mode:.*$/m, `mode: ${value}`) : `${text}mode: ${value}\n`;
  await client.patch(key2, { data: { "config.conf": next } });
  // The proxies follow the ConfigMap; wait (bounded) until the status file shows the new mode.
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    const s = await readJson<LabStatus>(`${labStateDir(name)}/status.json`);
    if (s?.proxyMode === value) break;
  }
  process.stdout.write(`proxy-mode set to ${value} (was ${cur})\n`);
  return 0;
}

function fail(m: string): number {
  process.stderr.write(`netlab config: ${m}\n`);
  return 1;
}
