// End-to-end: the seed examples in a real lab (namespaces only), probed with real clients
// (curl, dig) run inside the lab. Full checks for iptables+vxlan and nftables+routed, smoke
// for the other two combinations. Needs root; skips with the reason otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { loadManifestPaths } from "../api/decode.js";
import type { Deployment, KubeObject, Pod, Service } from "../api/types.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { execPlan } from "../cli/commands/exec.js";
import { startLab, type RunningLab } from "../daemon/lab.js";
import { removeLab } from "../daemon/cleanup.js";
import { systemRunner } from "./exec.js";
import { kernelSkipReason, uniqueLabName } from "./kernel-test-support.js";
import { snapshotRootNamespace } from "./root-snapshot.js";
import { listLabNamespaces } from "./topology.js";
import type { PodNetworkMode, ProxyMode } from "./address-plan.js";

const skip = kernelSkipReason();
const SEED = new URL("../../examples/seed", import.meta.url).pathname;

function run(argv: string[], env: Record<string, string>, timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    c.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => c.kill("SIGKILL"), timeoutMs);
    c.on("close", (code) => {
      clearTimeout(t);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

class Probe {
  constructor(readonly lab: string) {}
  async sh(target: string, cmd: string[], ns = "default"): Promise<string> {
    const p = await execPlan(this.lab, target, ns, undefined, cmd);
    if ("error" in p) throw new Error(p.error);
    const r = await run(p.argv, p.env);
    if (r.code !== 0) throw new Error(`${target}: ${cmd.join(" ")}: exit ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }
  async curl(target: string, url: string, ns = "default"): Promise<Record<string, unknown>> {
    return JSON.parse(await this.sh(target, ["curl", "-sS", "--max-time", "3", url], ns)) as Record<string, unknown>;
  }
  /** n requests in one process; the answering Pods' names. */
  async spread(target: string, url: string, n: number, ns = "default"): Promise<string[]> {
    const out = await this.sh(target, ["sh", "-c", `for i in $(seq ${n}); do curl -sS --max-time 3 ${url}; done`], ns);
    return out
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { pod: string }).pod);
  }
  async dig(target: string, name: string, type = "A"): Promise<string[]> {
    return (await this.sh(target, ["dig", "+short", "+time=2", "+tries=2", name, type])).trim().split("\n").filter(Boolean);
  }
}

async function seedObjects(): Promise<KubeObject[]> {
  const r = await loadManifestPaths([SEED]);
  assert.deepEqual(r.errors, []);
  return r.objects;
}

async function up(t: { after(fn: () => Promise<void>): void }, name: string, podNetwork: PodNetworkMode, proxyMode: ProxyMode, extra: KubeObject[] = []): Promise<{ lab: RunningLab; probe: Probe; name: string }> {
  const stateDir = await mkdtemp(`${tmpdir()}/nlt-lab-`);
  let lab: RunningLab | undefined;
  t.after(async () => {
    await lab?.stop(true).catch(() => {});
    await removeLab(systemRunner, name, stateDir);
  });
  process.env.NETLAB_HOME = stateDir.replace(/\/[^/]+$/, ""); // exec finds <home>/<lab>
  lab = await startLab({ name, nodes: 3, podNetwork, proxyMode, settings: DEFAULT_SETTINGS, objects: [...(await seedObjects()), ...extra], stateDir: `${process.env.NETLAB_HOME}/${name}`, log: () => {} });
  await lab.waitReady(60_000);
  return { lab, probe: new Probe(name), name };
}

const podsOf = (lab: RunningLab, label: string, value: string) => lab.caches.pods.list().filter((p) => p.metadata.labels?.[label] === value);
const podNamed = (lab: RunningLab, name: string) => lab.caches.pods.items.get(`default/${name}`) as Pod;

// A Deployment whose readiness a test can switch (test server: POST /readiness fail|ok).
const probed: Deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "probed", namespace: "default" },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "probed" } },
    template: {
      metadata: { labels: { app: "probed" } },
      spec: { containers: [{ name: "web", image: "x", ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1, failureThreshold: 1 } }] },
    },
  },
};
// A container whose command names a program of this machine runs it in the Pod's namespace with the Pod's env.
const runner = (lab: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "runner", namespace: "default" },
  spec: { containers: [{ name: "sh", image: "busybox", command: ["sh", "-c", `echo "$GREETING $(ip -4 -o addr show eth0 | awk '{print $4}')" > ${tmpdir()}/nlt-${lab}-runner.out; sleep 300`], env: [{ name: "GREETING", value: "hello" }] }] },
});
// Scaled down under load: its Pods must drain (graceful termination), so no request fails.
const drained: Deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "drained", namespace: "default" },
  spec: { replicas: 4, selector: { matchLabels: { app: "drained" } }, template: { metadata: { labels: { app: "drained" } }, spec: { containers: [{ name: "web", image: "x", ports: [{ containerPort: 8080 }] }] } } },
};
const drainedSvc: Service = { apiVersion: "v1", kind: "Service", metadata: { name: "drained", namespace: "default" }, spec: { selector: { app: "drained" }, ports: [{ port: 80, targetPort: 8080 }] } };
const probedSvc: Service = { apiVersion: "v1", kind: "Service", metadata: { name: "probed", namespace: "default" }, spec: { selector: { app: "probed" }, ports: [{ port: 80, targetPort: 8080 }] } };

for (const [podNetwork, proxyMode] of [
  ["vxlan", "iptables"],
  ["routed", "nftables"],
] as [PodNetworkMode, ProxyMode][]) {
  test(`e2e ${proxyMode}+${podNetwork}: the seed's networking works and down leaves nothing`, { skip, timeout: 180_000 }, async (t) => {
    const before = await snapshotRootNamespace(systemRunner);
    const labName = uniqueLabName(proxyMode.slice(0, 2) + podNetwork.slice(0, 2));
    const { lab, probe, name } = await up(t, labName, podNetwork, proxyMode, [probed, probedSvc, drained, drainedSvc, runner(labName)]);
    const egress = podNamed(lab, "egress-client");
    const frontends = podsOf(lab, "tier", "frontend");
    assert.equal(frontends.length, 3);

    await t.test("pod-to-pod on the same node and across nodes, without NAT", async () => {
      const servers = lab.caches.pods.list().filter((p) => p.metadata.namespace === "default" && p.spec.containers.some((c) => c.ports?.some((x) => x.containerPort === 8080)) && !p.spec.hostNetwork);
      const same = servers.find((p) => p.spec.nodeName === egress.spec.nodeName);
      const other = servers.find((p) => p.spec.nodeName !== egress.spec.nodeName)!;
      for (const s of [same, other].filter((x): x is Pod => !!x)) {
        const a = await probe.curl("egress-client", `http://${s.status!.podIP}:8080/`);
        assert.equal(a.pod, s.metadata.name);
        assert.equal(a.client, egress.status!.podIP);
      }
    });

    await t.test("my-service by DNS name spreads over the 3 frontends; hairpin through its own Service", async () => {
      const names = new Set(await probe.spread("egress-client", "http://my-service/", 40));
      assert.deepEqual([...names].sort(), frontends.map((p) => p.metadata.name).sort());
      const self = frontends[0].metadata.name!;
      const seen = await probe.spread(self, "http://my-service.default.svc.cluster.local/", 30);
      assert.ok(seen.includes(self), `hairpin: ${self} never answered itself (${seen.join(",")})`);
    });

    await t.test("lan reaches NodePort 30001 on every node; external reaches the LoadBalancer address", async () => {
      for (const n of lab.plan.nodes) assert.equal(String((await probe.curl("lan", `http://${n.ip}:30001/`)).port), "8080");
      const svc = lab.caches.services.items.get("default/frontend-lb") as Service;
      const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
      assert.ok(ip, "frontend-lb has a LoadBalancer address");
      const a = await probe.curl("external", `http://${ip}/`);
      assert.ok(frontends.some((p) => p.metadata.name === a.pod));
      // Node addresses are not public: the internet cannot reach a NodePort directly.
      await assert.rejects(probe.sh("external", ["curl", "-sS", "--max-time", "1", `http://${lab.plan.nodes[0].ip}:30001/`]));
    });

    await t.test("external reaches legacy-api's externalIP, routed (not NATed) by the fabric to a node", async () => {
      const svc = lab.caches.services.items.get("default/legacy-api") as Service;
      assert.deepEqual(svc.spec.externalIPs, ["198.51.100.200"]);
      for (let i = 0; i < 3; i++) {
        const a = await probe.curl("external", "http://198.51.100.200:8000/");
        assert.ok(frontends.some((p) => p.metadata.name === a.pod), `answered by ${String(a.pod)}`);
      }
      const routes = await systemRunner.run("ip", ["-n", lab.plan.fabric.netns, "route", "show", "198.51.100.200/32"]);
      assert.match(routes.stdout, /nexthop via 172\.18\.0\.2/);
      // The fabric's public address and the LoadBalancer address stay the fabric's own.
      assert.equal((await systemRunner.run("ip", ["-n", lab.plan.fabric.netns, "route", "show", "proto", "77"])).stdout.split("\n").filter((l) => /^\d/.test(l)).length, 1);
    });

    await t.test("egress-client reaches the internet from the fabric's public address (two NATs)", async () => {
      const a = await probe.curl("egress-client", `http://${lab.plan.external.webIP}/`);
      assert.equal(a.pod, "external");
      assert.equal(a.client, lab.plan.fabric.publicIP);
    });

    await t.test("DNS: ExternalName CNAME, headless db, db-0.db, foo.bar; external-db to 203.0.113.42:9376", async () => {
      const cname = await probe.dig("egress-client", "my-service.prod.svc.cluster.local");
      assert.equal(cname[0], "my.database.example.com.");
      assert.equal(cname[1], lab.plan.external.webIP);
      assert.equal((await probe.curl("egress-client", "http://my-service.prod/")).pod, "external");
      const db = await probe.dig("egress-client", "db.default.svc.cluster.local");
      assert.deepEqual(db.sort(), podsOf(lab, "app", "db").map((p) => p.status!.podIP!).sort());
      assert.deepEqual(await probe.dig("egress-client", "db-0.db.default.svc.cluster.local"), [podNamed(lab, "db-0").status!.podIP]);
      assert.deepEqual(await probe.dig("egress-client", "foo.bar.default.svc.cluster.local"), [podNamed(lab, "foo").status!.podIP]);
      // The zone's NS is the Service in front of the DNS Pods, as CoreDNS finds it from its own address.
      assert.deepEqual(await probe.dig("egress-client", "cluster.local", "NS"), ["kube-dns.kube-system.svc.cluster.local."]);
      const a = await probe.curl("egress-client", "http://external-db/");
      assert.deepEqual([a.podIP, a.port], ["203.0.113.42", 9376]);
    });

    await t.test("env-reader's environment, the dns-policy resolv.confs, https://kubernetes.default", async () => {
      const env = await probe.sh("env-reader", ["env"]);
      const redis = lab.caches.services.items.get("default/redis-master") as Service;
      assert.match(env, new RegExp(`^REDIS_MASTER_SERVICE_HOST=${redis.spec.clusterIP}$`, "m"));
      assert.match(env, new RegExp(`^REDIS_MASTER_PORT_6379_TCP=tcp://${redis.spec.clusterIP}:6379$`, "m"));
      const cf = "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n";
      assert.equal(await probe.sh("dns-cluster-first", ["cat", "/etc/resolv.conf"]), cf);
      assert.equal(await probe.sh("dns-hostnet", ["cat", "/etc/resolv.conf"]), cf);
      assert.equal(await probe.sh("dns-default", ["cat", "/etc/resolv.conf"]), `nameserver ${lab.plan.external.dnsIP}\n`);
      assert.equal(await probe.sh("dns-none", ["cat", "/etc/resolv.conf"]), "nameserver 10.96.0.10\nsearch prod.svc.cluster.local\noptions ndots:2\n");
      const v = JSON.parse(await probe.sh("egress-client", ["curl", "-sSk", "--max-time", "3", "https://kubernetes.default/version"])) as { gitVersion: string };
      assert.match(v.gitVersion, /^v1\./);
    });

    await t.test("a container's program runs in the Pod's namespace with its environment", async () => {
      const out = `${tmpdir()}/nlt-${name}-runner.out`;
      const end = Date.now() + 5000;
      while (!existsSync(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      t.after(() => rm(out, { force: true }));
      assert.equal(readFileSync(out, "utf8").trim(), `hello ${podNamed(lab, "runner").status!.podIP}/24`);
    });

    await t.test("a Deployment scaled down under a request loop through its Service fails no request (graceful termination)", async () => {
      assert.equal(podsOf(lab, "app", "drained").length, 4);
      const ip = (lab.caches.services.items.get("default/drained") as Service).spec.clusterIP;
      const loop = probe.sh("egress-client", ["sh", "-c", `for i in $(seq 200); do curl -s -o /dev/null -w '%{http_code}\\n' --max-time 3 http://${ip}/ || echo "failed $?"; done`]);
      await new Promise((r) => setTimeout(r, 300));
      await lab.registry.patch({ kind: "Deployment", namespace: "default", name: "drained" }, { spec: { replicas: 1 } });
      // The removed Pods are terminating (still serving) before they go.
      const end = Date.now() + 3000;
      while (Date.now() < end && !podsOf(lab, "app", "drained").some((p) => p.metadata.deletionTimestamp)) await new Promise((r) => setTimeout(r, 10));
      assert.ok(podsOf(lab, "app", "drained").some((p) => p.metadata.deletionTimestamp), "no drained Pod was terminating");
      const codes = (await loop).trim().split("\n");
      assert.deepEqual(codes.filter((c) => c !== "200"), []);
      assert.equal(codes.length, 200);
      const end2 = Date.now() + 10_000;
      while (Date.now() < end2 && podsOf(lab, "app", "drained").length !== 1) await new Promise((r) => setTimeout(r, 20));
      assert.equal(podsOf(lab, "app", "drained").length, 1, "the terminating Pods were deleted after their drain");
    });

    await t.test("scaling and unreadiness change which Pods answer (programming latency reported)", async () => {
      const pods = podsOf(lab, "app", "probed");
      assert.equal(pods.length, 2);
      const victim = pods[0];
      const tEvent = new Promise<number>((resolve) => {
        const off = lab.caches.pods.subscribe((evs) => {
          for (const e of evs) if (e.object.metadata.name === victim.metadata.name && (e.object as Pod).status?.conditions?.some((c) => c.type === "Ready" && c.status === "False")) {
            off();
            resolve(performance.now());
          }
        });
      });
      const applied: number[] = [];
      const offSync = lab.onSync((_n, r) => applied.push(r.appliedAt));
      await probe.sh(victim.metadata.name!, ["curl", "-sS", "--max-time", "2", "-X", "POST", "--data", "fail", "http://127.0.0.1:8080/readiness"]);
      const te = await tEvent;
      // wait until the EndpointSlice change reached every node
      const end = Date.now() + 5000;
      while (Date.now() < end && (lab.proxies.some((p) => p.busy) || applied.filter((a) => a > te).length < lab.proxies.length)) await new Promise((r) => setTimeout(r, 5));
      offSync();
      const latest = Math.max(...applied.filter((a) => a > te));
      t.diagnostic(`unready Pod -> rules live on all ${lab.proxies.length} nodes: ${(latest - te).toFixed(1)} ms (target 100 ms)`);
      const answered = new Set(await probe.spread("egress-client", "http://probed/", 20));
      assert.deepEqual([...answered], [pods[1].metadata.name]);
      // scale frontend to 1: only that one answers my-service
      await lab.registry.patch({ kind: "Deployment", namespace: "default", name: "frontend" }, { spec: { replicas: 1 } });
      const end2 = Date.now() + 10_000;
      while (Date.now() < end2 && podsOf(lab, "tier", "frontend").length !== 1) await new Promise((r) => setTimeout(r, 20));
      while (Date.now() < end2 && lab.proxies.some((p) => p.busy)) await new Promise((r) => setTimeout(r, 5));
      const left = podsOf(lab, "tier", "frontend").map((p) => p.metadata.name);
      assert.equal(left.length, 1);
      assert.deepEqual([...new Set(await probe.spread("egress-client", "http://my-service/", 10))], left);
    });

    await lab.stop(true);
    await removeLab(systemRunner, name, lab.stateDir);
    assert.deepEqual(await listLabNamespaces(systemRunner, `nl-${name}-`), []);
    // no process of the lab remains (the runner's sleep included)
    const ps = await systemRunner.run("pgrep", ["-f", `nlt-${name}-runner`]);
    assert.equal(ps.stdout.trim(), "");
    assert.ok(!existsSync(lab.stateDir));
    assert.deepEqual(readdirSync("/etc/netns").filter((d) => d.startsWith(`nl-${name}-`)), []);
    assert.equal(await snapshotRootNamespace(systemRunner), before);
  });
}

for (const [podNetwork, proxyMode] of [
  ["routed", "iptables"],
  ["vxlan", "nftables"],
] as [PodNetworkMode, ProxyMode][]) {
  test(`e2e smoke ${proxyMode}+${podNetwork}: Service by name, NodePort, LoadBalancer`, { skip, timeout: 120_000 }, async (t) => {
    const { lab, probe } = await up(t, uniqueLabName(`s${proxyMode.slice(0, 1)}${podNetwork.slice(0, 1)}`), podNetwork, proxyMode);
    assert.equal(new Set(await probe.spread("egress-client", "http://my-service/", 30)).size, 3);
    assert.equal(String((await probe.curl("lan", `http://${lab.plan.nodes[2].ip}:30001/`)).port), "8080");
    const ip = (lab.caches.services.items.get("default/frontend-lb") as Service).status?.loadBalancer?.ingress?.[0]?.ip;
    assert.ok((await probe.curl("external", `http://${ip}/`)).pod);
    assert.equal((await probe.curl("egress-client", `http://${lab.plan.external.webIP}/`)).client, lab.plan.fabric.publicIP);
  });
}

test("e2e CLI: up --detach, kill -9 the daemon, up adopts the lab, down removes everything", { skip, timeout: 120_000 }, async (t) => {
  const name = uniqueLabName("cli");
  const home = await mkdtemp(`${tmpdir()}/nlt-home-`);
  const env = { ...process.env, NETLAB_HOME: home } as Record<string, string>;
  const cli = new URL("../cli/main.js", import.meta.url).pathname;
  t.after(async () => {
    await run([process.execPath, cli, "down", "--name", name], env, 30_000);
    await removeLab(systemRunner, name, `${home}/${name}`);
    await rm(home, { recursive: true, force: true });
  });
  const before = await snapshotRootNamespace(systemRunner);
  const up1 = await run([process.execPath, cli, "up", "-f", SEED, "--name", name, "--detach", "--pod-network", "routed"], env, 90_000);
  assert.equal(up1.code, 0, up1.stderr);
  assert.match(up1.stdout, new RegExp(`lab "${name}" ready in`));
  const st = JSON.parse((await run([process.execPath, cli, "status", "--name", name, "-o", "json"], env)).stdout) as { pid: number; pods: { ready: boolean; ip: string; name: string }[] };
  assert.ok(st.pods.length >= 20 && st.pods.every((p) => p.ready));
  process.kill(st.pid, "SIGKILL");
  await new Promise((r) => setTimeout(r, 200));
  // The Pods' namespaces survive the daemon; a new daemon adopts them (same Pod IPs).
  const up2 = await run([process.execPath, cli, "up", "-f", SEED, "--name", name, "--detach", "--pod-network", "routed"], env, 90_000);
  assert.equal(up2.code, 0, up2.stderr);
  const st2 = JSON.parse((await run([process.execPath, cli, "status", "--name", name, "-o", "json"], env)).stdout) as typeof st;
  assert.notEqual(st2.pid, st.pid);
  const ips = (s: typeof st) => Object.fromEntries(s.pods.map((p) => [p.name, p.ip]));
  assert.deepEqual(ips(st2), ips(st));
  const ex = await run([process.execPath, cli, "exec", "--name", name, "egress-client", "--", "curl", "-sS", "--max-time", "3", "http://my-service/"], env);
  assert.equal(ex.code, 0, ex.stderr);
  assert.ok(JSON.parse(ex.stdout).pod);
  process.kill(st2.pid, "SIGKILL");
  await new Promise((r) => setTimeout(r, 200));
  const down = await run([process.execPath, cli, "down", "--name", name], env, 30_000);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(await listLabNamespaces(systemRunner, `nl-${name}-`), []);
  assert.ok(!existsSync(`${home}/${name}`));
  assert.equal(await snapshotRootNamespace(systemRunner), before);
});
