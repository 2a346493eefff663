import { test } from "node:test";
import assert from "node:assert/strict";
import type { DaemonSet, Deployment, Pod, ReplicaSet, StatefulSet } from "../api/types.js";
import { planDeployment, resolveFenceposts, revisionOf, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from "./deployment.js";
import { planReplicaSet, comparePodsForDeletion } from "./replicaset.js";
import { planStatefulSet } from "./statefulset.js";
import { planDaemonSet } from "./daemonset.js";
import { seededRandom } from "./random.js";
import { node, pod } from "./testing.js";

const NOW = new Date("2026-01-01T00:00:00Z");

function deployment(replicas: number, image = "nginx:1", strategy?: Deployment["spec"]["strategy"], extra: Partial<Deployment["spec"]> = {}): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", uid: "uid-web", generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image }] } },
      strategy,
      ...extra,
    },
  };
}

test("fenceposts: surge rounds up, unavailable down, never both zero", () => {
  const cases: [number, string | number | undefined, string | number | undefined, number, number][] = [
    [10, undefined, undefined, 3, 2],
    [4, undefined, undefined, 1, 1],
    [1, undefined, undefined, 1, 0],
    [3, "50%", "50%", 2, 1],
    [5, 0, 0, 0, 1],
    [5, 2, "0%", 2, 0],
  ];
  for (const [replicas, maxSurge, maxUnavailable, s, u] of cases) {
    const d = deployment(replicas, "x", { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } });
    assert.deepEqual(resolveFenceposts(d), { maxSurge: s, maxUnavailable: u }, `${replicas} ${maxSurge} ${maxUnavailable}`);
  }
});

/** Simulates the ReplicaSet controller and kubelet: every RS instantly has spec.replicas ready Pods. */
function settle(rss: ReplicaSet[], readyUpTo?: Map<string, number>): ReplicaSet[] {
  return rss.map((rs) => {
    const n = rs.spec.replicas ?? 1;
    const ready = Math.min(n, readyUpTo?.get(rs.metadata.name!) ?? n);
    return { ...rs, status: { replicas: n, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation ?? 0 } };
  });
}

function step(d: Deployment, rss: ReplicaSet[], t = 0): { rss: ReplicaSet[]; d: Deployment } {
  const plan = planDeployment(d, rss, NOW);
  let next = rss.filter((rs) => !plan.delete.includes(rs)).map((rs) => plan.update.find((u) => u.metadata.name === rs.metadata.name) ?? rs);
  if (plan.create) next = [...next, { ...plan.create, metadata: { ...plan.create.metadata, uid: `uid-${plan.create.metadata.name}`, creationTimestamp: `2026-01-01T00:00:${String(t).padStart(2, "0")}Z` } }];
  return { rss: next, d: { ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, ...plan.annotations } }, status: plan.status } };
}

test("first sync creates <name>-<hash> with the hash label, selector and revision 1", () => {
  const d = deployment(3);
  const plan = planDeployment(d, [], NOW);
  const rs = plan.create!;
  const hash = rs.metadata.labels![POD_TEMPLATE_HASH_LABEL];
  assert.equal(rs.metadata.name, `web-${hash}`);
  assert.equal(rs.spec.replicas, 3);
  assert.deepEqual(rs.spec.selector.matchLabels, { app: "web", [POD_TEMPLATE_HASH_LABEL]: hash });
  assert.deepEqual(rs.spec.template.metadata!.labels, { app: "web", [POD_TEMPLATE_HASH_LABEL]: hash });
  assert.equal(rs.metadata.annotations![REVISION_ANNOTATION], "1");
  assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "uid-web", controller: true, blockOwnerDeletion: true }]);
  assert.equal(plan.annotations[REVISION_ANNOTATION], "1");
  // The same template gives the same name; another template another one.
  assert.equal(planDeployment(deployment(3), [], NOW).create!.metadata.name, rs.metadata.name);
  assert.notEqual(planDeployment(deployment(3, "nginx:2"), [], NOW).create!.metadata.name, rs.metadata.name);
});

