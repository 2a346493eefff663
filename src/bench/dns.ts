// DNS benchmark: the cluster DNS server with 10,000 Services (+ EndpointSlices) and 10,000 Pods,
// pinned to one core, measured with dnsperf (A/SRV/PTR/NXDOMAIN mix) beside a do-nothing Node
// UDP responder measured the same way in the same run. Also: memory per object (RSS empty vs
// loaded, same process) and watch-event-to-answer latency. Loopback only; bounded in time.
//
// This file is also the child process (`node dist/bench/dns.js --child dns|echo`), so the
// server runs alone on its core.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import dnsPacket from "dns-packet";
import type { EndpointSlice, KubeList, KubeObject, Pod, Service, WatchEvent } from "../api/types.js";
import type { Client, WatchHandler } from "../client/client.js";
import { reverseName } from "../dns/answer.js";
import { startDnsServer } from "../dns/server.js";

const SERVICES = 10_000;
const PODS = 10_000;
const NAMESPACES = 10;
const ROUNDS = 3;
const RUN_SECONDS = 5;
const LATENCY_QPS = 10_000;
const LATENCY_SECONDS = 4;
const WATCH_SAMPLES = 20;
const SETTLE_SECONDS = Number(process.env.NETLAB_BENCH_SETTLE ?? 10);

// ------------------------------------------------------------------ generated cluster

function ipFrom(base: number, i: number): string {
  const v = base + i;
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}
const SVC_BASE = ((10 << 24) | (96 << 16)) >>> 0;
const POD_BASE = ((10 << 24) | (244 << 16)) >>> 0;
const svcIP = (i: number) => ipFrom(SVC_BASE, 100 + i);
const podIP = (i: number) => ipFrom(POD_BASE, 256 + i);
const nsOf = (i: number) => `ns-${i % NAMESPACES}`;

function genService(i: number): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: nsOf(i), name: `svc-${i}`, uid: `s${i}`, resourceVersion: "1" },
    spec: { type: "ClusterIP", clusterIP: svcIP(i), clusterIPs: [svcIP(i)], ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }], selector: { app: `a${i}` } },
  };
}
function genPod(i: number): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: nsOf(i), name: `pod-${i}`, uid: `p${i}`, labels: { app: `a${i}` } },
    spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 8080 }] }], nodeName: "node-1" },
    status: { phase: "Running", podIP: podIP(i), podIPs: [{ ip: podIP(i) }], hostIP: "172.18.0.2" },
  };
}
function genSlice(i: number): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: nsOf(i), name: `svc-${i}-abcde`, labels: { "kubernetes.io/service-name": `svc-${i}` } },
    addressType: "IPv4",
    endpoints: [{ addresses: [podIP(i)], conditions: { ready: true, serving: true, terminating: false }, nodeName: "node-1", targetRef: { kind: "Pod", name: `pod-${i}`, namespace: nsOf(i) } }],
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  };
}

/** A list+watch Client over generated objects: lists are made on demand (nothing retained). */
class GeneratedClient {
  handlers = new Map<string, WatchHandler>();
  constructor(private n: { services: number; pods: number }) {}
  async list<T extends KubeObject>(kind: string): Promise<KubeList<T>> {
    const items: KubeObject[] = [];
    if (kind === "Namespace") for (let i = 0; i < NAMESPACES; i++) items.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: `ns-${i}` } });
    if (kind === "Service") for (let i = 0; i < this.n.services; i++) items.push(genService(i));
    if (kind === "EndpointSlice") for (let i = 0; i < Math.min(this.n.services, this.n.pods); i++) items.push(genSlice(i));
    if (kind === "Pod") for (let i = 0; i < this.n.pods; i++) items.push(genPod(i));
    return { apiVersion: "v1", kind: `${kind}List`, metadata: { resourceVersion: "1" }, items: items as T[] };
  }
  watch(kind: string, _o: unknown, h: WatchHandler) {
    this.handlers.set(kind, h);
    return { stop: () => this.handlers.delete(kind), done: new Promise<void>(() => {}) };
  }
  emit(ev: WatchEvent): void {
    this.handlers.get(ev.object.kind)?.(ev);
  }
}

