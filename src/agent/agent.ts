// The node agent: the networking half of the kubelet for one node of the lab. It watches the
// Pods bound to its node, creates each Pod's sandbox (a network namespace attached by the CNI
// plugins), serves the declared ports (built-in test server via the socket hand-off, or a
// special server such as cluster DNS), runs containers whose program exists on this machine,
// runs readiness probes, and writes the Pod's status through the API. Deleted Pods are torn
// down (CNI DEL in reverse, namespace removed).
//
// Graceful termination, as the kubelet: a Pod with a deletionTimestamp keeps serving for a drain
// delay of min(deletionGracePeriodSeconds, maxDrainMs = 2 s in the lab) while the endpoint
// controllers mark it terminating and every node's proxy drops it; then the agent stops its
// servers and programs, removes the sandbox and finishes the delete with gracePeriodSeconds 0.
// The lab shortens upstream's 30 s default so that scale-downs stay quick; stop() (lab down)
// cuts every drain short.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { ConfigMap, Container, Pod, Secret, Service } from "../api/types.js";
import type { Client } from "../client/client.js";
import { clusterDNSIP, type ClusterSettings } from "../cluster/settings.js";
import type { LabPlan, NodePlan } from "../lab/address-plan.js";
import { podNetnsName } from "../lab/address-plan.js";
import { CNI_PLUGIN_DIRS, loopbackConfList, podNetworkConfList } from "../lab/cni-config.js";
import { mustRun, type Runner } from "../lab/exec.js";
import { cniAdd, cniDel, resultIPv4, type CniConfList, type CniResult, type CniRuntimeConf } from "./cni.js";
import { containerEnv } from "./env.js";
import { startReadinessProber } from "./probes.js";
import { containerArgv, findProgram, runProgram, type RunningProgram } from "./programs.js";
import { podResolvConf } from "./resolv-conf.js";
import { closeOpened, openSockets, type OpenedSocket, type SocketRequest } from "./sockets.js";
import { serveHttp, serveUdpEcho } from "./test-server.js";
import { objectKey, type CacheEvent, type WatchCache } from "../client/watch-cache.js";

export interface SpecialServer {
  /** Container ports this server serves instead of the test server. */
  handles(protocol: string, port: number): boolean;
  /** Further sockets it needs in the Pod's namespace (e.g. an unconnected UDP socket for upstream queries). */
  extraSockets?: SocketRequest[];
  start(ctx: { pod: Pod; podIP: string; netns: string; sockets: OpenedSocket[] }): Promise<{ close(): void | Promise<void> }>;
}

export interface AgentOptions {
  client: Client;
  pods: WatchCache<Pod>;
  services: WatchCache<Service>;
  configMaps: WatchCache<ConfigMap>;
  secrets: WatchCache<Secret>;
  lab: LabPlan;
  node: NodePlan;
  runner: Runner;
  /** The lab's state directory (CNI IPAM data, cached CNI results, per-Pod files). */
  stateDir: string;
  settings: ClusterSettings;
  /** The node's resolv.conf (dnsPolicy Default and hostNetwork Pods). */
  nodeResolvConf: string;
  special?: (pod: Pod) => SpecialServer | undefined;
  /** How sockets are made inside a namespace (default: a socket helper started from this process). */
  openSockets?: typeof openSockets;
  etcNetns?: string;
  /** Upper bound of the drain delay of a terminating Pod (default 2000 ms). */
  maxDrainMs?: number;
  /** Creates a Pod's network namespace (default `ip netns add`; the lab batches them, lab/netns-batch.ts). */
  addNetns?: (name: string) => Promise<void>;
  /** Pod sandboxes built at once (CNI plugins and socket helpers are processes). */
  concurrency?: number;
  log?: (m: string) => void;
}

interface PodRuntime {
  uid: string;
  netns: string;
  ownNetns: boolean;
  podIP: string;
  closers: { close(): void | Promise<void> }[];
  programs: RunningProgram[];
  probers: { stop(): void }[];
  ready: boolean;
  startTime: string;
  cniResult?: CniResult;
  confList?: CniConfList;
  env: Record<string, { name: string; value: string }[]>;
}

interface CniCache {
  uid?: string;
  netns: string;
  result: CniResult;
  confList: CniConfList;
}

