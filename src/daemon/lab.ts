// One lab, as the daemon runs it: the topology in namespaces, the API server with its store
// and controllers, and for every node its agent and proxy; the fabric's load balancer, the
// API relay, the internet's DNS and test server. Components talk only through the API.
import { mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import type { ConfigMap, EndpointSlice, Endpoints, KubeObject, Node, Pod, Secret, Service } from "../api/types.js";
import { isStatusError } from "../api/status.js";
import { Registry } from "../apiserver/registry.js";
import { startApiServer, type ApiServer } from "../apiserver/server.js";
import { strategicMergePatch } from "../apiserver/strategic-merge.js";
import type { ClusterSettings } from "../cluster/settings.js";
import { clusterDNSIP } from "../cluster/settings.js";
import { startControllers, type RunningControllers } from "../controllers/manager.js";
import { startDnsServer } from "../dns/server.js";
import { NodeAgent, type SpecialServer } from "../agent/agent.js";
import { NodeProxy, type SyncRecord } from "../agent/proxy.js";
import { openSockets } from "../agent/sockets.js";
import { serveHttp, serveUdpEcho } from "../agent/test-server.js";
import { WatchCache } from "../client/watch-cache.js";
import { planLab, podNetnsName, type LabPlan, type PodNetworkMode, type ProxyMode } from "../lab/address-plan.js";
import { CloudLoadBalancer } from "../lab/cloud-lb.js";
import { ExternalIPRouter } from "../lab/external-ip-routes.js";
import { serialSync } from "./serial-sync.js";
import { nsExec, type Runner } from "../lab/exec.js";
import { Spawner } from "../lab/spawner.js";
import { NetnsBatcher } from "../lab/netns-batch.js";
import { serveExternalDns, type ExternalZone } from "../lab/external-dns.js";
import { relayTcp, startDnsUpstreamRelay } from "../lab/relays.js";
import { isClusterDnsPod, KUBE_PROXY_CONFIGMAP, systemObjects } from "../lab/system-objects.js";
import { buildTopology, destroyLab, topologyPresent } from "../lab/topology.js";
import { defaultKubeProxyConfiguration, parseKubeProxyConfiguration } from "../proxy/config.js";
import { startNftSession } from "../proxy/nft-session.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { startIngressAddon, type IngressAddon } from "../ingress/lab-addon.js";
import type { Store } from "../store/store.js";
import { labProcesses } from "./cleanup.js";
import { labStateDir, writeJsonAtomic, type LabRecord, type LabStatus } from "./state.js";

export interface LabOptions {
  name: string;
  nodes: number;
  podNetwork: PodNetworkMode;
  proxyMode: ProxyMode;
  settings: ClusterSettings;
  /** Manifests to apply once the lab runs. */
  objects: KubeObject[];
  stateDir?: string;
  runner?: Runner;
  /** How sockets are made inside namespaces (default: the spawner's socket opener). */
  openSockets?: typeof openSockets;
  log?: (m: string) => void;
  progress?: (m: string) => void;
  /** Start the ingress add-on (ingress-nginx controller Pods running a real nginx); needs nginx. */
  ingress?: boolean;
}

export interface RunningLab {
  plan: LabPlan;
  stateDir: string;
  registry: Registry;
  api: ApiServer;
  adopted: boolean;
  agents: NodeAgent[];
  proxies: NodeProxy[];
  caches: { pods: WatchCache<Pod>; services: WatchCache<Service>; endpointSlices: WatchCache<EndpointSlice> };
  /** Resolves with ms since start when every Pod is Running+Ready, rules are programmed on every node and DNS answers. */
  waitReady(timeoutMs: number): Promise<number>;
  status(): LabStatus;
  onSync(l: (node: string, r: SyncRecord) => void): () => void;
  /** Stops the daemon's components; with teardown, removes everything the lab made. */
  stop(teardown: boolean): Promise<void>;
}

/** Addresses manifests place on the external network: hand-written Endpoints and externalIPs. */
export function externalAddressesOf(objects: KubeObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o.kind === "Endpoints") for (const s of (o as Endpoints).subsets ?? []) for (const a of [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]) out.push(a.ip);
  }
  return out;
}

const KIND_ORDER = ["Namespace", "ConfigMap", "Secret", "Service", "Endpoints"];
function applyOrder(o: KubeObject): number {
  const i = KIND_ORDER.indexOf(o.kind);
  return i === -1 ? KIND_ORDER.length : i;
}

