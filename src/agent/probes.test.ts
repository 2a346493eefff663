import { test } from "node:test";
import assert from "node:assert/strict";
import type { Container } from "../api/types.js";
import { probeCommand, resolveProbePort } from "./probes.js";

const c: Container = { name: "web", ports: [{ name: "http", containerPort: 8080 }] };
const t = { nodeNetns: "nl-x-node-1", podNetns: "nl-x-pod-1", podIP: "10.244.1.5", env: [{ name: "A", value: "1" }] };

test("probes run from the node (httpGet, tcpSocket) or in the Pod (exec), with named ports resolved", () => {
  assert.equal(resolveProbePort("http", c), 8080);
  assert.equal(resolveProbePort("nope", c), undefined);
  const h = probeCommand({ httpGet: { path: "healthz", port: "http" }, timeoutSeconds: 2 }, c, t);
  assert.ok(!("error" in h));
  assert.deepEqual(h.args.slice(0, 3), ["--net=/run/netns/nl-x-node-1", "--", "curl"]);
  assert.equal(h.args.at(-1), "http://10.244.1.5:8080/healthz");
  assert.ok(h.args.includes("2"));
  const tcp = probeCommand({ tcpSocket: { port: 8080 } }, c, t);
  assert.ok(!("error" in tcp) && tcp.args.at(-1) === "exec 3<>/dev/tcp/10.244.1.5/8080");
  const ex = probeCommand({ exec: { command: ["cat", "/tmp/ready"] } }, c, t);
  assert.ok(!("error" in ex));
  assert.deepEqual(ex.args, ["netns", "exec", "nl-x-pod-1", "timeout", "1", "env", "A=1", "cat", "/tmp/ready"]);
  assert.deepEqual(probeCommand({ httpGet: { port: "nope" } }, c, t), { error: 'invalid httpGet port "nope"' });
  assert.deepEqual(probeCommand({}, c, t), { error: "probe has no handler (httpGet, tcpSocket or exec)" });
});