test("rolling update 10 replicas, 25%/25%: bounded steps to completion", () => {
  let { rss, d } = step(deployment(10), [], 0);
  rss = settle(rss);
  d = { ...deployment(10, "nginx:2"), metadata: d.metadata, status: d.status };
  const trace: string[] = [];
  for (let t = 1; t < 40; t++) {
    const r = step(d, rss, t);
    rss = settle(r.rss);
    d = r.d;
    const sizes = [...rss].sort((a, b) => revisionOf(a) - revisionOf(b)).map((rs) => rs.spec.replicas ?? 1);
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.ok(total <= 13, `surge exceeded at step ${t}: ${sizes}`);
    const avail = rss.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    assert.ok(avail >= 8, `availability below minimum at step ${t}`);
    trace.push(sizes.join("/"));
    if (sizes.join("/") === "0/10") break;
  }
  assert.deepEqual(trace, ["10/3", "5/3", "5/8", "0/8", "0/10"]);
  assert.deepEqual(rss.map((rs) => rs.metadata.annotations![REVISION_ANNOTATION]).sort(), ["1", "2"]);
  const final = step(d, rss, 50).d;
  assert.equal(final.status!.conditions!.find((c) => c.type === "Progressing")!.reason, "NewReplicaSetAvailable");
  assert.equal(final.status!.updatedReplicas, 10);
});

test("rolling update waits while new Pods are not available", () => {
  let { rss, d } = step(deployment(4), [], 0);
  rss = settle(rss);
  d = { ...deployment(4, "nginx:2"), metadata: d.metadata };
  const r1 = step(d, rss, 1); // new RS created with 1 (surge 1)
  const newName = r1.rss.find((rs) => rs.spec.template.spec.containers[0].image === "nginx:2")!.metadata.name!;
  rss = settle(r1.rss, new Map([[newName, 0]]));
  const r2 = step(r1.d, rss, 2); // old scaled down by maxUnavailable=1 only
  rss = settle(r2.rss, new Map([[newName, 0]]));
  // Surge room is used even while new Pods are unavailable (upstream does too) ...
  const r3 = step(r2.d, rss, 3);
  assert.deepEqual(r3.rss.map((rs) => rs.spec.replicas), [3, 2]);
  rss = settle(r3.rss, new Map([[newName, 0]]));
  // ... but then nothing more goes down until they become available.
  const r4 = step(r3.d, rss, 4);
  assert.deepEqual(r4.rss.map((rs) => rs.spec.replicas), [3, 2], "no progress without availability");
  rss = settle(r4.rss);
  assert.deepEqual(step(r4.d, rss, 5).rss.map((rs) => rs.spec.replicas), [1, 2]);
});

test("Recreate: old down to zero first, then the new one up", () => {
  let { rss, d } = step(deployment(3, "a", { type: "Recreate" }), [], 0);
  rss = settle(rss);
  d = { ...deployment(3, "b", { type: "Recreate" }), metadata: d.metadata };
  const seq: string[] = [];
  for (let t = 1; t < 6; t++) {
    const r = step(d, rss, t);
    rss = settle(r.rss);
    d = r.d;
    seq.push([...rss].sort((a, b) => revisionOf(a) - revisionOf(b)).map((rs) => rs.spec.replicas).join("/"));
  }
  assert.deepEqual(seq.slice(0, 3), ["0", "0/3", "0/3"]);
});

