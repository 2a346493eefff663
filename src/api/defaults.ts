// Defaulting as the API server applies it (pkg/apis/*/v1/defaults.go, plus the Service IP
// family fields the Service REST storage fills). Namespaces are left alone: the registry or
// the CLI puts objects into "default". Returns a defaulted deep copy; the input is not touched.
import type {
  Container,
  DaemonSet,
  Deployment,
  EndpointSlice,
  Endpoints,
  KubeObject,
  NetworkPolicy,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ReplicaSet,
  Secret,
  Service,
  StatefulSet,
} from "./types.js";
import { isIPv6 } from "./validation/strings.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
/** The array, or nothing: defaulting runs before validation and must survive any shape. */
const list = <T>(v: T[] | undefined | null): T[] => (Array.isArray(v) ? v : []);

export function applyDefaults(obj: KubeObject): KubeObject {
  const o = structuredClone(obj) as KubeObject;
  if (o.metadata === undefined || o.metadata === null) o.metadata = {};
  try {
    defaultByKind(o);
  } catch {
    // A badly typed field defeated a defaulter: validation reports the type error, so the
    // object is returned as far as it got rather than throwing here.
  }
  return o;
}

function defaultByKind(o: KubeObject): void {
  switch (o.kind) {
    case "Service":
      defaultService(o as Service);
      break;
    case "Pod":
      if (isObj(o.spec)) defaultPodSpec((o as Pod).spec, true);
      if ((o as Pod).spec && (o as Pod).spec.enableServiceLinks === undefined) (o as Pod).spec.enableServiceLinks = true;
      break;
    case "Deployment":
      defaultDeployment(o as Deployment);
      break;
    case "ReplicaSet": {
      const rs = o as ReplicaSet;
      if (isObj(rs.spec)) {
        if (rs.spec.replicas === undefined || rs.spec.replicas === null) rs.spec.replicas = 1;
        defaultTemplate(rs.spec.template);
      }
      break;
    }
    case "StatefulSet":
      defaultStatefulSet(o as StatefulSet);
      break;
    case "DaemonSet":
      defaultDaemonSet(o as DaemonSet);
      break;
    case "Endpoints":
      for (const s of list((o as Endpoints).subsets)) for (const p of list(s?.ports)) if (isObj(p) && !p.protocol) p.protocol = "TCP";
      break;
    case "EndpointSlice":
      for (const p of list((o as EndpointSlice).ports)) if (isObj(p) && !p.protocol) p.protocol = "TCP";
      break;
    case "NetworkPolicy":
      defaultNetworkPolicy(o as NetworkPolicy);
      break;
    case "Namespace":
      // Every named namespace carries its own name as a label (kubernetes.io/metadata.name).
      if (o.metadata.name) o.metadata.labels = { ...(o.metadata.labels ?? {}), "kubernetes.io/metadata.name": o.metadata.name };
      break;
    case "Secret":
      if (!(o as Secret).type) (o as Secret).type = "Opaque";
      break;
  }
}

