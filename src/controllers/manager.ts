// Starts every controller loop against one Client (the in-process Registry inside the daemon,
// or any API server over HTTPS). Components talk only through the API: list + watch + writes.
import type { Client } from "../client/client.js";
import type { ClusterSettings } from "../cluster/settings.js";
import { startOfflineKubelet } from "../offline/kubelet.js";
import { Activity } from "./activity.js";
import { ControllerContext } from "./context.js";
import { startEndpointsController } from "./endpoints-controller.js";
import { startEndpointSliceController, startEndpointSliceMirroringController } from "./endpointslice-controller.js";
import { InformerFactory } from "./informer.js";
import { startLoadBalancerController } from "./load-balancer-controller.js";
import { startNodeIpamController } from "./node-ipam-controller.js";
import { startPodGC } from "./pod-gc-controller.js";
import type { RandomSource } from "./random.js";
import { startScheduler } from "./scheduler-controller.js";
import { startDaemonSetController, startDeploymentController, startReplicaSetController, startStatefulSetController } from "./workload-controllers.js";

export interface ControllerOptions {
  /** Offline (no kernel): an offline kubelet marks bound Pods Running+Ready with IPs from IPAM. */
  offlinePodIPs: boolean;
  /** Source of random name suffixes; seeded for deterministic output. Default Math.random. */
  random?: RandomSource;
  /** Clock for timestamps the controllers write. */
  now?: () => Date;
  /** Retries on immediate turns instead of timers, so output never depends on timing. */
  deterministic?: boolean;
  /** Record Events (default true). */
  events?: boolean;
  log?: (msg: string) => void;
}

export interface RunningControllers {
  stop(): void;
  /** Resolves when every queue is empty and no write is in flight. */
  idle(opts?: { timeoutMs?: number }): Promise<void>;
}

export function startControllers(client: Client, settings: ClusterSettings, opts: ControllerOptions): RunningControllers {
  const activity = new Activity();
  const log = opts.log ?? ((m: string) => process.stderr.write(`controllers: ${m}\n`));
  const informers = new InformerFactory(client, activity, log);
  const ctx = new ControllerContext(client, settings, informers, activity, opts.random ?? Math.random, opts.now ?? (() => new Date()), opts.deterministic ?? false, opts.events ?? true, log);
  // Informers are created in a fixed kind order (the first `for` call creates them).
  for (const kind of ["Namespace", "Node", "Service", "Endpoints", "EndpointSlice", "Pod", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet"]) informers.for(kind);
  startNodeIpamController(ctx);
  startScheduler(ctx);
  startLoadBalancerController(ctx);
  startEndpointsController(ctx);
  startEndpointSliceController(ctx);
  startEndpointSliceMirroringController(ctx);
  startDeploymentController(ctx);
  startReplicaSetController(ctx);
  startStatefulSetController(ctx);
  startDaemonSetController(ctx);
  startPodGC(ctx);
  if (opts.offlinePodIPs) startOfflineKubelet(ctx);

  let stopped = false;
  activity.begin("startup");
  const started = informers
    .start()
    .then(() => {
      if (!stopped) for (const q of ctx.queues) q.start();
    })
    .finally(() => activity.end("startup"));
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      informers.stop();
      ctx.stopTimers();
      for (const q of ctx.queues) q.stop();
    },
    async idle(o = {}) {
      await started;
      await activity.idle(o);
    },
  };
}
