// TestBuildServiceMap* from kubernetes/kubernetes pkg/proxy/iptables/proxier_test.go, on the
// planner: which service ports kube-proxy programs and which carry a health check node port.
// Inputs are written here from the upstream tests; the expected counts are upstream's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "./plan.js";
import { makeService, testInput } from "./test-fixtures.js";
import type { Protocol, Service, ServicePort } from "../api/types.js";

const port = (name: string, protocol: Protocol, p: number, nodePort: number, targetPort: number): ServicePort => ({ name, protocol, port: p, nodePort, targetPort });

/** Upstream's svcPortMap length and HealthCheckNodePorts() ("ns/name" -> port). */
function serviceMap(services: Service[]): { ports: number; healthCheckNodePorts: Record<string, number> } {
  const plan = planProxy(testInput(services, []));
  const hc: Record<string, number> = {};
  for (const sp of plan.services) if (sp.healthCheckNodePort) hc[`${sp.namespace}/${sp.name}`] = sp.healthCheckNodePort;
  return { ports: plan.services.length, healthCheckNodePorts: hc };
}

test("TestBuildServiceMapAddRemove", () => {
  const services = [
    makeService("somewhere-else", "cluster-ip", (s) => {
      s.spec.type = "ClusterIP";
      s.spec.clusterIP = "172.30.55.4";
      s.spec.ports = [port("something", "UDP", 1234, 4321, 0), port("somethingelse", "UDP", 1235, 5321, 0), port("sctpport", "SCTP", 1236, 6321, 0)];
    }),
    makeService("somewhere-else", "node-port", (s) => {
      s.spec.type = "NodePort";
      s.spec.clusterIP = "172.30.55.10";
      s.spec.ports = [port("blahblah", "UDP", 345, 678, 0), port("moreblahblah", "TCP", 344, 677, 0), port("muchmoreblah", "SCTP", 343, 676, 0)];
    }),
    makeService("somewhere", "load-balancer", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.clusterIP = "172.30.55.11";
      s.spec.loadBalancerIP = "1.2.3.4";
      s.spec.ports = [port("foobar", "UDP", 8675, 30061, 7000), port("baz", "UDP", 8676, 30062, 7001)];
      s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
    }),
    makeService("somewhere", "only-local-load-balancer", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.clusterIP = "172.30.55.12";
      s.spec.loadBalancerIP = "5.6.7.8";
      s.spec.ports = [port("foobar2", "UDP", 8677, 30063, 7002), port("baz", "UDP", 8678, 30064, 7003)];
      s.status = { loadBalancer: { ingress: [{ ip: "5.6.7.8" }] } };
      s.spec.externalTrafficPolicy = "Local";
      s.spec.healthCheckNodePort = 345;
    }),
  ];
  assert.deepEqual(serviceMap(services), { ports: 10, healthCheckNodePorts: { "somewhere/only-local-load-balancer": 345 } });

  // services[0] loses its first port; the other three are deleted.
  const oneService = makeService("somewhere-else", "cluster-ip", (s) => {
    s.spec.type = "ClusterIP";
    s.spec.clusterIP = "172.30.55.4";
    s.spec.ports = [port("somethingelse", "UDP", 1235, 5321, 0)];
  });
  assert.deepEqual(serviceMap([oneService]), { ports: 1, healthCheckNodePorts: {} });
});

test("TestBuildServiceMapServiceHeadless: headless Services are ignored", () => {
  const services = [
    makeService("somewhere-else", "headless", (s) => { s.spec.type = "ClusterIP"; s.spec.clusterIP = "None"; s.spec.ports = [port("rpc", "UDP", 1234, 0, 0)]; }),
    makeService("somewhere-else", "headless-without-port", (s) => { s.spec.type = "ClusterIP"; s.spec.clusterIP = "None"; }),
  ];
  assert.deepEqual(serviceMap(services), { ports: 0, healthCheckNodePorts: {} });
});

test("TestBuildServiceMapServiceTypeExternalName: ExternalName Services are ignored", () => {
  const svc = makeService("somewhere-else", "external-name", (s) => {
    s.spec.type = "ExternalName";
    s.spec.clusterIP = "172.30.55.4"; // should be ignored
    s.spec.externalName = "foo2.bar.com";
    s.spec.ports = [port("blah", "UDP", 1235, 5321, 0)];
  });
  assert.deepEqual(serviceMap([svc]), { ports: 0, healthCheckNodePorts: {} });
});

test("TestBuildServiceMapServiceUpdate: ClusterIP -> LoadBalancer (Local) -> ClusterIP", () => {
  const v1 = makeService("somewhere", "some-service", (s) => {
    s.spec.type = "ClusterIP";
    s.spec.clusterIP = "172.30.55.4";
    s.spec.ports = [port("something", "UDP", 1234, 4321, 0), port("somethingelse", "TCP", 1235, 5321, 0)];
  });
  const v2 = makeService("somewhere", "some-service", (s) => {
    s.spec.type = "LoadBalancer";
    s.spec.clusterIP = "172.30.55.4";
    s.spec.loadBalancerIP = "1.2.3.4";
    s.spec.ports = [port("something", "UDP", 1234, 4321, 7002), port("somethingelse", "TCP", 1235, 5321, 7003)];
    s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
    s.spec.externalTrafficPolicy = "Local";
    s.spec.healthCheckNodePort = 345;
  });
  assert.deepEqual(serviceMap([v1]), { ports: 2, healthCheckNodePorts: {} });
  assert.deepEqual(serviceMap([v2]), { ports: 2, healthCheckNodePorts: { "somewhere/some-service": 345 } });
  // (Upstream repeats the updates to exercise its change tracker; a plan is computed whole, so
  // the same input gives the same map and a repeat could not fail here.)
});