function defaultService(svc: Service): void {
  if (!isObj(svc.spec)) svc.spec = {};
  const s = svc.spec;
  if (!s.sessionAffinity) s.sessionAffinity = "None";
  if (s.sessionAffinity === "None") delete s.sessionAffinityConfig;
  if (s.sessionAffinity === "ClientIP") {
    s.sessionAffinityConfig ??= {};
    s.sessionAffinityConfig.clientIP ??= {};
    s.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  if (!s.type) s.type = "ClusterIP";
  for (const p of list(s.ports)) {
    if (!isObj(p)) continue;
    if (!p.protocol) p.protocol = "TCP";
    // An unset (or zero) targetPort means "the same as port".
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
  }
  // Externally accessible: NodePort, LoadBalancer, or ClusterIP with externalIPs.
  const external = s.type === "NodePort" || s.type === "LoadBalancer" || (s.type === "ClusterIP" && list(s.externalIPs).length > 0);
  if (external && !s.externalTrafficPolicy) s.externalTrafficPolicy = "Cluster";
  if ((s.type === "NodePort" || s.type === "LoadBalancer" || s.type === "ClusterIP") && !s.internalTrafficPolicy) s.internalTrafficPolicy = "Cluster";
  if (s.type === "LoadBalancer" && s.allocateLoadBalancerNodePorts === undefined) s.allocateLoadBalancerNodePorts = true;
  // IP families: the REST storage fills these for every type but ExternalName.
  if (s.type !== "ExternalName") {
    const headlessNoSelector = s.clusterIP === "None" && Object.keys(s.selector ?? {}).length === 0;
    if (!s.ipFamilyPolicy) s.ipFamilyPolicy = headlessNoSelector ? "RequireDualStack" : "SingleStack";
    if (!s.ipFamilies || s.ipFamilies.length === 0) {
      const ip = s.clusterIP && s.clusterIP !== "None" ? s.clusterIP : undefined;
      s.ipFamilies = [typeof ip === "string" && isIPv6(ip) ? "IPv6" : "IPv4"];
    }
    if (s.clusterIP && (!s.clusterIPs || s.clusterIPs.length === 0)) s.clusterIPs = [s.clusterIP];
  }
}

function defaultProbe(p: Probe | undefined): void {
  if (!isObj(p)) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (isObj(p.httpGet)) {
    p.httpGet.path ||= "/";
    p.httpGet.scheme ||= "HTTP";
  }
}

function defaultContainer(c: Container, hostNetworkPod: boolean): void {
  if (!isObj(c)) return;
  for (const p of list(c.ports)) {
    if (!isObj(p)) continue;
    if (!p.protocol) p.protocol = "TCP";
    // A Pod on the host's network uses its container ports as host ports (SetDefaults_Pod;
    // templates are left alone).
    if (hostNetworkPod && !p.hostPort) p.hostPort = p.containerPort;
  }
  for (const e of list(c.env)) {
    if (isObj(e) && isObj(e.valueFrom) && isObj(e.valueFrom.fieldRef) && !e.valueFrom.fieldRef.apiVersion) e.valueFrom.fieldRef.apiVersion = "v1";
  }
  const extra = c as unknown as Obj;
  extra.terminationMessagePath ??= "/dev/termination-log";
  extra.terminationMessagePolicy ??= "File";
  if (extra.imagePullPolicy === undefined && typeof c.image === "string") {
    const lastPart = c.image.split("/").pop() ?? "";
    const tagged = lastPart.includes(":") && !c.image.includes("@");
    const latest = !tagged || lastPart.endsWith(":latest");
    extra.imagePullPolicy = latest && !c.image.includes("@") ? "Always" : "IfNotPresent";
  }
  defaultProbe(c.readinessProbe);
  defaultProbe(c.livenessProbe);
  defaultProbe((extra.startupProbe as Probe | undefined) ?? undefined);
}

/** `isPod`: defaults that upstream applies to Pods only, not to pod templates. */
export function defaultPodSpec(spec: PodSpec, isPod = false): void {
  if (!isObj(spec)) return;
  if (!spec.dnsPolicy) spec.dnsPolicy = "ClusterFirst";
  if (!spec.restartPolicy) spec.restartPolicy = "Always";
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (!spec.schedulerName) spec.schedulerName = "default-scheduler";
  const extra = spec as unknown as Obj;
  extra.securityContext ??= {};
  const hostNet = isPod && spec.hostNetwork === true;
  for (const c of list(spec.containers)) defaultContainer(c, hostNet);
  for (const c of list(spec.initContainers)) defaultContainer(c, hostNet);
}

function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (isObj(t) && isObj(t.spec)) defaultPodSpec(t.spec);
}

function defaultDeployment(d: Deployment): void {
  if (!isObj(d.spec)) return;
  const s = d.spec;
  if (s.replicas === undefined || s.replicas === null) s.replicas = 1;
  s.strategy ??= {};
  if (!s.strategy.type) s.strategy.type = "RollingUpdate";
  if (s.strategy.type === "RollingUpdate") {
    s.strategy.rollingUpdate ??= {};
    s.strategy.rollingUpdate.maxUnavailable ??= "25%";
    s.strategy.rollingUpdate.maxSurge ??= "25%";
  }
  s.revisionHistoryLimit ??= 10;
  s.progressDeadlineSeconds ??= 600;
  defaultTemplate(s.template);
}

function defaultStatefulSet(ss: StatefulSet): void {
  if (!isObj(ss.spec)) return;
  const s = ss.spec;
  if (s.replicas === undefined || s.replicas === null) s.replicas = 1;
  if (!s.podManagementPolicy) s.podManagementPolicy = "OrderedReady";
  s.updateStrategy ??= {};
  if (!s.updateStrategy.type) s.updateStrategy.type = "RollingUpdate";
  if (s.updateStrategy.type === "RollingUpdate") {
    s.updateStrategy.rollingUpdate ??= {};
    s.updateStrategy.rollingUpdate.partition ??= 0;
  }
  s.revisionHistoryLimit ??= 10;
  defaultTemplate(s.template);
}

function defaultDaemonSet(ds: DaemonSet): void {
  if (!isObj(ds.spec)) return;
  const s = ds.spec;
  s.updateStrategy ??= {};
  if (!s.updateStrategy.type) s.updateStrategy.type = "RollingUpdate";
  if (s.updateStrategy.type === "RollingUpdate") {
    s.updateStrategy.rollingUpdate ??= {};
    s.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
    s.updateStrategy.rollingUpdate.maxSurge ??= 0;
  }
  s.revisionHistoryLimit ??= 10;
  defaultTemplate(s.template);
}

function defaultNetworkPolicy(np: NetworkPolicy): void {
  if (!isObj(np.spec)) return;
  const s = np.spec;
  for (const rule of [...list(s.ingress), ...list(s.egress)]) for (const p of list(rule?.ports)) if (isObj(p) && !p.protocol) p.protocol = "TCP";
  // An empty policyTypes means Ingress, plus Egress when egress rules are present.
  if (!s.policyTypes || s.policyTypes.length === 0) {
    s.policyTypes = ["Ingress"];
    if (s.egress && s.egress.length > 0) s.policyTypes.push("Egress");
  }
}