test("rollback reuses the old ReplicaSet with a new revision; history is trimmed", () => {
  let d = deployment(1, "v1", undefined, { revisionHistoryLimit: 1 });
  let rss: ReplicaSet[] = [];
  let t = 0;
  const rollTo = (image: string) => {
    d = { ...deployment(1, image, undefined, { revisionHistoryLimit: 1 }), metadata: d.metadata, status: d.status };
    for (let i = 0; i < 10; i++) {
      const r = step(d, rss, t++);
      rss = settle(r.rss);
      d = r.d;
    }
  };
  rollTo("v1");
  const v1Name = rss[0].metadata.name;
  rollTo("v2");
  rollTo("v1");
  const v1 = rss.find((rs) => rs.metadata.name === v1Name)!;
  assert.equal(revisionOf(v1), 3);
  assert.equal(v1.metadata.annotations!["deployment.kubernetes.io/revision-history"], "1");
  assert.equal(v1.spec.replicas, 1);
  assert.equal(d.metadata.annotations![REVISION_ANNOTATION], "3");
  rollTo("v3");
  // limit 1: v3 (new) + one old (v1, the newest old) remain; v2 was cleaned up.
  assert.deepEqual(rss.map((rs) => rs.spec.template.spec.containers[0].image).sort(), ["v1", "v3"]);
});

test("kubectl rollout undo's template (creationTimestamp: null, resources: {}) finds the old ReplicaSet", () => {
  let { rss, d } = step(deployment(1, "v1"), [], 0);
  rss = settle(rss);
  const noisy = deployment(1, "v1");
  (noisy.spec.template.metadata as Record<string, unknown>).creationTimestamp = null;
  (noisy.spec.template.spec.containers[0] as unknown as Record<string, unknown>).resources = {};
  const plan = planDeployment({ ...noisy, metadata: d.metadata }, rss, NOW);
  assert.equal(plan.create, undefined);
});

test("scaling a settled Deployment scales its ReplicaSet", () => {
  let { rss, d } = step(deployment(2), [], 0);
  rss = settle(rss);
  d = { ...deployment(5), metadata: d.metadata };
  const r = step(d, rss, 1);
  assert.deepEqual(r.rss.map((rs) => rs.spec.replicas), [5]);
});

test("scaling mid-rollout resizes every active ReplicaSet in proportion (upstream scale)", () => {
  const rs = (name: string, size: number, revision: string, created: string, image: string): ReplicaSet => ({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      creationTimestamp: created,
      ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "uid-web", controller: true }],
      annotations: { [REVISION_ANNOTATION]: revision, "deployment.kubernetes.io/desired-replicas": "10", "deployment.kubernetes.io/max-replicas": "13" },
    },
    spec: { replicas: size, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image }] } } },
    status: { replicas: size, availableReplicas: size, readyReplicas: size },
  });
  const old = rs("web-old", 8, "1", "2026-01-01T00:00:00Z", "v1");
  const nu = rs("web-new", 5, "2", "2026-01-01T00:01:00Z", "v2");
  const d = deployment(15, "v2");
  const plan = planDeployment(d, [old, nu], NOW);
  assert.equal(plan.create, undefined);
  const sizes = Object.fromEntries(plan.update.map((r) => [r.metadata.name, r.spec.replicas]));
  // allowed = 15 + ceil(25% of 15) = 19, six more: round(8*19/13)-8 = 4 and round(5*19/13)-5 = 2.
  assert.deepEqual(sizes, { "web-old": 12, "web-new": 7 });
  assert.ok(plan.update.every((r) => r.metadata.annotations!["deployment.kubernetes.io/desired-replicas"] === "15"));
  // Next sync: no longer a scaling event, the rollout continues.
  const next = planDeployment(d, plan.update.map((r) => ({ ...r, status: { replicas: r.spec.replicas!, availableReplicas: r.spec.replicas!, readyReplicas: r.spec.replicas! } })), NOW);
  // 19 Pods, at least 15 - 3 available: the old one can lose 7.
  assert.deepEqual(Object.fromEntries(next.update.map((r) => [r.metadata.name, r.spec.replicas])), { "web-old": 5 });
  // Scaling down shrinks the larger (older on ties) first.
  const down = planDeployment(deployment(5, "v2"), [old, nu], NOW);
  const total = down.update.reduce((n, r) => n + r.spec.replicas!, 0);
  assert.equal(total, 5 + 2);
});

// ------------------------------------------------------------------ ReplicaSet