function hasHostPorts(pod: Pod): boolean {
  return pod.spec.containers.some((c) => c.ports?.some((p) => p.hostPort));
}

/** Files the agent keeps per Pod (also read by `netlab exec`). */
export function podStateDir(stateDir: string, namespace: string, name: string): string {
  return `${stateDir}/pods/${namespace}_${name}`;
}

// A Pod's state files are few and written synchronously: creating a file is what costs (up to
// ~0.5 ms of kernel CPU per inode on a busy ext4), and the promise API adds three threadpool
// round trips per file. Per Pod: its directory, sandbox.json (namespace, IP, and the CNI ADD
// result and config DEL needs, like libcni's cache), env.json, and the resolv.conf that
// `ip netns exec` binds (/etc/netns/<ns>, a link: linkEtcNetns; the Pod's directory for a
// hostNetwork Pod).
interface SandboxFile {
  netns: string;
  podIP: string;
  hostNetwork: boolean;
  node: string;
  nodeNetns: string;
  uid?: string;
  cni?: { result: CniResult; confList: CniConfList };
}

function readJsonSync<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** The CNI ADD result an earlier daemon cached (sandbox.json; cni-result.json before it). */
function readCniCache(dir: string): CniCache | undefined {
  const sb = readJsonSync<SandboxFile>(`${dir}/sandbox.json`);
  if (sb?.cni) return { uid: sb.uid, netns: sb.netns, result: sb.cni.result, confList: sb.cni.confList };
  return readJsonSync<CniCache>(`${dir}/cni-result.json`);
}

