// The objects every lab cluster starts with, as kubeadm creates them: CoreDNS (Deployment
// `coredns`, 2 replicas, label k8s-app=kube-dns) behind the `kube-dns` Service at the tenth
// service address, and kube-proxy's configuration in the `kube-proxy` ConfigMap
// (config.conf), which `netlab config set proxy-mode` edits on a running lab.
import type { ConfigMap, Deployment, KubeObject, Service } from "../api/types.js";
import { clusterDNSIP, type ClusterSettings } from "../cluster/settings.js";
import type { ProxyMode } from "./address-plan.js";

export const KUBE_PROXY_CONFIGMAP = { namespace: "kube-system", name: "kube-proxy" };

export function kubeProxyConfigText(mode: ProxyMode, clusterCIDR: string, masqueradeAll = false): string {
  return [
    "apiVersion: kubeproxy.config.k8s.io/v1alpha1",
    "kind: KubeProxyConfiguration",
    `clusterCIDR: ${clusterCIDR}`,
    `mode: ${mode}`,
    "iptables:",
    "  masqueradeBit: 14",
    `  masqueradeAll: ${masqueradeAll}`,
    "  localhostNodePorts: true",
    "",
  ].join("\n");
}

export function systemObjects(settings: ClusterSettings, mode: ProxyMode, masqueradeAll = false): KubeObject[] {
  const labels = { "k8s-app": "kube-dns" };
  const deploy: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "coredns", namespace: "kube-system", labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: {
          dnsPolicy: "Default",
          containers: [
            {
              name: "coredns",
              image: "registry.k8s.io/coredns/coredns:v1.11.3",
              args: ["-conf", "/etc/coredns/Corefile"],
              ports: [
                { name: "dns", containerPort: 53, protocol: "UDP" },
                { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                { name: "metrics", containerPort: 9153, protocol: "TCP" },
              ],
            },
          ],
        },
      },
    },
  };
  const svc: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kube-dns", namespace: "kube-system", labels: { "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" }, annotations: { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" } },
    spec: {
      selector: labels,
      clusterIP: clusterDNSIP(settings),
      ports: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
      ],
    },
  };
  const cm: ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { ...KUBE_PROXY_CONFIGMAP, labels: { app: "kube-proxy" } },
    data: { "config.conf": kubeProxyConfigText(mode, settings.clusterCIDR, masqueradeAll) },
  };
  return [svc, deploy, cm];
}

export function isClusterDnsPod(pod: KubeObject): boolean {
  return pod.metadata.namespace === "kube-system" && pod.metadata.labels?.["k8s-app"] === "kube-dns";
}
