// `netlab apiserver`: the API server with the controllers alone (no kernel, no lab), until
// Ctrl-C. State lives in one SQLite file in the data directory.
import { parseArgs } from "node:util";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_SETTINGS, SETTINGS_FLAGS, type ClusterSettings } from "../../cluster/settings.js";
import { openSqliteStore } from "../../store/sqlite-store.js";
import { Registry } from "../../apiserver/registry.js";
import { startApiServer } from "../../apiserver/server.js";
import type { Client } from "../../client/client.js";

const USAGE = `Usage: netlab apiserver [--data-dir DIR] [--port 6443] [--host 127.0.0.1] [--no-controllers] [settings flags]

Runs the Kubernetes API server (HTTPS on loopback, bearer token) with the controllers until
Ctrl-C, and writes a kubeconfig for kubectl.

Options:
  --data-dir DIR                     store, certificates, token and kubeconfig (default ~/.local/share/netlab/apiserver)
  --port N                           port to listen on (default 6443; 0 picks a free one)
  --host ADDR                        loopback address to listen on (default 127.0.0.1)
  --no-controllers                   run the API server alone
  --service-cluster-ip-range CIDR    (default ${DEFAULT_SETTINGS.serviceClusterIPRange})
  --service-node-port-range A-B      (default ${DEFAULT_SETTINGS.serviceNodePortRange})
  --cluster-cidr CIDR                (default ${DEFAULT_SETTINGS.clusterCIDR})
  --node-cidr-mask-size N            (default ${DEFAULT_SETTINGS.nodeCIDRMaskSize})
  --cluster-domain DOMAIN            (default ${DEFAULT_SETTINGS.clusterDomain})
  --load-balancer-ip-range CIDR      (default ${DEFAULT_SETTINGS.loadBalancerIPRange})
`;

interface Controllers {
  stop(): void;
}

/** The controllers helper's manager, when present (loaded by name so this command works without it). */
async function startControllersIfPresent(client: Client, settings: ClusterSettings): Promise<Controllers | string> {
  const modPath = "../../controllers/manager.js";
  let mod: { startControllers?: (c: Client, s: ClusterSettings, o: { offlinePodIPs: boolean }) => Controllers };
  try {
    mod = (await import(modPath)) as typeof mod;
  } catch (e) {
    return `not available (${(e as Error).message.split("\n")[0]})`;
  }
  if (typeof mod.startControllers !== "function") return "not available (controllers/manager.js has no startControllers)";
  return mod.startControllers(client, settings, { offlinePodIPs: true });
}

export async function run(argv: string[]): Promise<number> {
  const options = {
    "data-dir": { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    "no-controllers": { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...Object.fromEntries(Object.keys(SETTINGS_FLAGS).map((f) => [f, { type: "string" }])),
  } as const;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (e) {
    process.stderr.write(`netlab apiserver: ${(e as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const settings: ClusterSettings = { ...DEFAULT_SETTINGS };
  for (const [flag, key] of Object.entries(SETTINGS_FLAGS)) {
    const v = values[flag];
    if (typeof v !== "string") continue;
    if (key === "nodeCIDRMaskSize") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 32) {
        process.stderr.write(`netlab apiserver: --${flag} must be an integer between 1 and 32 (got ${JSON.stringify(v)})\n`);
        return 1;
      }
      settings.nodeCIDRMaskSize = n;
    } else {
      (settings as unknown as Record<string, string>)[key] = v;
    }
  }
  const port = values.port === undefined ? 6443 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`netlab apiserver: --port must be a port number (got ${JSON.stringify(values.port)})\n`);
    return 1;
  }
  const dataDir = resolve((values["data-dir"] as string | undefined) ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "netlab", "apiserver"));
  const dbPath = join(dataDir, "cluster.db");

  let registry: Registry;
  const store = openSqliteStore(dbPath);
  try {
    registry = new Registry(store, settings);
  } catch (e) {
    store.close();
    process.stderr.write(`netlab apiserver: ${(e as Error).message}\n`);
    return 1;
  }
  const server = await startApiServer({ registry, host: (values.host as string | undefined) ?? "127.0.0.1", port, dataDir });
  let controllers: Controllers | string = "disabled (--no-controllers)";
  if (!values["no-controllers"]) controllers = await startControllersIfPresent(registry, settings);

  process.stdout.write(
    `API server:  ${server.url}\n` +
      `kubeconfig:  ${server.kubeconfigPath}\n` +
      `store:       ${dbPath}\n` +
      `controllers: ${typeof controllers === "string" ? controllers : "running"}\n` +
      `\nexport KUBECONFIG=${server.kubeconfigPath}   # then use kubectl; Ctrl-C stops\n`,
  );

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  if (typeof controllers !== "string") controllers.stop();
  await server.close();
  registry.close();
  store.close();
  return 0;
}
