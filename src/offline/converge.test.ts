import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Endpoints, EndpointSlice, KubeObject, Node, Pod, Service } from "../api/types.js";
import { loadManifestPaths } from "../api/decode.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { convergeCluster, type ConvergedCluster } from "./converge.js";

const SEED = fileURLToPath(new URL("../../examples/seed", import.meta.url));

let cached: Promise<{ cluster: ConvergedCluster; input: KubeObject[] }> | undefined;
function seedCluster() {
  cached ??= (async () => {
    const r = await loadManifestPaths([SEED]);
    assert.deepEqual(r.errors, []);
    return { cluster: await convergeCluster(r.objects, { settings: DEFAULT_SETTINGS, nodes: 2 }), input: r.objects };
  })();
  return cached;
}

function slicesOf(c: ConvergedCluster, ns: string, svc: string): EndpointSlice[] {
  return (c.byKind("EndpointSlice") as EndpointSlice[]).filter((s) => s.metadata.namespace === ns && s.metadata.labels?.["kubernetes.io/service-name"] === svc);
}

test("seed: converges without errors; nodes get podCIDRs and every Pod runs with an IP from its node", async () => {
  const { cluster } = await seedCluster();
  assert.deepEqual(cluster.errors, []);
  const nodes = cluster.byKind("Node") as Node[];
  assert.deepEqual(
    nodes.map((n) => [n.metadata.name, n.spec?.podCIDR, n.status?.addresses?.find((a) => a.type === "InternalIP")?.address]),
    [
      ["node-1", "10.244.1.0/24", "172.18.0.2"],
      ["node-2", "10.244.2.0/24", "172.18.0.3"],
    ],
  );
  const pods = cluster.byKind("Pod") as Pod[];
  assert.ok(pods.length >= 20);
  const ips = new Set<string>();
  for (const p of pods) {
    assert.equal(p.status?.phase, "Running", p.metadata.name);
    assert.ok(p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"), p.metadata.name);
    const ip = p.status!.podIP!;
    if (p.spec.hostNetwork) {
      assert.equal(ip, p.status?.hostIP);
      continue;
    }
    const n = Number(p.spec.nodeName!.replace("node-", ""));
    assert.match(ip, new RegExp(`^10\\.244\\.${n}\\.\\d+$`), `${p.metadata.name} on ${p.spec.nodeName}`);
    assert.ok(Number(ip.split(".")[3]) >= 2, "pods start at .2");
    assert.ok(!ips.has(ip), `duplicate IP ${ip}`);
    ips.add(ip);
  }
});

test("seed: my-service has two named ports and 3 ready endpoints on 8080/8081", async () => {
  const { cluster } = await seedCluster();
  const ep = cluster.get("Endpoints", "default", "my-service") as Endpoints;
  assert.equal(ep.subsets?.length, 1);
  const ss = ep.subsets![0];
  assert.equal(ss.addresses?.length, 3);
  assert.equal(ss.notReadyAddresses, undefined);
  assert.deepEqual(ss.ports!.map((p) => `${p.name}:${p.port}`).sort(), ["http:8080", "https:8081"]);
  for (const a of ss.addresses!) {
    assert.equal(a.targetRef?.kind, "Pod");
    assert.match(a.targetRef!.name!, /^frontend-[a-z0-9]+-[a-z0-9]{5}$/);
    assert.ok(a.nodeName);
  }
  const slices = slicesOf(cluster, "default", "my-service");
  assert.equal(slices.length, 1);
  assert.equal(slices[0].metadata.labels?.["endpointslice.kubernetes.io/managed-by"], "endpointslice-controller.k8s.io");
  assert.match(slices[0].metadata.name!, /^my-service-[a-z0-9]{5}$/);
  assert.equal(slices[0].endpoints.length, 3);
  assert.ok(slices[0].endpoints.every((e) => e.conditions?.ready === true));
  assert.deepEqual(slices[0].ports!.map((p) => `${p.name}:${p.port}`).sort(), ["http:8080", "https:8081"]);
  // legacy-api's named targetPort "http" resolves to 8080 on the same Pods.
  const legacy = cluster.get("Endpoints", "default", "legacy-api") as Endpoints;
  assert.deepEqual(legacy.subsets!.map((s) => [s.addresses!.length, s.ports!.map((p) => p.port)]), [[3, [8080]]]);
});

test("seed: db-0..2 with hostnames under the headless service db; foo.bar", async () => {
  const { cluster } = await seedCluster();
  for (const i of [0, 1, 2]) {
    const p = cluster.get("Pod", "default", `db-${i}`) as Pod;
    assert.equal(p.spec.hostname, `db-${i}`);
    assert.equal(p.spec.subdomain, "db");
  }
  const ep = cluster.get("Endpoints", "default", "db") as Endpoints;
  assert.deepEqual(ep.subsets![0].addresses!.map((a) => a.hostname).sort(), ["db-0", "db-1", "db-2"]);
  assert.equal(ep.metadata.labels?.["service.kubernetes.io/headless"], "");
  assert.equal(ep.metadata.labels?.["endpoints.kubernetes.io/managed-by"], "endpoint-controller");
  const bar = cluster.get("Endpoints", "default", "bar") as Endpoints;
  assert.deepEqual(bar.subsets![0].addresses!.map((a) => a.hostname), ["foo"]);
  assert.deepEqual(slicesOf(cluster, "default", "bar")[0].endpoints.map((e) => e.hostname), ["foo"]);
  assert.equal((cluster.get("Service", "default", "db") as Service).spec.clusterIP, "None");
});

test("seed: external-db's hand-written Endpoints untouched and mirrored", async () => {
  const { cluster, input } = await seedCluster();
  const given = input.find((o) => o.kind === "Endpoints" && o.metadata.name === "external-db") as Endpoints;
  const ep = cluster.get("Endpoints", "default", "external-db") as Endpoints;
  // As given (plus the API's defaulting of the port protocol).
  assert.deepEqual(ep.subsets, given.subsets!.map((ss) => ({ ...ss, ports: ss.ports!.map((p) => ({ ...p, protocol: "TCP" })) })));
  assert.equal(ep.metadata.resourceVersion !== undefined, true);
  assert.equal(ep.metadata.generation, 1, "never rewritten");
  assert.equal(ep.metadata.labels, undefined, "not marked as the controller's");
  const slices = slicesOf(cluster, "default", "external-db");
  assert.equal(slices.length, 1);
  assert.equal(slices[0].metadata.labels?.["endpointslice.kubernetes.io/managed-by"], "endpointslicemirroring-controller.k8s.io");
  assert.deepEqual(slices[0].endpoints.map((e) => e.addresses), [["203.0.113.42"]]);
  assert.deepEqual(slices[0].ports, [{ name: "", protocol: "TCP", port: 9376 }]);
});

test("seed: NodePort 30001 kept; the LoadBalancer has a pool address; ExternalName has no endpoints", async () => {
  const { cluster } = await seedCluster();
  const np = cluster.get("Service", "default", "frontend-nodeport") as Service;
  assert.equal(np.spec.ports![0].nodePort, 30001);
  const lb = cluster.get("Service", "default", "frontend-lb") as Service;
  const ip = lb.status?.loadBalancer?.ingress?.[0]?.ip;
  assert.match(ip ?? "", /^198\.51\.100\.(\d+)$/);
  assert.ok(Number(ip!.split(".")[3]) >= 2);
  assert.notEqual(ip, "198.51.100.200", "the externalIP of legacy-api is never handed out");
  assert.ok(lb.spec.ports![0].nodePort! >= 30000 && lb.spec.ports![0].nodePort! <= 32767);
  assert.equal((cluster.get("Service", "default", "legacy-api") as Service).spec.clusterIP, "10.96.100.100");
  assert.equal(cluster.get("Endpoints", "prod", "my-service"), undefined);
  assert.equal(slicesOf(cluster, "prod", "my-service").length, 0);
});

test("seed: sock-shop front-end has 4 endpoints", async () => {
  const { cluster } = await seedCluster();
  const ep = cluster.get("Endpoints", "sock-shop", "front-end") as Endpoints;
  assert.equal(ep.subsets![0].addresses!.length, 4);
  assert.deepEqual(ep.subsets![0].ports, [{ name: "http", port: 8079, protocol: "TCP" }]);
  assert.equal(slicesOf(cluster, "sock-shop", "front-end")[0].endpoints.length, 4);
  // The Pods spread over both nodes.
  assert.deepEqual([...new Set(ep.subsets![0].addresses!.map((a) => a.nodeName))].sort(), ["node-1", "node-2"]);
});

test("seed: Deployments own ReplicaSets with pod-template-hash, revision and status", async () => {
  const { cluster } = await seedCluster();
  const d = cluster.get("Deployment", "default", "frontend")!;
  assert.equal(d.metadata.annotations?.["deployment.kubernetes.io/revision"], "1");
  assert.deepEqual((d.status as { availableReplicas?: number }).availableReplicas, 3);
  const rs = cluster.byKind("ReplicaSet").filter((r) => r.metadata.ownerReferences?.[0]?.name === "frontend");
  assert.equal(rs.length, 1);
  const hash = rs[0].metadata.labels?.["pod-template-hash"];
  assert.equal(rs[0].metadata.name, `frontend-${hash}`);
  const pods = (cluster.byKind("Pod") as Pod[]).filter((p) => p.metadata.ownerReferences?.[0]?.uid === rs[0].metadata.uid);
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => p.metadata.labels?.["pod-template-hash"] === hash && p.metadata.ownerReferences?.[0]?.controller === true));
});

