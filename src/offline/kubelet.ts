// The offline kubelet: with no kernel, every Pod bound to a known Node becomes Running and
// Ready at once, with an IP from its node's podCIDR (hostNetwork Pods get the node's IP).
// In the lab, the node agent does this job for real.
import type { Node, Pod, PodCondition } from "../api/types.js";
import { ControllerContext, splitKey } from "../controllers/context.js";
import { objectKey } from "../controllers/informer.js";
import { allocatePodIP } from "../controllers/pod-ips.js";
import { isPodTerminal, podIPs } from "../controllers/pod-util.js";

function nodeInternalIP(n: Node): string | undefined {
  return n.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
}

export function runningStatus(pod: Pod, node: Node, ip: string, ts: string): NonNullable<Pod["status"]> {
  const hostIP = nodeInternalIP(node) ?? "";
  const cond = (type: string): PodCondition => ({ type, status: "True", lastTransitionTime: ts });
  const status: NonNullable<Pod["status"]> = {
    phase: "Running",
    conditions: [cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"), cond("ContainersReady"), cond("PodScheduled")],
    hostIP,
    hostIPs: hostIP ? [{ ip: hostIP }] : [],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: ts,
    containerStatuses: pod.spec.containers.map((c) => ({
      name: c.name,
      ready: true,
      restartCount: 0,
      started: true,
      image: c.image ?? "",
      state: { running: { startedAt: ts } },
    })),
  };
  return status;
}

export function startOfflineKubelet(ctx: ControllerContext): void {
  const pods = ctx.informers.for<Pod>("Pod");
  const nodes = ctx.informers.for<Node>("Node");
  const q = ctx.queue("offline-kubelet", async (key) => {
    const { namespace, name } = splitKey(key);
    const pod = pods.get(namespace, name);
    if (!pod || !pod.spec.nodeName || isPodTerminal(pod) || pod.metadata.deletionTimestamp) return;
    if (pod.status?.phase === "Running" && podIPs(pod).length) return;
    const node = nodes.get(undefined, pod.spec.nodeName);
    if (!node) return; // retried when the node appears
    let ip: string | undefined;
    if (pod.spec.hostNetwork) ip = nodeInternalIP(node);
    else {
      if (!node.spec?.podCIDR) return; // wait for node IPAM
      const used = pods.list().filter((p) => p.spec.nodeName === node.metadata.name && !p.spec.hostNetwork).flatMap(podIPs);
      const r = allocatePodIP(node.spec.podCIDR, used);
      if ("error" in r) {
        await ctx.event(pod, "Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${r.error}`, "kubelet");
        return;
      }
      ip = r.ip;
    }
    if (!ip) return;
    await ctx.updateStatus({ ...pod, status: runningStatus(pod, node, ip, ctx.timestamp()) });
  });
  pods.on((t, p) => {
    if (t !== "delete" && p.spec.nodeName && p.status?.phase !== "Running") q.add(objectKey(p));
  });
  nodes.on((t, n) => {
    if (t === "delete") return;
    for (const p of pods.list()) if (p.spec.nodeName === n.metadata.name && p.status?.phase !== "Running") q.add(objectKey(p));
  });
}