function settle(): { rss: number; heap: number } {
  const g = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) g?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

async function childDns(): Promise<void> {
  const empty = new GeneratedClient({ services: 0, pods: 0 });
  // Measure the empty server first, in this same process, then load.
  const s0 = await startDnsServer({ client: empty as unknown as Client, listen: "127.0.0.1:0", podsMode: "verified" });
  await s0.synced;
  await s0.close();
  const before = settle();
  const client = new GeneratedClient({ services: SERVICES, pods: PODS });
  const t0 = performance.now();
  const server = await startDnsServer({ client: client as unknown as Client, listen: "127.0.0.1:0", podsMode: "verified" });
  await server.synced;
  const loadMs = performance.now() - t0;
  // Let V8's memory reducer give back the young generation the load grew (it runs when the
  // process goes idle), so the figure is the steady state, not the load's high-water mark.
  let after = settle();
  for (let i = 0; i < SETTLE_SECONDS; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    after = settle();
  }
  process.on("message", (m: { emit?: WatchEvent; exit?: boolean }) => {
    if (m.emit) client.emit(m.emit);
    if (m.exit) void server.close().then(() => process.exit(0));
  });
  process.send!({ port: server.udpAddress!.port, before, after, loadMs, counts: server.records.counts });
}

async function childEcho(): Promise<void> {
  const s = dgram.createSocket("udp4");
  s.on("message", (m, r) => {
    if (m.length < 12) return;
    const out = Buffer.from(m);
    out[2] |= 0x80; // QR: a reply with the question, nothing else
    s.send(out, r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  process.on("message", (m: { exit?: boolean }) => {
    if (m.exit) s.close(() => process.exit(0));
  });
  process.send!({ port: (s.address() as { port: number }).port });
}

// ------------------------------------------------------------------ parent

interface ChildInfo {
  port: number;
  before?: { rss: number; heap: number };
  after?: { rss: number; heap: number };
  loadMs?: number;
  counts?: Record<string, number>;
}

function startChild(mode: string, pin: string | null): Promise<{ proc: ChildProcess; info: ChildInfo }> {
  const self = fileURLToPath(import.meta.url);
  const nodeArgs = ["--expose-gc", self, "--child", mode];
  const [cmd, args] = pin ? ["taskset", ["-c", pin, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const proc = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`bench child ${mode} did not start in 120 s`)), 120_000);
    proc.once("message", (info) => {
      clearTimeout(t);
      resolve({ proc, info: info as ChildInfo });
    });
    proc.once("exit", (code) => reject(new Error(`bench child ${mode} exited with ${code}`)));
  });
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  proc.send({ exit: true });
  const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}

function queryFile(dir: string): string {
  const lines: string[] = [];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  for (let j = 0; j < 20_000; j++) {
    const i = rnd(SERVICES);
    const name = `svc-${i}.${nsOf(i)}.svc.cluster.local`;
    switch (j % 4) {
      case 0:
        lines.push(`${name} A`);
        break;
      case 1:
        lines.push(`_http._tcp.${name} SRV`);
        break;
      case 2:
        lines.push(`${reverseName(svcIP(i))} PTR`);
        break;
      default:
        lines.push(`nosuch-${i}.${nsOf(i)}.svc.cluster.local A`);
    }
  }
  const f = join(dir, "queries.txt");
  writeFileSync(f, lines.join("\n") + "\n");
  return f;
}

interface PerfResult {
  qps: number;
  avgMs: number;
  p99Ms?: number;
  lost: number;
  rcodes: string;
}

let perfRun = 0;

