import { test } from "node:test";
import assert from "node:assert/strict";
import type { Service } from "../api/types.js";
import { planLoadBalancerRules, renderLoadBalancerTable } from "./cloud-lb.js";

const lb = (name: string, ip: string | undefined, ports: Service["spec"]["ports"]): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default" },
  spec: { type: "LoadBalancer", ports },
  status: { loadBalancer: { ingress: ip ? [{ ip }] : [] } },
});

test("the cloud load balancer DNATs each LoadBalancer address:port to a random node's NodePort", () => {
  const rules = planLoadBalancerRules([
    lb("frontend-lb", "198.51.100.2", [{ name: "http", port: 80, nodePort: 31000 }]),
    lb("pending", undefined, [{ port: 80, nodePort: 31001 }]),
    { apiVersion: "v1", kind: "Service", metadata: { name: "np" }, spec: { type: "NodePort", ports: [{ port: 80, nodePort: 30001 }] } },
  ]);
  assert.deepEqual(rules, [{ ip: "198.51.100.2", protocol: "tcp", port: 80, nodePort: 31000, comment: "default/frontend-lb:http" }]);
  assert.equal(
    renderLoadBalancerTable(rules, ["172.18.0.2", "172.18.0.3"]),
    [
      "table ip netlab-lb {}",
      "delete table ip netlab-lb",
      "table ip netlab-lb {",
      "  chain prerouting {",
      "    type nat hook prerouting priority dstnat; policy accept;",
      '    ip daddr 198.51.100.2 tcp dport 80 dnat ip to numgen random mod 2 map { 0 : 172.18.0.2 . 31000, 1 : 172.18.0.3 . 31000 } comment "default/frontend-lb:http"',
      "  }",
      "}",
      "",
    ].join("\n"),
  );
});