test("output identical across two runs", async () => {
  const { cluster, input } = await seedCluster();
  const again = await convergeCluster(input, { settings: DEFAULT_SETTINGS, nodes: 2 });
  assert.equal(JSON.stringify(again.objects), JSON.stringify(cluster.objects));
});

test("Nodes in the input replace the generated ones; settings flags apply", async () => {
  const node: Node = { apiVersion: "v1", kind: "Node", metadata: { name: "worker-a" }, status: { addresses: [{ type: "InternalIP", address: "192.168.1.10" }] } };
  const pod: Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x" }] } };
  const c = await convergeCluster([node, pod], { settings: { ...DEFAULT_SETTINGS, clusterCIDR: "10.100.0.0/16" }, nodes: 3 });
  assert.deepEqual(c.errors, []);
  assert.deepEqual(c.byKind("Node").map((n) => n.metadata.name), ["worker-a"]);
  const p = c.get("Pod", "default", "p") as Pod;
  assert.equal(p.spec.nodeName, "worker-a");
  assert.equal(p.status?.podIP, "10.100.1.2");
});

test("refused objects are reported, the rest converges", async () => {
  const bad: Service = { apiVersion: "v1", kind: "Service", metadata: { name: "bad" }, spec: { clusterIP: "1.1.1.1", ports: [{ port: 80 }] } };
  const c = await convergeCluster([bad], { settings: DEFAULT_SETTINGS, nodes: 1 });
  assert.equal(c.errors.length, 1);
  assert.match(c.errors[0], /^error when creating Service "default\/bad": Service "bad" is invalid: .*failed to allocate IP 1\.1\.1\.1/);
  assert.equal(c.get("Service", "default", "bad"), undefined);
});