function dnsperf(port: number, file: string, pin: string | null, extra: string[], verbose: boolean): Promise<PerfResult> {
  const args = ["-s", "127.0.0.1", "-p", String(port), "-d", file, "-c", "4", "-q", "256", "-t", "2", ...extra, ...(verbose ? ["-v"] : [])];
  const [cmd, a] = pin ? ["taskset", ["-c", pin, "dnsperf", ...args]] : ["dnsperf", args];
  // Output goes to a file: with -v (a line per query) a pipe to this process could stall dnsperf.
  const outPath = join(dirname(file), `dnsperf-${perfRun++}.out`);
  const fd = openSync(outPath, "w");
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, a, { stdio: ["ignore", fd, "pipe"] });
    closeSync(fd);
    let err = "";
    p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("exit", (code) => {
      const out = readFileSync(outPath, "utf8");
      rmSync(outPath, { force: true });
      if (code !== 0) return reject(new Error(`dnsperf exited ${code}: ${err.trim()}`));
      const lat: number[] = [];
      let text = "";
      for (const l of out.split("\n")) {
        // -v: "> NOERROR name type 0.000123"
        if (verbose && l.startsWith("> ")) {
          const v = Number(l.slice(l.lastIndexOf(" ") + 1));
          if (Number.isFinite(v)) lat.push(v * 1000);
        } else text += l + "\n";
      }
      const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
      lat.sort((x, y) => x - y);
      resolve({
        qps: num(/Queries per second:\s+([\d.]+)/),
        avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
        p99Ms: lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] : undefined,
        lost: num(/Queries lost:\s+(\d+)/),
        rcodes: /Response codes:\s+(.*)/.exec(text)?.[1] ?? "",
      });
    });
  });
}

async function watchLatency(proc: ChildProcess, port: number): Promise<number[]> {
  const sock = dgram.createSocket("udp4");
  const out: number[] = [];
  try {
    for (let r = 0; r < WATCH_SAMPLES; r++) {
      const name = `watch-${r}.ns-0.svc.cluster.local`;
      const ip = ipFrom(SVC_BASE, 60_000 + r);
      const q = dnsPacket.encode({ type: "query", id: r, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: "A" }] });
      const t0 = performance.now();
      proc.send({
        emit: {
          type: "ADDED",
          object: { apiVersion: "v1", kind: "Service", metadata: { namespace: "ns-0", name: `watch-${r}` }, spec: { clusterIP: ip, ports: [{ port: 80, protocol: "TCP" }] } },
        },
      });
      let done = false;
      while (!done && performance.now() - t0 < 2000) {
        const got = await new Promise<boolean>((resolve) => {
          const onMsg = (m: Buffer) => {
            sock.off("message", onMsg);
            clearTimeout(t);
            resolve((m[3] & 0x0f) === 0 && m.readUInt16BE(6) > 0);
          };
          const t = setTimeout(() => {
            sock.off("message", onMsg);
            resolve(false);
          }, 50);
          sock.on("message", onMsg);
          sock.send(q, port, "127.0.0.1");
        });
        if (got) done = true;
        else await new Promise((r) => setTimeout(r, 1));
      }
      out.push(done ? performance.now() - t0 : Infinity);
    }
  } finally {
    sock.close();
  }
  return out;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "n/a");
const f2 = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n.toFixed(2) : "n/a");
const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");