/** Create, or update what exists (level-triggered: `up` twice gives the same cluster). */
export async function applyObjects(client: Registry, objects: KubeObject[]): Promise<string[]> {
  const errors: string[] = [];
  const sorted = [...objects].map((o, i) => [o, i] as const).sort((a, b) => applyOrder(a[0]) - applyOrder(b[0]) || a[1] - b[1]);
  for (const [o] of sorted) {
    const name = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
    try {
      // Existing objects first: creating a Service whose fixed ClusterIP/NodePort it already holds fails with 422, as upstream.
      const cur = await client.get({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name! }).catch((e: unknown) => {
        if (isStatusError(e) && e.status.reason === "NotFound") return undefined;
        throw e;
      });
      if (!cur) {
        await client.create(o);
        continue;
      }
      // Like `kubectl apply` onto what exists: a strategic merge keeps what the cluster filled in (ClusterIPs, nodeName, ...).
      const merged = strategicMergePatch(o.kind, cur as never, o as never) as unknown as KubeObject;
      if (canonical(merged) !== canonical(cur)) await client.update(merged);
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  return errors;
}

/** JSON with sorted keys: equality that ignores key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

function nodeObject(plan: LabPlan, i: number): Node {
  const n = plan.nodes[i];
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels: { "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" } },
    spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
    status: {
      addresses: [
        { type: "InternalIP", address: n.ip },
        { type: "Hostname", address: n.name },
      ],
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }],
    },
  };
}

async function ensureNode(reg: Registry, node: Node): Promise<void> {
  try {
    await reg.create(node);
  } catch (e) {
    if (!(isStatusError(e) && e.status.reason === "AlreadyExists")) throw e;
  }
  // A node (re)registers its status, as the kubelet does on start.
  await reg.patch({ kind: "Node", name: node.metadata.name! }, { status: node.status }, { subresource: "status" });
}

export async function startLab(o: LabOptions): Promise<RunningLab> {
  const t0 = performance.now();
  // Process starts go through small spawner children: forking the daemon itself costs its event loop several ms each.
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const spawner = o.runner ? undefined : new Spawner(2, { log });
  const runner: Runner = o.runner ?? spawner!;
  const sockets = o.openSockets ?? (spawner ? spawner.openSockets.bind(spawner) : openSockets);
  const progressOut = o.progress ?? (() => {});
  const progress = (m: string) => progressOut(process.env.NETLAB_DEBUG ? `[${Math.round(performance.now() - t0)} ms] ${m}` : m);
  const stateDir = o.stateDir ?? labStateDir(o.name);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const externalAddresses = externalAddressesOf(o.objects);
  const plan = planLab({ lab: o.name, nodes: o.nodes, settings: o.settings, podNetwork: o.podNetwork, externalAddresses });
  const record: LabRecord = { name: o.name, nodes: o.nodes, podNetwork: o.podNetwork, proxyMode: o.proxyMode, settings: o.settings, externalAddresses };

  // Topology: adopt a complete one (a restarted daemon), else remove leftovers and build.
  const adopted = await topologyPresent(runner, plan);
  if (adopted) {
    progress("adopting the existing topology");
    // Programs of the previous daemon's Pods: the agents start them again.
    for (const pid of await labProcesses(runner, o.name)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // gone
      }
    }
  } else {
    await destroyLab(runner, plan.prefix);
    progress(`building ${plan.nodes.length} nodes (${o.podNetwork}) in namespaces ${plan.prefix}*`);
    await buildTopology(runner, plan);
  }
  progress("topology ready");
  await writeJsonAtomic(`${stateDir}/lab.json`, record);
  const nodeResolvConf = `nameserver ${plan.external.dnsIP}\n`;
  for (const ns of [...plan.nodes.map((n) => n.netns), plan.lan.netns, plan.external.netns, plan.fabric.netns]) {
    await mkdir(`/etc/netns/${ns}`, { recursive: true });
    await writeFile(`/etc/netns/${ns}/resolv.conf`, nodeResolvConf);
  }

  // API server, store, controllers.
  const store: Store = openSqliteStore(`${stateDir}/store.db`);
  // The agents are the kubelets that finish graceful Pod deletes.
  const registry = new Registry(store, o.settings, { apiServerAddress: plan.apiRelay, gracefulPodDeletion: true });
  const api = await startApiServer({ registry, host: "127.0.0.1", port: 0, dataDir: stateDir, name: `netlab-${o.name}` });
  // Pods reach the API server through the relay inside the lab, not at its loopback address.
  registry.setApiServerAddress(plan.apiRelay.ip, plan.apiRelay.port);
  for (let i = 0; i < plan.nodes.length; i++) await ensureNode(registry, nodeObject(plan, i));
  // Without br_netfilter, a reply bridged on cbr0 from one Pod to another never passes conntrack and keeps the
  // Pod's address instead of the Service's. Then every Service connection is masqueraded (kube-proxy's
  // masqueradeAll) so that replies come back through the node and are un-NATed there.
  const brNetfilter = await hasBrNetfilter(runner);
  if (!brNetfilter && existsSync("/proc/sys/net/bridge")) {
    for (const n of plan.nodes) await nsExec(runner, n.netns, "sysctl", ["-qw", "net.bridge.bridge-nf-call-iptables=0"]);
  }
  if (!brNetfilter) log("br_netfilter is not available (no /proc/sys/net/bridge): masquerading all Service traffic (kube-proxy masqueradeAll); Pods see the node's address as the client of a Service connection");
  const sysErrors = await applyObjectsIfMissing(registry, systemObjects(o.settings, o.proxyMode, !brNetfilter));
  for (const e of sysErrors) log(`system objects: ${e}`);
  const controllers: RunningControllers = startControllers(registry, o.settings, { offlinePodIPs: false, log: (m) => log(`controllers: ${m}`) });

  const caches = {
    pods: new WatchCache<Pod>(registry, "Pod", log).start(),
    services: new WatchCache<Service>(registry, "Service", log).start(),
    endpointSlices: new WatchCache<EndpointSlice>(registry, "EndpointSlice", log).start(),
    configMaps: new WatchCache<ConfigMap>(registry, "ConfigMap", log).start(),
    secrets: new WatchCache<Secret>(registry, "Secret", log).start(),
  };
  await Promise.all(Object.values(caches).map((c) => c.synced));
  const closers: { close(): void | Promise<void> }[] = [];
  progress("API server, controllers and caches running");

  // The lab's edges: API relay in the fabric, the internet's DNS and web server.
  const relaySockets = await sockets(plan.fabric.netns, [{ protocol: "TCP", host: plan.apiRelay.ip, port: plan.apiRelay.port }]);
  for (const e of relaySockets.errors) log(`API relay: ${e.message}`);
  for (const s of relaySockets.sockets) if (s.protocol === "TCP") closers.push(relayTcp(s.server, { host: "127.0.0.1", port: api.port }));
  const zone: ExternalZone = { names: new Map([["www.example.com", plan.external.webIP]]) };
  const updateZone = () => {
    zone.names = new Map([["www.example.com", plan.external.webIP]]);
    for (const s of caches.services.list()) if (s.spec?.type === "ExternalName" && s.spec.externalName) zone.names.set(s.spec.externalName.toLowerCase().replace(/\.$/, ""), plan.external.webIP);
  };
  updateZone();
  const unsubZone = caches.services.subscribe(updateZone);
  const extPorts = [80, 443, 8080, 9376];
  const ext = await sockets(plan.external.netns, [
    { protocol: "UDP", host: plan.external.dnsIP, port: 53 },
    { protocol: "TCP", host: plan.external.dnsIP, port: 53 },
    ...extPorts.map((port) => ({ protocol: "TCP" as const, host: "0.0.0.0", port })),
    ...extPorts.map((port) => ({ protocol: "UDP" as const, host: "0.0.0.0", port })),
  ]);
  for (const e of ext.errors) log(`external: ${e.request.protocol}/${e.request.port}: ${e.message}`);
  const extUdpDns = ext.sockets.find((s) => s.protocol === "UDP" && s.port === 53);
  const extTcpDns = ext.sockets.find((s) => s.protocol === "TCP" && s.port === 53);
  closers.push(serveExternalDns(zone, extUdpDns?.protocol === "UDP" ? extUdpDns.socket : undefined, extTcpDns?.protocol === "TCP" ? extTcpDns.server : undefined));
  for (const s of ext.sockets) {
    if (s.port === 53) continue;
    if (s.protocol === "TCP") closers.push(serveHttp(s.server, s.port, { pod: "external", namespace: "", node: "external", podIP: "" }));
    else closers.push(serveUdpEcho(s.socket));
  }

  // The cloud load balancer in the fabric follows the Services' LoadBalancer addresses.
  const lb = new CloudLoadBalancer(runner, plan);
  const syncLb = serialSync(() => lb.sync(caches.services.list()), (e) => log(`cloud load balancer: ${e.message}`));
  const unsubLb = caches.services.subscribe(syncLb);
  syncLb();
  // Services' externalIPs: routed by the fabric to the nodes, as an admin would (no DNAT).
  const extIPs = new ExternalIPRouter(runner, plan, (m) => log(`fabric: ${m}`));
  const syncExtIPs = serialSync(() => extIPs.sync(caches.services.list()), (e) => log(`externalIP routes: ${e.message}`));
  const unsubExtIPs = caches.services.subscribe(syncExtIPs);
  syncExtIPs();

  // Cluster DNS Pods are served by the cluster DNS server; its upstream is the internet's DNS, reached from the Pod's namespace.
  const special = (pod: Pod): SpecialServer | undefined => {
    if (!isClusterDnsPod(pod)) return undefined;
    return {
      handles: (protocol, port) => port === 53 && (protocol === "UDP" || protocol === "TCP"),
      extraSockets: [{ protocol: "UDP", host: "0.0.0.0", port: 0 }],
      async start({ sockets, podIP }) {
        const udp = sockets.find((s) => s.protocol === "UDP" && s.port === 53);
        const tcp = sockets.find((s) => s.protocol === "TCP" && s.port === 53);
        const out = sockets.find((s) => s.protocol === "UDP" && s.port === 0);
        const relay = out?.protocol === "UDP" ? await startDnsUpstreamRelay(out.socket, { host: plan.external.dnsIP, port: 53 }) : undefined;
        const dns = await startDnsServer({
          client: registry,
          zone: o.settings.clusterDomain,
          podsMode: "insecure",
          upstream: relay?.address,
          udpSocket: udp?.protocol === "UDP" ? udp.socket : undefined,
          tcpServer: tcp?.protocol === "TCP" ? tcp.server : undefined,
          dnsServiceIPs: [clusterDNSIP(o.settings)],
          // As CoreDNS: the zone's NS is the Service whose endpoints hold this Pod's address
          // (kube-dns.kube-system.svc.<zone>), not ns.dns.<zone>.
          localIPs: [podIP],
          log: (l) => log(`dns ${pod.metadata.name}: ${l}`),
        }).catch((e: unknown) => {
          relay?.close();
          throw e;
        });
        return {
          async close() {
            await dns.close();
            relay?.close();
          },
        };
      },
    };
  };

  progress("lab edges running (API relay, external DNS and web, cloud load balancer)");
  const syncListeners = new Set<(node: string, r: SyncRecord) => void>();
  const base = defaultKubeProxyConfiguration(o.settings.clusterCIDR);
  const proxyConfig = { ...base, mode: o.proxyMode, iptables: { ...base.iptables, masqueradeAll: !brNetfilter } };
  const netnsBatcher = new NetnsBatcher(runner);
  const agents: NodeAgent[] = [];
  const proxies: NodeProxy[] = [];
  for (const node of plan.nodes) {
    const proxy = new NodeProxy({
      services: caches.services,
      endpointSlices: caches.endpointSlices,
      node,
      runner,
      config: proxyConfig,
      nftSession: (netns) => startNftSession({ netns, timeoutMs: 30_000 }),
      log: (m) => log(`proxy ${node.name}: ${m}`),
      onSync: (r) => {
        for (const l of syncListeners) l(node.name, r);
      },
    });
    proxies.push(proxy);
    const agent = new NodeAgent({ client: registry, pods: caches.pods, services: caches.services, configMaps: caches.configMaps, secrets: caches.secrets, lab: plan, node, runner, stateDir, settings: o.settings, nodeResolvConf, special, openSockets: sockets, addNetns: (n) => netnsBatcher.add(n), log: (m) => log(`agent ${node.name}: ${m}`) });
    agents.push(agent);
  }
  if (adopted) await Promise.all(proxies.map(async (p) => {
    // Rules of the other mode may remain from before a mode switch the old daemon did not finish.
    await p.removeMode(o.proxyMode === "iptables" ? "nftables" : "iptables").catch(() => {});
  }));
  for (const p of proxies) p.start();
  for (const a of agents) a.start();

  // `netlab config set proxy-mode` edits kube-proxy's ConfigMap; every node's proxy follows.
  const onConfig = () => {
    const cm = caches.configMaps.items.get(`${KUBE_PROXY_CONFIGMAP.namespace}/${KUBE_PROXY_CONFIGMAP.name}`);
    const text = cm?.data?.["config.conf"];
    if (!text) return;
    const parsed = parseKubeProxyConfiguration(text, proxyConfig);
    if (!parsed.config) {
      log(`kube-proxy config: ${parsed.errors.join("; ")}`);
      return;
    }
    const mode = parsed.config.mode;
    if (proxies.some((p) => p.proxyMode !== mode)) {
      log(`switching proxy mode to ${mode}`);
      record.proxyMode = mode;
      void writeJsonAtomic(`${stateDir}/lab.json`, record);
      const t = performance.now();
      void Promise.all(proxies.map((p) => p.setMode(mode).catch((e: Error) => log(`proxy mode switch: ${e.message}`)))).then(() => {
        log(`proxy mode ${mode} on every node in ${Math.round(performance.now() - t)} ms`);
        return writeJsonAtomic(`${stateDir}/status.json`, status());
      });
    }
  };
  const unsubConfig = caches.configMaps.subscribe(onConfig);
  onConfig();

  // The ingress add-on (src/ingress/lab-addon.ts): its controller Pods run nginx in their namespaces.
  let ingress: IngressAddon | undefined;
  if (o.ingress) {
    try {
      ingress = await startIngressAddon({
        client: registry,
        podNetns: (p) => (p.spec.hostNetwork ? plan.nodes.find((n) => n.name === p.spec.nodeName)?.netns : podNetnsName(o.name, p.metadata.namespace ?? "default", p.metadata.name ?? "")),
        stateDir: `${stateDir}/ingress`,
        log: (m) => log(m),
      });
    } catch (e) {
      log(`ingress add-on not started: ${(e as Error).message}`);
    }
  }

  progress("applying manifests");
  const applyErrors = await applyObjects(registry, o.objects);
  for (const e of applyErrors) log(`apply: ${e}`);

  const status = (): LabStatus => {
    const pods = caches.pods.list().map((p) => ({
      namespace: p.metadata.namespace ?? "default",
      name: p.metadata.name ?? "",
      node: p.spec?.nodeName ?? "",
      ip: p.status?.podIP ?? "",
      phase: p.status?.phase ?? "Pending",
      ready: p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    }));
    const services = caches.services.list().map((s) => ({
      namespace: s.metadata.namespace ?? "default",
      name: s.metadata.name ?? "",
      type: s.spec?.type ?? "ClusterIP",
      clusterIP: s.spec?.type === "ExternalName" ? s.spec.externalName ?? "" : s.spec?.clusterIP ?? "",
      ports: (s.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(","),
      external: [...(s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? ""), ...(s.spec?.externalIPs ?? [])].filter(Boolean).join(","),
    }));
    return {
      name: o.name,
      phase: readyAt === undefined ? "starting" : "ready",
      pid: process.pid,
      kubeconfig: api.kubeconfigPath,
      apiServer: api.url,
      podNetwork: o.podNetwork,
      proxyMode: proxies[0]?.proxyMode ?? o.proxyMode,
      readyAfterMs: readyAt,
      nodes: plan.nodes.map((n) => ({ name: n.name, ip: n.ip, podCIDR: n.podCIDR, netns: n.netns })),
      pods,
      services,
      updated: new Date().toISOString(),
    };
  };
  let readyAt: number | undefined;

  const isReady = async (): Promise<boolean> => {
    if (!Object.values(caches).every((c) => c.quiet)) return false;
    const pods = caches.pods.list();
    if (!pods.every((p) => p.status?.phase === "Running" && p.status.podIP && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"))) return false;
    // Workloads have all their Pods.
    const deployments = (await registry.list<KubeObject & { spec: { replicas?: number }; status?: { readyReplicas?: number } }>("Deployment")).items;
    const sets = (await registry.list<KubeObject & { spec: { replicas?: number }; status?: { readyReplicas?: number } }>("StatefulSet")).items;
    if (![...deployments, ...sets].every((d) => (d.status?.readyReplicas ?? 0) === (d.spec.replicas ?? 1))) return false;
    if (proxies.some((p) => p.busy)) return false;
    return true;
  };

  const waitReady = async (timeoutMs: number): Promise<number> => {
    const end = performance.now() + timeoutMs;
    let lastNote = performance.now();
    for (;;) {
      await controllers.idle({ timeoutMs: Math.max(1, end - performance.now()) }).catch(() => {});
      await Promise.all(agents.map((a) => a.idle()));
      if (await isReady()) {
        // DNS answers from inside the lab (the first node asks kube-dns).
        const r = await nsExec(runner, plan.nodes[0].netns, "dig", ["+short", "+time=1", "+tries=1", `@${clusterDNSIP(o.settings)}`, `kubernetes.default.svc.${o.settings.clusterDomain}`], { timeoutMs: 3000 });
        if (r.code === 0 && r.stdout.trim()) break;
      }
      if (performance.now() > end) {
        const st = status();
        const notReady = st.pods.filter((p) => !p.ready).map((p) => `${p.namespace}/${p.name} (${p.phase})`);
        throw new Error(`lab not ready after ${timeoutMs} ms${notReady.length ? `: Pods not ready: ${notReady.slice(0, 8).join(", ")}` : ""}${proxies.some((p) => p.lastError) ? `; proxy: ${proxies.find((p) => p.lastError)?.lastError}` : ""}`);
      }
      if (performance.now() - lastNote > 2000) {
        lastNote = performance.now();
        const st = status();
        progress(`waiting: ${st.pods.filter((p) => p.ready).length}/${st.pods.length} Pods ready`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    readyAt = Math.round(performance.now() - t0);
    await writeJsonAtomic(`${stateDir}/status.json`, status());
    return readyAt;
  };

  // status.json follows the cluster for `netlab status`.
  let statusTimer: NodeJS.Timeout | undefined;
  const scheduleStatus = () => {
    if (statusTimer) return;
    statusTimer = setTimeout(() => {
      statusTimer = undefined;
      void writeJsonAtomic(`${stateDir}/status.json`, status()).catch(() => {});
    }, 300);
  };
  const unsubStatus = [caches.pods.subscribe(scheduleStatus), caches.services.subscribe(scheduleStatus)];
  await writeJsonAtomic(`${stateDir}/status.json`, status());

  let stopped = false;
  return {
    plan,
    stateDir,
    registry,
    api,
    adopted,
    agents,
    proxies,
    caches,
    waitReady,
    status,
    onSync(l) {
      syncListeners.add(l);
      return () => syncListeners.delete(l);
    },
    async stop(teardown) {
      if (stopped) return;
      stopped = true;
      if (statusTimer) clearTimeout(statusTimer);
      for (const u of unsubStatus) u();
      unsubConfig();
      unsubLb();
      unsubExtIPs();
      // A fabric sync still running would touch routes and the load balancer as the lab goes.
      await Promise.all([syncLb.stop(), syncExtIPs.stop()]);
      unsubZone();
      await ingress?.stop().catch(() => {});
      controllers.stop();
      for (const p of proxies) p.stop();
      await Promise.allSettled(agents.map((a) => a.stop(teardown)));
      for (const c of Object.values(caches)) c.stop();
      await Promise.allSettled(closers.map((c) => c.close()));
      await api.close();
      registry.close();
      store.close?.();
      if (teardown) {
        for (const pid of await labProcesses(runner, o.name)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone
          }
        }
        await destroyLab(runner, plan.prefix);
      }
      spawner?.close();
    },
  };
}

async function hasBrNetfilter(runner: Runner): Promise<boolean> {
  // NETLAB_BR_NETFILTER=off: behave as on a kernel without it (tests of that path on a machine that has it).
  if (process.env.NETLAB_BR_NETFILTER === "off") return false;
  const path = "/proc/sys/net/bridge/bridge-nf-call-iptables";
  if (existsSync(path)) return true;
  await runner.run("modprobe", ["br_netfilter"]).catch(() => undefined);
  return existsSync(path);
}

async function applyObjectsIfMissing(reg: Registry, objects: KubeObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const o of objects) {
    try {
      await reg.create(o);
    } catch (e) {
      if (!(isStatusError(e) && e.status.reason === "AlreadyExists")) errors.push(`${o.kind} ${o.metadata.name}: ${(e as Error).message}`);
    }
  }
  return errors;
}

export { podNetnsName };