function replicaSet(replicas: number): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "web-abc", namespace: "default", uid: "uid-rs", generation: 2 },
    spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c" }] } } },
  };
}

test("ReplicaSet creates named, owned Pods from its template", () => {
  const plan = planReplicaSet(replicaSet(3), [], seededRandom(1), NOW);
  assert.equal(plan.create.length, 3);
  for (const p of plan.create) {
    assert.match(p.metadata.name!, /^web-abc-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(p.metadata.generateName, "web-abc-");
    assert.deepEqual(p.metadata.labels, { app: "web" });
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-abc", uid: "uid-rs", controller: true, blockOwnerDeletion: true }]);
  }
  assert.equal(new Set(plan.create.map((p) => p.metadata.name)).size, 3);
  assert.deepEqual(plan.status, { replicas: 0, observedGeneration: 2 });
});

test("ReplicaSet deletes the least valuable Pods first and reports status", () => {
  const pods: Pod[] = [
    pod("ready-old", { labels: { app: "web" }, ip: "10.0.0.1", node: "n", created: "2026-01-01T00:00:00Z" }),
    pod("ready-new", { labels: { app: "web" }, ip: "10.0.0.2", node: "n", created: "2026-01-01T00:00:05Z" }),
    pod("unready", { labels: { app: "web" }, ip: "10.0.0.3", node: "n", ready: false }),
    pod("unscheduled", { labels: { app: "web" } }),
    pod("done", { labels: { app: "web" }, ip: "10.0.0.4", node: "n", phase: "Succeeded" }),
  ];
  const plan = planReplicaSet(replicaSet(1), pods, seededRandom(1), NOW);
  assert.deepEqual(plan.delete.map((p) => p.metadata.name), ["unscheduled", "unready", "ready-new"]);
  assert.deepEqual(plan.status, { replicas: 4, fullyLabeledReplicas: 4, readyReplicas: 2, availableReplicas: 2, observedGeneration: 2 });
  assert.ok(comparePodsForDeletion(pods[3], pods[0]) < 0);
});

test("ReplicaSet with minReadySeconds: Ready Pods count as available only after it, with a recheck time", () => {
  const rs = replicaSet(2);
  rs.spec.minReadySeconds = 10;
  const readyAt = (name: string, t: string): Pod => {
    const p = pod(name, { labels: { app: "web" }, ip: "10.0.0.1", node: "n" });
    p.status!.conditions = [{ type: "Ready", status: "True", lastTransitionTime: t }];
    return p;
  };
  const plan = planReplicaSet(rs, [readyAt("old", "2025-12-31T23:59:00Z"), readyAt("new", "2025-12-31T23:59:56Z")], seededRandom(1), NOW);
  assert.equal(plan.status.readyReplicas, 2);
  assert.equal(plan.status.availableReplicas, 1);
  assert.equal(plan.recheckAfterMs, 6000);
});

// ------------------------------------------------------------------ StatefulSet

function statefulSet(replicas: number, policy?: "OrderedReady" | "Parallel"): StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", namespace: "default", uid: "uid-db", generation: 1 },
    spec: { replicas, serviceName: "db", podManagementPolicy: policy, selector: { matchLabels: { app: "db" } }, template: { metadata: { labels: { app: "db" } }, spec: { containers: [{ name: "c" }] } } },
  };
}

function runAll(p: Pod, ordinalReady = true): Pod {
  return { ...p, metadata: { ...p.metadata, uid: `uid-${p.metadata.name}` }, status: { phase: "Running", podIP: "10.0.0.1", conditions: [{ type: "Ready", status: ordinalReady ? "True" : "False" }] } };
}

