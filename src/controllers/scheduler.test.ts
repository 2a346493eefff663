import { test } from "node:test";
import assert from "node:assert/strict";
import { schedulePod } from "./scheduler.js";
import { node, pod } from "./testing.js";

const nodes = [node("node-10"), node("node-2"), node("node-1", { labels: { disk: "ssd" } })];

test("table: placement", () => {
  const cases: { name: string; p: ReturnType<typeof pod>; existing: ReturnType<typeof pod>[]; nodes?: ReturnType<typeof node>[]; want: string }[] = [
    { name: "ties by natural name", p: pod("a"), existing: [], want: "node-1" },
    { name: "least loaded", p: pod("a"), existing: [pod("x", { node: "node-1" }), pod("y", { node: "node-2" })], want: "node-10" },
    { name: "finished Pods do not count", p: pod("a"), existing: [pod("x", { node: "node-1", phase: "Succeeded" })], want: "node-1" },
    { name: "nodeName respected", p: pod("a", { node: "node-2" }), existing: [pod("x", { node: "node-2" })], want: "node-2" },
    { name: "nodeSelector", p: { ...pod("a"), spec: { containers: [], nodeSelector: { disk: "ssd" } } }, existing: [pod("x", { node: "node-1" })], want: "node-1" },
    { name: "unschedulable skipped", p: pod("a"), existing: [], nodes: [node("node-1", { unschedulable: true }), node("node-2")], want: "node-2" },
    { name: "not ready skipped", p: pod("a"), existing: [], nodes: [node("node-1", { notReady: true }), node("node-2")], want: "node-2" },
  ];
  for (const c of cases) assert.deepEqual(schedulePod(c.p, c.nodes ?? nodes, c.existing), { node: c.want }, c.name);
});

test("spreads a batch evenly", () => {
  const placed: ReturnType<typeof pod>[] = [];
  for (let i = 0; i < 7; i++) {
    const r = schedulePod(pod(`p${i}`), nodes, placed);
    assert.ok("node" in r);
    placed.push(pod(`p${i}`, { node: r.node }));
  }
  assert.deepEqual(placed.map((p) => p.spec.nodeName), ["node-1", "node-2", "node-10", "node-1", "node-2", "node-10", "node-1"]);
});

test("replicas of one controller spread first, then overall load", () => {
  const owner = { kind: "ReplicaSet", name: "web", uid: "rs-1" };
  const existing = [
    pod("web-a", { node: "node-1", owner }),
    pod("x", { node: "node-2" }),
    pod("y", { node: "node-2" }),
    pod("z", { node: "node-10" }),
  ];
  // node-1 is the least loaded overall but already has a sibling.
  assert.deepEqual(schedulePod(pod("web-b", { owner }), nodes, existing), { node: "node-10" });
  // A Pod without a controller only looks at load.
  assert.deepEqual(schedulePod(pod("solo"), nodes, existing), { node: "node-1" });
});

test("no fitting node: upstream-style message", () => {
  const p = { ...pod("a"), spec: { containers: [], nodeSelector: { disk: "nvme" } } };
  assert.deepEqual(schedulePod(p, [node("n1"), node("n2", { unschedulable: true })], []), {
    error: "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable.",
  });
  assert.ok("error" in schedulePod(pod("a"), [], []));
});
