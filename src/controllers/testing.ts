// Builders for the controllers' tests: small objects with only the fields a test cares about.
import type { Node, Pod, Service } from "../api/types.js";

export function pod(name: string, o: {
  ns?: string;
  labels?: Record<string, string>;
  ip?: string;
  ready?: boolean;
  node?: string;
  phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  ports?: { name?: string; containerPort: number; protocol?: "TCP" | "UDP" }[];
  hostname?: string;
  subdomain?: string;
  deleting?: boolean;
  uid?: string;
  created?: string;
  owner?: { kind: string; name: string; uid: string };
} = {}): Pod {
  const p: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: o.ns ?? "default", uid: o.uid ?? `uid-${name}`, labels: o.labels ?? {} },
    spec: { containers: [{ name: "c", ports: o.ports }] },
    status: {},
  };
  if (o.created) p.metadata.creationTimestamp = o.created;
  if (o.owner) p.metadata.ownerReferences = [{ apiVersion: "apps/v1", ...o.owner, controller: true }];
  if (o.node) p.spec.nodeName = o.node;
  if (o.hostname) p.spec.hostname = o.hostname;
  if (o.subdomain) p.spec.subdomain = o.subdomain;
  if (o.deleting) p.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  p.status!.phase = o.phase ?? (o.ip ? "Running" : "Pending");
  if (o.ip) {
    p.status!.podIP = o.ip;
    p.status!.podIPs = [{ ip: o.ip }];
  }
  p.status!.conditions = [{ type: "Ready", status: o.ready === false || !o.ip ? "False" : "True" }];
  return p;
}

export function service(name: string, spec: Service["spec"], ns = "default"): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns, uid: `uid-svc-${name}` }, spec };
}

export function node(name: string, o: { labels?: Record<string, string>; unschedulable?: boolean; podCIDR?: string; notReady?: boolean } = {}): Node {
  const n: Node = { apiVersion: "v1", kind: "Node", metadata: { name, labels: o.labels ?? {} }, spec: {}, status: {} };
  if (o.unschedulable) n.spec!.unschedulable = true;
  if (o.podCIDR) n.spec!.podCIDR = o.podCIDR;
  n.status!.conditions = [{ type: "Ready", status: o.notReady ? "False" : "True" }];
  return n;
}