/** mkdir that costs one syscall when the parent exists (the usual case). */
function mkdirOne(path: string): void {
  try {
    mkdirSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") mkdirSync(path, { recursive: true });
    else if (code !== "EEXIST") throw e;
  }
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

export class NodeAgent {
  private runtimes = new Map<string, PodRuntime>();
  /** uid each Pod key should run with (set when its start is queued). */
  private wanted = new Map<string, string>();
  /** Per-Pod chain of operations, so start and teardown of one Pod never overlap. */
  private ops = new Map<string, Promise<void>>();
  private active = 0;
  private waiting: (() => void)[] = [];
  private unsubscribe?: () => void;
  private stopped = false;
  private readonly log: (m: string) => void;
  private readonly etcNetns: string;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  /** uid of each Pod whose graceful termination is under way. */
  private terminating = new Map<string, string>();
  /** Shared resolv.conf directories already written (linkEtcNetns). */
  private etcDirs = new Set<string>();
  /** Drain delays in progress: resolving one ends it early (stop). */
  private drains = new Set<() => void>();

  constructor(private readonly o: AgentOptions) {
    this.log = o.log ?? ((m) => process.stderr.write(`agent ${o.node.name}: ${m}\n`));
    this.etcNetns = o.etcNetns ?? "/etc/netns";
  }

  start(): void {
    this.unsubscribe = this.o.pods.subscribe((evs) => this.onEvents(evs));
    // Pods already in the cache (the subscription only sees later batches).
    this.onEvents(this.o.pods.list().map((p) => ({ type: "ADDED", object: p })));
  }

  /** Stops serving and probing; with teardown, also removes every Pod sandbox (lab down). */
  async stop(teardown: boolean): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const end of [...this.drains]) end();
    await Promise.allSettled([...this.ops.values()]);
    await Promise.allSettled([...this.runtimes.keys()].map((k) => (teardown ? this.teardown(k) : this.stopServing(k))));
  }

  /** Resolves when no Pod operation is queued or running. */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  podIPs(): Map<string, string> {
    return new Map([...this.runtimes].map(([k, r]) => [k, r.podIP]));
  }

  private onEvents(evs: CacheEvent[]): void {
    if (this.stopped) return;
    for (const ev of evs) {
      const pod = ev.object as Pod;
      const key = objectKey(pod);
      const mine = pod.spec?.nodeName === this.o.node.name;
      const rt = this.runtimes.get(key);
      if (ev.type !== "DELETED" && mine && pod.metadata.deletionTimestamp) {
        const uid = pod.metadata.uid ?? "";
        if (this.terminating.get(key) === uid) continue;
        this.terminating.set(key, uid);
        this.wanted.delete(key);
        this.enqueue(key, () => this.terminate(key, pod));
        continue;
      }
      if (ev.type === "DELETED" || !mine) {
        if (rt || this.ops.has(key)) this.enqueue(key, () => this.teardown(key));
        this.wanted.delete(key);
        if (ev.type === "DELETED" && this.terminating.get(key) === pod.metadata.uid) this.terminating.delete(key);
        continue;
      }
      const uid = pod.metadata.uid ?? "";
      // Already running or queued to start for this uid: status writes come back as MODIFIED events.
      if ((rt && rt.uid === uid) || this.wanted.get(key) === uid) continue;
      if (rt || this.wanted.has(key)) this.enqueue(key, () => this.teardown(key));
      this.wanted.set(key, uid);
      this.enqueue(key, () => this.ensurePod(key));
    }
  }

  private enqueue(key: string, fn: () => Promise<void>): void {
    this.inflight++;
    const prev = this.ops.get(key) ?? Promise.resolve();
    const next = prev
      .then(() => this.limited(fn))
      .catch((e: Error) => this.log(`${key}: ${e.message}`))
      .finally(() => {
        if (this.ops.get(key) === next) this.ops.delete(key);
        if (--this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    this.ops.set(key, next);
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    const max = this.o.concurrency ?? 8;
    if (this.active >= max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  /**
   * /etc/netns/<Pod namespace> (what `ip netns exec` binds over /etc) as a link to a directory
   * holding the Pod's resolv.conf, one per distinct content (most Pods of a namespace share
   * theirs): one inode per Pod instead of a directory and a file. The directories are written
   * once and never changed; they go with the state directory.
   */
  private linkEtcNetns(netns: string, resolv: string): void {
    const dir = `${this.o.stateDir}/etc-netns/${createHash("sha256").update(resolv).digest("hex").slice(0, 16)}`;
    if (!this.etcDirs.has(dir)) {
      if (!existsSync(`${dir}/resolv.conf`)) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(`${dir}/resolv.conf.tmp`, resolv);
        renameSync(`${dir}/resolv.conf.tmp`, `${dir}/resolv.conf`);
      }
      this.etcDirs.add(dir);
    }
    const link = `${this.etcNetns}/${netns}`;
    try {
      symlinkSync(dir, link);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      rmSync(link, { recursive: true, force: true }); // an earlier Pod's, or a directory an older daemon made
      symlinkSync(dir, link);
    }
  }

  private cniInvocation() {
    return { runner: this.o.runner, pluginDirs: CNI_PLUGIN_DIRS, execNetns: this.o.node.netns };
  }

  private confList(withPortMap = true) {
    return podNetworkConfList(this.o.lab, this.o.node, `${this.o.stateDir}/ipam/${this.o.node.name}`, withPortMap);
  }

  private runtimeConf(pod: Pod, netns: string, ifName = "eth0"): CniRuntimeConf {
    const portMappings = pod.spec.containers.flatMap((c) =>
      (c.ports ?? []).filter((p) => p.hostPort).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: (p.protocol ?? "TCP").toLowerCase(), hostIP: p.hostIP ?? "" })),
    );
    return {
      containerID: netns,
      netns: `/run/netns/${netns}`,
      ifName,
      args: [
        ["IgnoreUnknown", "1"],
        ["K8S_POD_NAMESPACE", pod.metadata.namespace ?? "default"],
        ["K8S_POD_NAME", pod.metadata.name ?? ""],
        ["K8S_POD_INFRA_CONTAINER_ID", netns],
        ["K8S_POD_UID", pod.metadata.uid ?? ""],
      ],
      capabilityArgs: portMappings.length ? { portMappings } : undefined,
    };
  }

  private async ensurePod(key: string): Promise<void> {
    if (this.stopped) return;
    const pod = this.o.pods.items.get(key);
    if (!pod || pod.spec?.nodeName !== this.o.node.name || pod.metadata.deletionTimestamp) return;
    if (this.runtimes.get(key)?.uid === pod.metadata.uid) return;
    const t0 = performance.now();
    const lap: string[] = [];
    const mark = (what: string) => lap.push(`${what} ${Math.round(performance.now() - t0)}`);
    const ns = pod.metadata.namespace ?? "default";
    const name = pod.metadata.name ?? "";
    const dir = podStateDir(this.o.stateDir, ns, name);
    mkdirOne(dir);
    const hostNetwork = pod.spec.hostNetwork === true;
    const netns = hostNetwork ? this.o.node.netns : podNetnsName(this.o.lab.lab, ns, name);
    let podIP = this.o.node.ip;
    let cniResult: CniResult | undefined;
    let confList: CniConfList | undefined;
    if (!hostNetwork) {
      const cached = readCniCache(dir);
      const exists = existsSync(`/run/netns/${netns}`);
      if (cached && cached.uid === pod.metadata.uid && exists) {
        cniResult = cached.result; // adopted from an earlier daemon
        confList = cached.confList;
      } else {
        if (exists) await this.removeSandbox(pod, netns, cached?.result, cached?.confList);
        if (this.o.addNetns) await this.o.addNetns(netns);
        else await mustRun(this.o.runner, "ip", ["netns", "add", netns]);
        // loopback only touches the Pod's namespace: it need not run inside the node's.
        await cniAdd({ ...this.cniInvocation(), execNetns: undefined }, loopbackConfList(), this.runtimeConf(pod, netns, "lo"));
        confList = this.confList(hasHostPorts(pod));
        cniResult = await cniAdd(this.cniInvocation(), confList, this.runtimeConf(pod, netns));
      }
      mark("cni");
      const ip = resultIPv4(cniResult);
      if (!ip) throw new Error(`CNI result for ${key} has no IPv4 address`);
      podIP = ip;
    }
    // At once after ADD: like libcni's cache, DEL later gets the same config and the ADD result.
    const sandbox: SandboxFile = { netns, podIP, hostNetwork, node: this.o.node.name, nodeNetns: this.o.node.netns, uid: pod.metadata.uid, ...(cniResult && confList ? { cni: { result: cniResult, confList } } : {}) };
    writeFileSync(`${dir}/sandbox.json`, JSON.stringify(sandbox));
    const rt: PodRuntime = { uid: pod.metadata.uid ?? "", netns, ownNetns: !hostNetwork, podIP, closers: [], programs: [], probers: [], ready: false, startTime: now(), cniResult, confList, env: {} };
    this.runtimes.set(key, rt);

    // resolv.conf and environment, as the kubelet computes them when the container starts.
    const resolv = podResolvConf(pod, { clusterDNS: [clusterDNSIP(this.o.settings)], clusterDomain: this.o.settings.clusterDomain, nodeResolvConf: this.o.nodeResolvConf });
    if (hostNetwork) {
      writeFileSync(`${dir}/resolv.conf`, resolv); // `netlab exec` binds it over the node's
    } else {
      this.linkEtcNetns(netns, resolv);
    }
    const services = this.o.services.list();
    const configMaps = this.o.configMaps.list();
    const secrets = this.o.secrets.list();
    const envErrors: string[] = [];
    for (const c of pod.spec.containers) {
      try {
        rt.env[c.name] = containerEnv(pod, c, services, configMaps, secrets).map((e) => ({ name: e.name, value: e.value }));
      } catch (e) {
        envErrors.push(`${c.name}: ${(e as Error).message}`);
        rt.env[c.name] = [];
      }
    }
    writeFileSync(`${dir}/env.json`, JSON.stringify(rt.env));

    // Sockets: special servers first, the test server for every other declared port.
    const special = this.o.special?.(pod);
    const requests: SocketRequest[] = [];
    const owners: ("test" | "special")[] = [];
    const bindHost = "0.0.0.0";
    // A Pod whose ports a real program owns (e.g. the ingress controller's nginx) gets no test server.
    const testServer = pod.metadata.annotations?.["netlab.dev/test-server"] !== "false";
    const seen = new Set<string>();
    for (const c of pod.spec.containers) {
      for (const p of c.ports ?? []) {
        const protocol = p.protocol ?? "TCP";
        if (protocol !== "TCP" && protocol !== "UDP") continue;
        const k = `${protocol}/${p.containerPort}`;
        if (seen.has(k)) continue;
        if (!testServer && !special?.handles(protocol, p.containerPort)) continue;
        seen.add(k);
        requests.push({ protocol, host: bindHost, port: p.containerPort });
        owners.push(special?.handles(protocol, p.containerPort) ? "special" : "test");
      }
    }
    for (const x of special?.extraSockets ?? []) {
      requests.push(x);
      owners.push("special");
    }
    mark("files");
    const opened = await (this.o.openSockets ?? openSockets)(netns, requests);
    mark("sockets");
    for (const e of opened.errors) this.log(`${key}: cannot open ${e.request.protocol} port ${e.request.port}: ${e.message}`);
    const specialSockets: OpenedSocket[] = [];
    const identity = { pod: name, namespace: ns, node: this.o.node.name, podIP };
    for (const s of opened.sockets) {
      const owner = owners[requests.findIndex((r) => r.protocol === s.protocol && r.port === s.port && r.host === s.host)];
      if (owner === "special") specialSockets.push(s);
      else if (s.protocol === "TCP") rt.closers.push(serveHttp(s.server, s.port, identity));
      else rt.closers.push(serveUdpEcho(s.socket));
    }
    let specialError: string | undefined;
    if (special) {
      try {
        rt.closers.push(await special.start({ pod, podIP, netns, sockets: specialSockets }));
      } catch (e) {
        // The Pod keeps running without that server; the sockets it was handed must not stay open (and keep the process alive).
        specialError = `special server failed: ${(e as Error).message}`;
        this.log(`${key}: ${specialError}`);
        for (const s of specialSockets) closeOpened(s);
      }
    }

    // Containers whose program exists here.
    for (const c of pod.spec.containers) {
      const argv = containerArgv(c);
      if (!argv) continue;
      const path = await findProgram(argv[0]);
      if (!path) continue;
      rt.programs.push(
        runProgram({ netns, argv, env: rt.env[c.name] ?? [], logPath: `${dir}/${c.name}.log`, pidFile: `${dir}/${c.name}.pids`, log: (m) => this.log(`${key}: ${m}`) }),
      );
    }

    // Readiness.
    const probed = pod.spec.containers.filter((c) => c.readinessProbe);
    const readyByContainer = new Map<string, boolean>(pod.spec.containers.map((c) => [c.name, !c.readinessProbe]));
    // A Pod whose server could not start (e.g. cluster DNS) is not Ready, so no Service sends it traffic.
    rt.ready = envErrors.length === 0 && !specialError && [...readyByContainer.values()].every(Boolean);
    await this.writeStatus(key, pod, rt, readyByContainer, envErrors, specialError);
    mark("status");
    if (process.env.NETLAB_DEBUG) this.log(`${key} started: ${lap.join(", ")} ms`);
    for (const c of probed) {
      rt.probers.push(
        startReadinessProber(this.o.runner, pod, c, { nodeNetns: this.o.node.netns, podNetns: netns, podIP, env: rt.env[c.name] ?? [] }, (ok) => {
          if (this.runtimes.get(key) !== rt) return;
          readyByContainer.set(c.name, ok);
          rt.ready = envErrors.length === 0 && !specialError && [...readyByContainer.values()].every(Boolean);
          void this.writeStatus(key, pod, rt, readyByContainer, envErrors, specialError).catch((e: Error) => this.log(`${key}: status: ${e.message}`));
        }),
      );
    }
  }

  private async writeStatus(key: string, pod: Pod, rt: PodRuntime, readyBy: Map<string, boolean>, envErrors: string[], specialError?: string): Promise<void> {
    const t = now();
    const r = rt.ready ? "True" : "False";
    const status: Pod["status"] = {
      phase: "Running",
      conditions: [
        { type: "PodReadyToStartContainers", status: "True", lastTransitionTime: rt.startTime },
        { type: "Initialized", status: "True", lastTransitionTime: rt.startTime },
        { type: "Ready", status: r, lastTransitionTime: t, ...(rt.ready ? {} : { reason: "ContainersNotReady", message: `containers with unready status: [${[...readyBy].filter(([, v]) => !v).map(([k]) => k).join(" ")}]` }) },
        { type: "ContainersReady", status: r, lastTransitionTime: t },
        { type: "PodScheduled", status: "True", lastTransitionTime: rt.startTime },
      ],
      hostIP: this.o.node.ip,
      hostIPs: [{ ip: this.o.node.ip }],
      podIP: rt.podIP,
      podIPs: [{ ip: rt.podIP }],
      startTime: rt.startTime,
      containerStatuses: pod.spec.containers.map((c: Container) => ({
        name: c.name,
        ready: readyBy.get(c.name) === true && envErrors.length === 0 && !specialError,
        restartCount: 0,
        started: true,
        image: c.image ?? "",
        state: envErrors.some((e) => e.startsWith(`${c.name}:`))
          ? { waiting: { reason: "CreateContainerConfigError", message: envErrors.join("; ") } }
          : specialError
            ? { waiting: { reason: "CrashLoopBackOff", message: specialError } }
            : { running: { startedAt: rt.startTime } },
      })),
    };
    const [ns, name] = key.includes("/") ? key.split("/") : ["default", key];
    await this.o.client.patch({ kind: "Pod", namespace: ns, name }, { status }, { subresource: "status" });
  }

  private async stopServing(key: string): Promise<PodRuntime | undefined> {
    const rt = this.runtimes.get(key);
    if (!rt) return undefined;
    this.runtimes.delete(key);
    for (const p of rt.probers) p.stop();
    for (const p of rt.programs) p.stop();
    await Promise.allSettled(rt.closers.map((c) => c.close()));
    return rt;
  }

  /** Graceful termination: drain, stop, remove the sandbox, then finish the API delete (grace 0). */
  private async terminate(key: string, pod: Pod): Promise<void> {
    const rt = this.runtimes.get(key);
    if (rt && rt.uid === pod.metadata.uid) {
      const grace = (pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
      await this.drain(Math.min(grace, this.o.maxDrainMs ?? 2000));
      if (this.stopped) return; // stop() stops or tears down what is left, without waiting
      await this.teardown(key);
    } else if (!rt && !pod.spec.hostNetwork) {
      // Marked while no daemon ran (or before its start): a sandbox an earlier daemon made may remain.
      const [ns, name] = [pod.metadata.namespace ?? "default", pod.metadata.name ?? ""];
      const netns = podNetnsName(this.o.lab.lab, ns, name);
      const dir = podStateDir(this.o.stateDir, ns, name);
      const cached = readCniCache(dir);
      const exists = existsSync(`/run/netns/${netns}`);
      if (exists && cached && cached.uid === pod.metadata.uid) {
        await this.removeSandbox(pod, netns, cached.result, cached.confList);
        await rm(`${this.etcNetns}/${netns}`, { recursive: true, force: true });
        await rm(dir, { recursive: true, force: true });
      }
    }
    if (this.stopped) return;
    try {
      await this.o.client.delete({ kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name ?? "" }, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      const reason = (e as { status?: { reason?: string } }).status?.reason;
      if (reason !== "NotFound" && reason !== "Conflict") throw e;
    }
  }

  private drain(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.drains.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.drains.add(end);
    });
  }

  private async teardown(key: string): Promise<void> {
    const rt = await this.stopServing(key);
    const [ns, name] = key.split("/");
    const dir = podStateDir(this.o.stateDir, ns, name);
    if (rt?.ownNetns) {
      const pod = { metadata: { namespace: ns, name, uid: rt.uid }, spec: { containers: [] } } as unknown as Pod;
      await this.removeSandbox(pod, rt.netns, rt.cniResult, rt.confList);
      await rm(`${this.etcNetns}/${rt.netns}`, { recursive: true, force: true });
    }
    await rm(dir, { recursive: true, force: true });
  }

  private async removeSandbox(pod: Pod, netns: string, result: CniResult | undefined, confList?: CniConfList): Promise<void> {
    try {
      await cniDel(this.cniInvocation(), confList ?? this.confList(), this.runtimeConf(pod, netns), result);
    } catch (e) {
      this.log(`${objectKey(pod)}: CNI DEL: ${(e as Error).message}`);
    }
    // A container's program may have left children behind; they would keep the namespace alive.
    const pids = await this.o.runner.run("ip", ["netns", "pids", netns]);
    for (const l of pids.stdout.split("\n")) {
      const pid = Number(l.trim());
      if (pid > 1 && pid !== process.pid) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
    }
    await this.o.runner.run("ip", ["netns", "del", netns]);
  }
}