test("StatefulSet OrderedReady: one at a time, each after the previous is Ready", () => {
  const sts = statefulSet(3);
  let pods: Pod[] = [];
  const p1 = planStatefulSet(sts, pods);
  assert.deepEqual(p1.create.map((p) => p.metadata.name), ["db-0"]);
  const db0 = p1.create[0];
  assert.equal(db0.spec.hostname, "db-0");
  assert.equal(db0.spec.subdomain, "db");
  assert.equal(db0.metadata.labels!["statefulset.kubernetes.io/pod-name"], "db-0");
  assert.equal(db0.metadata.labels!["apps.kubernetes.io/pod-index"], "0");
  assert.match(db0.metadata.labels!["controller-revision-hash"], /^db-[a-z0-9]+$/);
  pods = [runAll(db0, false)];
  assert.deepEqual(planStatefulSet(sts, pods).create, [], "waits for db-0 to be Ready");
  pods = [runAll(db0)];
  assert.deepEqual(planStatefulSet(sts, pods).create.map((p) => p.metadata.name), ["db-1"]);
});

test("StatefulSet Parallel creates all; scale down removes the highest ordinals", () => {
  const created = planStatefulSet(statefulSet(3, "Parallel"), []).create;
  assert.deepEqual(created.map((p) => p.metadata.name), ["db-0", "db-1", "db-2"]);
  const pods = created.map((p) => runAll(p));
  assert.deepEqual(planStatefulSet(statefulSet(1), pods).delete.map((p) => p.metadata.name), ["db-2"]);
  assert.deepEqual(planStatefulSet(statefulSet(1, "Parallel"), pods).delete.map((p) => p.metadata.name), ["db-2", "db-1"]);
  const st = planStatefulSet(statefulSet(3), pods).status;
  assert.equal(st.replicas, 3);
  assert.equal(st.readyReplicas, 3);
  assert.equal(st.currentRevision, st.updateRevision);
});

test("StatefulSet revision does not change when status first records collisionCount 0", () => {
  const pods = planStatefulSet(statefulSet(2, "Parallel"), []).create.map((p) => runAll(p));
  const withStatus = statefulSet(2, "Parallel");
  withStatus.status = { replicas: 2, collisionCount: 0 } as StatefulSet["status"];
  assert.deepEqual(planStatefulSet(withStatus, pods).delete, []);
});

test("StatefulSet rolling update replaces the highest outdated Pod first", () => {
  const pods = planStatefulSet(statefulSet(3, "Parallel"), []).create.map((p) => runAll(p));
  const changed = statefulSet(3);
  changed.spec.template.spec.containers[0].image = "new";
  assert.deepEqual(planStatefulSet(changed, pods).delete.map((p) => p.metadata.name), ["db-2"]);
});

// ------------------------------------------------------------------ DaemonSet

test("DaemonSet: one Pod per matching node, nodeName set, extras and misplaced removed", () => {
  const ds: DaemonSet = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent", namespace: "kube-system", uid: "uid-ds", generation: 1 },
    spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "c" }], nodeSelector: { role: "worker" } } } },
  };
  const nodes = [node("node-1", { labels: { role: "worker" } }), node("node-2", { labels: { role: "worker" }, unschedulable: true }), node("node-3")];
  const plan = planDaemonSet(ds, nodes, [], seededRandom(1));
  assert.deepEqual(plan.create.map((p) => p.spec.nodeName), ["node-1", "node-2"]);
  assert.match(plan.create[0].metadata.name!, /^agent-[a-z0-9]{5}$/);
  assert.equal(plan.status.desiredNumberScheduled, 2);
  const existing = [
    pod("agent-a", { node: "node-1", ip: "10.0.0.1", created: "2026-01-01T00:00:00Z" }),
    pod("agent-b", { node: "node-1", ip: "10.0.0.2", created: "2026-01-01T00:00:01Z" }),
    pod("agent-c", { node: "node-3", ip: "10.0.0.3" }),
  ];
  const plan2 = planDaemonSet(ds, nodes, existing, seededRandom(1));
  assert.deepEqual(plan2.delete.map((p) => p.metadata.name).sort(), ["agent-b", "agent-c"]);
  assert.deepEqual(plan2.create.map((p) => p.spec.nodeName), ["node-2"]);
  assert.equal(plan2.status.numberMisscheduled, 1);
  assert.equal(plan2.status.currentNumberScheduled, 1);
});
