// The ingress controller as a lab add-on. The daemon calls startIngressAddon once the API and
// the controllers run: it creates (if missing) the namespace netlab-ingress, the IngressClass
// `nginx` (default), a Deployment whose Pods run nginx, and a LoadBalancer Service in front of
// them; then it runs the controller, and for every running controller Pod a real nginx inside
// that Pod's network namespace (`ip netns exec <pod netns> nginx ...`, listening on 80/443).
//
// The agent must not run its built-in test server on these Pods' ports (nginx binds them): the
// container declares no ports (the agent serves only declared containerPorts; the Service uses
// numeric targetPorts), and the template also carries TEST_SERVER_ANNOTATION = "false". It has
// no `command` either, so the agent runs no program for it: the add-on runs nginx itself.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import type { Deployment, KubeObject, Namespace, Pod, Service } from "../api/types.js";
import { isStatusError } from "../api/status.js";
import type { Client } from "../client/client.js";
import { CONTROLLER_NAME, DEFAULT_CLASS_NAME, ourIngressClass } from "./class.js";
import { IngressController } from "./controller.js";
import { NginxInstance } from "./nginx-instance.js";
import { WatchCache } from "../client/watch-cache.js";

export const INGRESS_NAMESPACE = "netlab-ingress";
/** Deployment and LoadBalancer Service name, as ingress-nginx's chart names them. */
export const CONTROLLER_WORKLOAD = "ingress-nginx-controller";
export const POD_LABELS: Readonly<Record<string, string>> = { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" };
/** On a Pod: "false" = the agent serves none of its ports (a real program owns them). */
export const TEST_SERVER_ANNOTATION = "netlab.dev/test-server";

export interface IngressAddonOptions {
  client: Client;
  /** The network namespace (an `ip netns` name) of a Pod's sandbox; undefined while it has none. */
  podNetns(pod: Pod): string | undefined;
  /** Directory for the per-Pod nginx directories (pid, config, temp, certs, health socket). Keep it short: Unix socket paths are limited to 107 bytes. */
  stateDir: string;
  replicas?: number;
  log?: (line: string) => void;
}

export interface IngressAddon {
  controller: IngressController;
  stop(): Promise<void>;
}

/** The objects the add-on owns in the cluster. */
export function ingressAddonObjects(replicas = 1): KubeObject[] {
  const ns: Namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: INGRESS_NAMESPACE } };
  const deploy: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: CONTROLLER_WORKLOAD, namespace: INGRESS_NAMESPACE, labels: { ...POD_LABELS } },
    spec: {
      replicas,
      selector: { matchLabels: { ...POD_LABELS } },
      template: {
        metadata: { labels: { ...POD_LABELS }, annotations: { [TEST_SERVER_ANNOTATION]: "false" } },
        spec: {
          containers: [
            {
              name: "controller",
              image: "netlab/ingress-nginx",
              args: [`--ingress-class=${DEFAULT_CLASS_NAME}`, `--controller-class=${CONTROLLER_NAME}`, `--publish-service=${INGRESS_NAMESPACE}/${CONTROLLER_WORKLOAD}`],
            },
          ],
        },
      },
    },
  };
  const svc: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: CONTROLLER_WORKLOAD, namespace: INGRESS_NAMESPACE, labels: { ...POD_LABELS } },
    spec: {
      type: "LoadBalancer",
      selector: { ...POD_LABELS },
      ports: [
        { name: "http", port: 80, targetPort: 80, protocol: "TCP" },
        { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
      ],
    },
  };
  return [ns, ourIngressClass(undefined, true), deploy, svc];
}

/** Creates whichever add-on objects are missing; existing ones (maybe edited by the user) stay. */
export async function ensureIngressAddonObjects(client: Client, replicas = 1): Promise<void> {
  for (const o of ingressAddonObjects(replicas)) {
    try {
      await client.create(o);
    } catch (e) {
      if (!isStatusError(e, "AlreadyExists")) throw e;
    }
  }
}

function isControllerPod(p: Pod): boolean {
  return p.metadata.namespace === INGRESS_NAMESPACE && Object.entries(POD_LABELS).every(([k, v]) => p.metadata.labels?.[k] === v);
}

/** Short per-Pod directory name (the health socket path must stay under 108 bytes). */
export function podDirName(p: Pod): string {
  return createHash("sha256").update(`${p.metadata.namespace}/${p.metadata.name}`).digest("hex").slice(0, 12);
}

export async function startIngressAddon(o: IngressAddonOptions): Promise<IngressAddon> {
  await ensureIngressAddonObjects(o.client, o.replicas ?? 1);
  const controller = new IngressController({
    client: o.client,
    publishService: { namespace: INGRESS_NAMESPACE, name: CONTROLLER_WORKLOAD },
    log: o.log,
  });
  const running = new Map<string, string>(); // pod key -> netns nginx runs in

  let pods: WatchCache<Pod>;
  const reconcile = () => {
    const want = new Map<string, { pod: Pod; netns: string }>();
    for (const p of pods.list()) {
      if (!isControllerPod(p) || p.metadata.deletionTimestamp || p.status?.phase !== "Running" || !p.status.podIP) continue;
      const netns = o.podNetns(p);
      if (!netns || !existsSync(`/run/netns/${netns}`)) continue;
      want.set(`${p.metadata.namespace}/${p.metadata.name}`, { pod: p, netns });
    }
    for (const [key, netns] of running) {
      if (want.get(key)?.netns === netns) continue;
      running.delete(key);
      void controller.removeTarget(key);
      o.log?.(`ingress: stopped nginx of ${key}`);
    }
    for (const [key, { pod, netns }] of want) {
      if (running.has(key)) continue;
      running.set(key, netns);
      controller.addTarget(
        new NginxInstance({
          name: key,
          prefix: `${o.stateDir}/${podDirName(pod)}`,
          httpPort: 80,
          httpsPort: 443,
          run: { wrap: ["ip", "netns", "exec", netns] },
          cleanup: true,
        }),
      );
      o.log?.(`ingress: nginx for ${key} in ${netns}`);
    }
  };
  pods = new WatchCache<Pod>(o.client, "Pod");
  pods.subscribe(() => reconcile());
  pods.start();
  await pods.synced;
  await controller.start();
  return {
    controller,
    async stop() {
      pods.stop();
      await controller.stop();
    },
  };
}