export async function run(): Promise<void> {
  if (spawnSync("dnsperf", ["-h"]).error) {
    process.stdout.write("dns: skipped (dnsperf is not installed; apt-get install dnsperf)\n");
    return;
  }
  const pinned = !spawnSync("taskset", ["-c", "1", "true"]).error && spawnSync("taskset", ["-c", "1", "true"]).status === 0;
  const serverCpu = pinned ? "1" : null;
  const perfCpu = pinned ? "0" : null;
  const dir = mkdtempSync(join(tmpdir(), "netlab-dns-bench-"));
  const procs: ChildProcess[] = [];
  try {
    const file = queryFile(dir);
    process.stdout.write(
      `dns: ${SERVICES} services (+ EndpointSlices), ${PODS} pods (pods verified), query mix A/SRV/PTR/NXDOMAIN 1:1:1:1; ` +
        `server ${pinned ? "pinned to cpu 1, dnsperf to cpu 0" : "not pinned (no taskset)"}; dnsperf -c 4 -q 256; ` +
        `median of ${ROUNDS} alternating runs (${RUN_SECONDS} s unlimited, ${LATENCY_SECONDS} s at ${LATENCY_QPS} QPS with -v for p99)\n`,
    );
    const dns = await startChild("dns", serverCpu);
    procs.push(dns.proc);
    const echo = await startChild("echo", serverCpu);
    procs.push(echo.proc);
    const { before, after, loadMs, counts } = dns.info;
    // Warm the response cache with one pass, as a running server would be.
    await dnsperf(dns.info.port, file, perfCpu, ["-n", "1"], false);
    // Alternate server and baseline runs and keep the median of each, so that load from other
    // processes on this machine falls on both sides alike.
    const rounds = async (args: string[], verbose: boolean, key: (r: PerfResult) => number) => {
      const b: PerfResult[] = [];
      const s: PerfResult[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        b.push(await dnsperf(echo.info.port, file, perfCpu, args, verbose));
        s.push(await dnsperf(dns.info.port, file, perfCpu, args, verbose));
      }
      const med = (xs: PerfResult[]) => [...xs].sort((x, y) => key(x) - key(y))[Math.floor(xs.length / 2)];
      return { base: med(b), srv: med(s) };
    };
    const { base, srv } = await rounds(["-l", String(RUN_SECONDS)], false, (r) => r.qps);
    const lat = await rounds(["-l", String(LATENCY_SECONDS), "-Q", String(LATENCY_QPS)], true, (r) => r.p99Ms ?? Infinity);
    const baseLat = lat.base;
    const srvLat = lat.srv;
    const watch = await watchLatency(dns.proc, dns.info.port);
    await stopChild(echo.proc);
    await stopChild(dns.proc);

    const objects = SERVICES + PODS;
    const rssPer = (after!.rss - before!.rss) / objects / 1024;
    const heapPer = (after!.heap - before!.heap) / objects / 1024;
    const wSorted = [...watch].sort((a, b) => a - b);
    const wMax = wSorted[wSorted.length - 1];
    const rows: string[][] = [
      ["measure", "dns server", "do-nothing responder", "ratio", "target", ""],
      ["QPS (unlimited, median)", f1(srv.qps), f1(base.qps), f2(srv.qps / base.qps), ">= 25000", verdict(srv.qps >= 25_000)],
      ["avg latency ms (unlimited)", f2(srv.avgMs), f2(base.avgMs), f2(srv.avgMs / base.avgMs), "", ""],
      [
        `p99 latency ms @ ${LATENCY_QPS} QPS (median)`,
        f2(srvLat.p99Ms),
        f2(baseLat.p99Ms),
        f2((srvLat.p99Ms ?? NaN) / (baseLat.p99Ms ?? NaN)),
        "<= 1.5x",
        verdict((srvLat.p99Ms ?? Infinity) <= 1.5 * (baseLat.p99Ms ?? 0)),
      ],
      [`avg latency ms @ ${LATENCY_QPS} QPS`, f2(srvLat.avgMs), f2(baseLat.avgMs), f2(srvLat.avgMs / baseLat.avgMs), "", ""],
      ["queries lost (unlimited)", String(srv.lost), String(base.lost), "", "", ""],
      ["RSS KB per object above empty", f2(rssPer), "", "", "<= 0.5", verdict(rssPer <= 0.5)],
      ["heap KB per object above empty", f2(heapPer), "", "", "", ""],
      ["watch event -> answer ms (max of 20)", f2(wMax), "", "", "<= 100", verdict(wMax <= 100)],
      ["watch event -> answer ms (median)", f2(wSorted[Math.floor(wSorted.length / 2)]), "", "", "", ""],
    ];
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join("   ").trimEnd()).join("\n") + "\n");
    process.stdout.write(
      `loaded ${JSON.stringify(counts)} in ${f1(loadMs ?? NaN)} ms; RSS empty ${f1(before!.rss / 1048576)} MiB -> loaded ${f1(after!.rss / 1048576)} MiB ` +
        `(per object = delta / ${objects} services+pods); response codes: ${srv.rcodes}\n`,
    );
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === "--child") {
  const mode = process.argv[3];
  (mode === "dns" ? childDns() : childEcho()).catch((e: unknown) => {
    process.stderr.write(`bench child: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
