import { test } from "node:test";
import assert from "node:assert/strict";
import { applyDefaults } from "./defaults.js";
import type { KubeObject } from "./types.js";

const obj = (kind: string, apiVersion: string, body: Record<string, unknown>): KubeObject => ({ apiVersion, kind, metadata: { name: "x" }, ...body });

test("Service defaults as the API server applies them", () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    [
      "ClusterIP",
      { ports: [{ port: 80 }] },
      {
        ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
        type: "ClusterIP",
        sessionAffinity: "None",
        internalTrafficPolicy: "Cluster",
        ipFamilyPolicy: "SingleStack",
        ipFamilies: ["IPv4"],
      },
    ],
    [
      "NodePort with ClientIP affinity",
      { type: "NodePort", sessionAffinity: "ClientIP", ports: [{ port: 53, protocol: "UDP", targetPort: "dns" }] },
      {
        type: "NodePort",
        sessionAffinity: "ClientIP",
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        ports: [{ port: 53, protocol: "UDP", targetPort: "dns" }],
        externalTrafficPolicy: "Cluster",
        internalTrafficPolicy: "Cluster",
        ipFamilyPolicy: "SingleStack",
        ipFamilies: ["IPv4"],
      },
    ],
    [
      "LoadBalancer",
      { type: "LoadBalancer", ports: [{ port: 443, targetPort: 0 }] },
      {
        type: "LoadBalancer",
        ports: [{ port: 443, protocol: "TCP", targetPort: 443 }],
        sessionAffinity: "None",
        externalTrafficPolicy: "Cluster",
        internalTrafficPolicy: "Cluster",
        allocateLoadBalancerNodePorts: true,
        ipFamilyPolicy: "SingleStack",
        ipFamilies: ["IPv4"],
      },
    ],
    [
      "ClusterIP with externalIPs is externally reachable",
      { clusterIP: "10.96.0.9", externalIPs: ["203.0.113.9"], ports: [{ port: 80 }] },
      {
        clusterIP: "10.96.0.9",
        clusterIPs: ["10.96.0.9"],
        externalIPs: ["203.0.113.9"],
        ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
        type: "ClusterIP",
        sessionAffinity: "None",
        externalTrafficPolicy: "Cluster",
        internalTrafficPolicy: "Cluster",
        ipFamilyPolicy: "SingleStack",
        ipFamilies: ["IPv4"],
      },
    ],
    [
      "ExternalName gets no traffic policies or families",
      { type: "ExternalName", externalName: "db.example.com" },
      { type: "ExternalName", externalName: "db.example.com", sessionAffinity: "None" },
    ],
    [
      "headless without selector",
      { clusterIP: "None", sessionAffinity: "None", sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } },
      { clusterIP: "None", clusterIPs: ["None"], type: "ClusterIP", sessionAffinity: "None", internalTrafficPolicy: "Cluster", ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4"] },
    ],
  ];
  for (const [name, spec, want] of cases) {
    const input = obj("Service", "v1", { spec });
    const before = structuredClone(input);
    assert.deepEqual(applyDefaults(input).spec, want, name);
    assert.deepEqual(input, before, `${name}: input untouched`);
  }
});

test("Pod and workload defaults", () => {
  const pod = applyDefaults(obj("Pod", "v1", { spec: { hostNetwork: true, containers: [{ name: "c", image: "nginx:1.25", ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } }] } }));
  assert.deepEqual(pod.spec, {
    hostNetwork: true,
    dnsPolicy: "ClusterFirst",
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    schedulerName: "default-scheduler",
    securityContext: {},
    enableServiceLinks: true,
    containers: [
      {
        name: "c",
        image: "nginx:1.25",
        ports: [{ containerPort: 80, protocol: "TCP", hostPort: 80 }],
        readinessProbe: { httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        imagePullPolicy: "IfNotPresent",
      },
    ],
  });
  const latest = applyDefaults(obj("Pod", "v1", { spec: { containers: [{ name: "c", image: "busybox" }] } })) as KubeObject & { spec: { containers: { imagePullPolicy: string }[] } };
  assert.equal(latest.spec.containers[0].imagePullPolicy, "Always");

  const tmpl = { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "x:1" }] } };
  const d = applyDefaults(obj("Deployment", "apps/v1", { spec: { selector: { matchLabels: { a: "b" } }, template: tmpl } })) as KubeObject & { spec: Record<string, unknown> };
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  assert.equal((d.spec.template as { spec: { dnsPolicy: string } }).spec.dnsPolicy, "ClusterFirst");
  assert.equal("enableServiceLinks" in (d.spec.template as { spec: object }).spec, false, "enableServiceLinks is a Pod default, not a template one");

  const rs = applyDefaults(obj("ReplicaSet", "apps/v1", { spec: { selector: {}, template: tmpl } })) as KubeObject & { spec: Record<string, unknown> };
  assert.equal(rs.spec.replicas, 1);
  const ss = applyDefaults(obj("StatefulSet", "apps/v1", { spec: { replicas: 0, selector: {}, template: tmpl } })) as KubeObject & { spec: Record<string, unknown> };
  assert.equal(ss.spec.replicas, 0, "an explicit 0 stays");
  assert.equal(ss.spec.podManagementPolicy, "OrderedReady");
  assert.deepEqual(ss.spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
  const ds = applyDefaults(obj("DaemonSet", "apps/v1", { spec: { selector: {}, template: tmpl } })) as KubeObject & { spec: Record<string, unknown> };
  assert.deepEqual(ds.spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
});

test("Endpoints, EndpointSlice, NetworkPolicy, Namespace, Secret defaults; Ingress pathType untouched", () => {
  const ep = applyDefaults(obj("Endpoints", "v1", { subsets: [{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }] }] })) as KubeObject & { subsets: { ports: { protocol: string }[] }[] };
  assert.equal(ep.subsets[0].ports[0].protocol, "TCP");
  const es = applyDefaults(obj("EndpointSlice", "discovery.k8s.io/v1", { addressType: "IPv4", endpoints: [], ports: [{ port: 80 }] })) as KubeObject & { ports: { protocol: string }[] };
  assert.equal(es.ports[0].protocol, "TCP");
  const np = applyDefaults(obj("NetworkPolicy", "networking.k8s.io/v1", { spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } })) as KubeObject & { spec: Record<string, unknown> };
  assert.deepEqual(np.spec.policyTypes, ["Ingress", "Egress"]);
  const ns = applyDefaults(obj("Namespace", "v1", {}));
  assert.deepEqual(ns.metadata.labels, { "kubernetes.io/metadata.name": "x" });
  assert.equal((applyDefaults(obj("Secret", "v1", {})) as KubeObject & { type: string }).type, "Opaque");
  const ing = obj("Ingress", "networking.k8s.io/v1", { spec: { rules: [{ http: { paths: [{ path: "/", backend: {} }] } }] } });
  assert.deepEqual(applyDefaults(ing).spec, ing.spec);
  const cm = obj("ConfigMap", "v1", {});
  assert.equal(applyDefaults(cm).metadata.namespace, undefined, "namespace is left to the registry");
});
