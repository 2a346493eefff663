import { test } from "node:test";
import assert from "node:assert/strict";
import type { Service } from "../api/types.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";
import { planLab } from "./address-plan.js";
import { RecordingRunner } from "./exec.js";
import { ExternalIPRouter, externalRouteLines, fabricRouteLines, parseOwnRoutes, planExternalIPRoutes } from "./external-ip-routes.js";

const plan = planLab({ lab: "t", nodes: 2, settings: DEFAULT_SETTINGS, podNetwork: "routed" });
const svc = (name: string, externalIPs: string[], lbIP?: string): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default" },
  spec: { type: lbIP ? "LoadBalancer" : "ClusterIP", externalIPs, ports: [{ port: 8000 }] },
  status: lbIP ? { loadBalancer: { ingress: [{ ip: lbIP }] } } : undefined,
});

test("externalIPs are routed to every node; the lab's own and LoadBalancer addresses are not", () => {
  const p = planExternalIPRoutes(
    [svc("legacy-api", ["198.51.100.200", "192.0.2.7"]), svc("lb", [], "198.51.100.2"), svc("bad", ["198.51.100.1", "198.51.100.2", "172.18.0.2", "203.0.113.10", "10.244.1.5", "2001:db8::1"])],
    plan,
  );
  assert.deepEqual(p.ips, ["192.0.2.7", "198.51.100.200"]);
  assert.deepEqual(
    p.skipped.map((s) => `${s.ip}: ${s.reason}`),
    ["198.51.100.1: an address of the fabric", "198.51.100.2: a LoadBalancer address", "172.18.0.2: in the node network", "203.0.113.10: in the external network", "10.244.1.5: in the cluster CIDR"],
  );
  assert.deepEqual(fabricRouteLines(p.ips, plan), [
    "route replace 192.0.2.7/32 proto 77 nexthop via 172.18.0.2 dev br0 nexthop via 172.18.0.3 dev br0",
    "route replace 198.51.100.200/32 proto 77 nexthop via 172.18.0.2 dev br0 nexthop via 172.18.0.3 dev br0",
  ]);
  // 198.51.100.0/24 already goes from the internet to the fabric; 192.0.2.7 needs its own route.
  assert.deepEqual(externalRouteLines(p.ips, plan), ["route replace 192.0.2.7/32 proto 77 via 203.0.113.1"]);
});

test("a sync removes the routes of addresses no Service claims any more (also those of an earlier daemon)", async () => {
  const r = new RecordingRunner((c) => (c.args.includes("show") && c.args[1] === plan.fabric.netns ? { stdout: "198.51.100.9 proto 77 \n\tnexthop via 172.18.0.2 dev br0 weight 1 \n198.51.100.200 proto 77 \n" } : undefined));
  await new ExternalIPRouter(r, plan).sync([svc("legacy-api", ["198.51.100.200"])]);
  const fabricBatch = r.calls.find((c) => c.args[1] === plan.fabric.netns && c.args.includes("-batch"));
  assert.equal(fabricBatch?.input, "route del 198.51.100.9/32 proto 77\nroute replace 198.51.100.200/32 proto 77 nexthop via 172.18.0.2 dev br0 nexthop via 172.18.0.3 dev br0\n");
  assert.deepEqual(parseOwnRoutes("198.51.100.9 proto 77 \n\tnexthop via 172.18.0.2\n"), ["198.51.100.9"]);
});
