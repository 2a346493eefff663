// The JSON types of the fields kube-netlab types, per kind, so that decoding can refuse a
// value of the wrong type the way the API server's JSON decoder does:
// `json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32`.
// Only fields kube-netlab reads are described; other fields pass through untouched. A few
// small structs are `closed`: an unknown field there is almost always a typo, and upstream's
// strict field validation refuses it (`strict decoding error: unknown field "spec.ports[0].prot"`).

export type FieldType =
  | "string"
  | "int32"
  | "int64"
  | "bool"
  | "intstr"
  | "any"
  | { obj: string; fields: Record<string, FieldType>; closed?: boolean }
  | { arr: FieldType }
  | { map: FieldType };

const S = "string" as const;
const I = "int32" as const;
const I64 = "int64" as const;
const B = "bool" as const;
const IS = "intstr" as const;
const arr = (t: FieldType): FieldType => ({ arr: t });
const map = (t: FieldType): FieldType => ({ map: t });
const obj = (go: string, fields: Record<string, FieldType>, closed = false): FieldType => ({ obj: go, fields, closed });

const ownerRef = obj("v1.OwnerReference", { apiVersion: S, kind: S, name: S, uid: S, controller: B, blockOwnerDeletion: B });
export const OBJECT_META = obj("v1.ObjectMeta", {
  name: S,
  generateName: S,
  namespace: S,
  uid: S,
  resourceVersion: S,
  generation: I64,
  labels: map(S),
  annotations: map(S),
  ownerReferences: arr(ownerRef),
  finalizers: arr(S),
});

const labelSelector = obj(
  "v1.LabelSelector",
  {
    matchLabels: map(S),
    matchExpressions: arr(obj("v1.LabelSelectorRequirement", { key: S, operator: S, values: arr(S) }, true)),
  },
  true,
);

const containerPort = obj("v1.ContainerPort", { name: S, hostPort: I, containerPort: I, protocol: S, hostIP: S }, true);
const envVar = obj("v1.EnvVar", {
  name: S,
  value: S,
  valueFrom: obj("v1.EnvVarSource", {
    configMapKeyRef: obj("v1.ConfigMapKeySelector", { name: S, key: S, optional: B }),
    secretKeyRef: obj("v1.SecretKeySelector", { name: S, key: S, optional: B }),
    fieldRef: obj("v1.ObjectFieldSelector", { apiVersion: S, fieldPath: S }),
  }),
});
const probe = obj("v1.Probe", {
  httpGet: obj("v1.HTTPGetAction", { path: S, port: IS, host: S, scheme: S }),
  tcpSocket: obj("v1.TCPSocketAction", { port: IS, host: S }),
  exec: obj("v1.ExecAction", { command: arr(S) }),
  initialDelaySeconds: I,
  timeoutSeconds: I,
  periodSeconds: I,
  successThreshold: I,
  failureThreshold: I,
});
const container = obj("v1.Container", {
  name: S,
  image: S,
  command: arr(S),
  args: arr(S),
  workingDir: S,
  ports: arr(containerPort),
  env: arr(envVar),
  envFrom: arr(obj("v1.EnvFromSource", { prefix: S, configMapRef: obj("v1.ConfigMapEnvSource", { name: S, optional: B }), secretRef: obj("v1.SecretEnvSource", { name: S, optional: B }) })),
  readinessProbe: probe,
  livenessProbe: probe,
  startupProbe: probe,
});
const podSpec = obj("v1.PodSpec", {
  containers: arr(container),
  initContainers: arr(container),
  restartPolicy: S,
  terminationGracePeriodSeconds: I64,
  dnsPolicy: S,
  nodeSelector: map(S),
  serviceAccountName: S,
  nodeName: S,
  hostNetwork: B,
  hostname: S,
  subdomain: S,
  schedulerName: S,
  dnsConfig: obj("v1.PodDNSConfig", {
    nameservers: arr(S),
    searches: arr(S),
    options: arr(obj("v1.PodDNSConfigOption", { name: S, value: S })),
  }),
  enableServiceLinks: B,
  setHostnameAsFQDN: B,
});
const podTemplate = obj("v1.PodTemplateSpec", { metadata: OBJECT_META, spec: podSpec });

const servicePort = obj("v1.ServicePort", { name: S, protocol: S, appProtocol: S, port: I, targetPort: IS, nodePort: I }, true);
const serviceSpec = obj("v1.ServiceSpec", {
  ports: arr(servicePort),
  selector: map(S),
  clusterIP: S,
  clusterIPs: arr(S),
  type: S,
  externalIPs: arr(S),
  sessionAffinity: S,
  loadBalancerIP: S,
  loadBalancerSourceRanges: arr(S),
  externalName: S,
  externalTrafficPolicy: S,
  healthCheckNodePort: I,
  publishNotReadyAddresses: B,
  sessionAffinityConfig: obj("v1.SessionAffinityConfig", { clientIP: obj("v1.ClientIPConfig", { timeoutSeconds: I }) }),
  ipFamilies: arr(S),
  ipFamilyPolicy: S,
  allocateLoadBalancerNodePorts: B,
  loadBalancerClass: S,
  internalTrafficPolicy: S,
});

const objectRef = obj("v1.ObjectReference", { kind: S, namespace: S, name: S, uid: S, apiVersion: S, resourceVersion: S, fieldPath: S });
const endpointPort = (go: string) => obj(go, { name: S, port: I, protocol: S, appProtocol: S }, true);
const endpointAddress = obj("v1.EndpointAddress", { ip: S, hostname: S, nodeName: S, targetRef: objectRef });

const rollingUpdateDeployment = obj("v1.RollingUpdateDeployment", { maxUnavailable: IS, maxSurge: IS });

const serviceBackendPort = obj("v1.ServiceBackendPort", { name: S, number: I }, true);
const ingressBackend = obj(
  "v1.IngressBackend",
  {
    service: obj("v1.IngressServiceBackend", { name: S, port: serviceBackendPort }, true),
    resource: obj("v1.TypedLocalObjectReference", { apiGroup: S, kind: S, name: S }),
  },
  true,
);
const ingressBackendBeta = obj(
  "v1beta1.IngressBackend",
  { serviceName: S, servicePort: IS, resource: obj("v1.TypedLocalObjectReference", { apiGroup: S, kind: S, name: S }) },
  true,
);
function ingressSpec(backend: FieldType, pkg: string): FieldType {
  return obj(`${pkg}.IngressSpec`, {
    ingressClassName: S,
    [pkg === "v1" ? "defaultBackend" : "backend"]: backend,
    tls: arr(obj(`${pkg}.IngressTLS`, { hosts: arr(S), secretName: S })),
    rules: arr(
      obj(`${pkg}.IngressRule`, {
        host: S,
        http: obj(`${pkg}.HTTPIngressRuleValue`, { paths: arr(obj(`${pkg}.HTTPIngressPath`, { path: S, pathType: S, backend }, true)) }, true),
      }),
    ),
  });
}

const peer = obj("v1.NetworkPolicyPeer", {
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: obj("v1.IPBlock", { cidr: S, except: arr(S) }, true),
});
const npPort = obj("v1.NetworkPolicyPort", { protocol: S, port: IS, endPort: I }, true);

/** Top-level fields per `apiVersion/kind` (metadata is added for all). */
export const KIND_SCHEMAS: Record<string, Record<string, FieldType>> = {
  "v1/Namespace": { spec: obj("v1.NamespaceSpec", { finalizers: arr(S) }) },
  "v1/Node": { spec: obj("v1.NodeSpec", { podCIDR: S, podCIDRs: arr(S), unschedulable: B, providerID: S }) },
  "v1/Pod": { spec: podSpec },
  "v1/Service": { spec: serviceSpec },
  "v1/Endpoints": {
    subsets: arr(obj("v1.EndpointSubset", { addresses: arr(endpointAddress), notReadyAddresses: arr(endpointAddress), ports: arr(endpointPort("v1.EndpointPort")) })),
  },
  "v1/ConfigMap": { data: map(S), binaryData: map(S), immutable: B },
  "v1/Secret": { data: map(S), stringData: map(S), type: S, immutable: B },
  "v1/Event": { involvedObject: objectRef, reason: S, message: S, type: S, count: I },
  "apps/v1/Deployment": {
    spec: obj("v1.DeploymentSpec", {
      replicas: I,
      selector: labelSelector,
      template: podTemplate,
      strategy: obj("v1.DeploymentStrategy", { type: S, rollingUpdate: rollingUpdateDeployment }),
      minReadySeconds: I,
      revisionHistoryLimit: I,
      paused: B,
      progressDeadlineSeconds: I,
    }),
  },
  "apps/v1/ReplicaSet": { spec: obj("v1.ReplicaSetSpec", { replicas: I, minReadySeconds: I, selector: labelSelector, template: podTemplate }) },
  "apps/v1/StatefulSet": {
    spec: obj("v1.StatefulSetSpec", {
      replicas: I,
      selector: labelSelector,
      template: podTemplate,
      serviceName: S,
      podManagementPolicy: S,
      updateStrategy: obj("v1.StatefulSetUpdateStrategy", { type: S, rollingUpdate: obj("v1.RollingUpdateStatefulSetStrategy", { partition: I, maxUnavailable: IS }) }),
      revisionHistoryLimit: I,
      minReadySeconds: I,
    }),
  },
  "apps/v1/DaemonSet": {
    spec: obj("v1.DaemonSetSpec", {
      selector: labelSelector,
      template: podTemplate,
      updateStrategy: obj("v1.DaemonSetUpdateStrategy", { type: S, rollingUpdate: obj("v1.RollingUpdateDaemonSet", { maxUnavailable: IS, maxSurge: IS }) }),
      minReadySeconds: I,
      revisionHistoryLimit: I,
    }),
  },
  "discovery.k8s.io/v1/EndpointSlice": {
    addressType: S,
    endpoints: arr(
      obj("v1.Endpoint", {
        addresses: arr(S),
        conditions: obj("v1.EndpointConditions", { ready: B, serving: B, terminating: B }),
        hostname: S,
        targetRef: objectRef,
        nodeName: S,
        zone: S,
      }),
    ),
    ports: arr(endpointPort("v1.EndpointPort")),
  },
  "networking.k8s.io/v1/Ingress": { spec: ingressSpec(ingressBackend, "v1") },
  "networking.k8s.io/v1beta1/Ingress": { spec: ingressSpec(ingressBackendBeta, "v1beta1") },
  "extensions/v1beta1/Ingress": { spec: ingressSpec(ingressBackendBeta, "v1beta1") },
  "networking.k8s.io/v1/IngressClass": {
    spec: obj("v1.IngressClassSpec", {
      controller: S,
      parameters: obj("v1.IngressClassParametersReference", { apiGroup: S, kind: S, name: S, scope: S, namespace: S }),
    }),
  },
  "networking.k8s.io/v1/NetworkPolicy": {
    spec: obj("v1.NetworkPolicySpec", {
      podSelector: labelSelector,
      policyTypes: arr(S),
      ingress: arr(obj("v1.NetworkPolicyIngressRule", { from: arr(peer), ports: arr(npPort) }, true)),
      egress: arr(obj("v1.NetworkPolicyEgressRule", { to: arr(peer), ports: arr(npPort) }, true)),
    }),
  },
};

export interface TypeError {
  /** Field path with indices, e.g. `spec.ports[0].port`. */
  field: string;
  message: string;
}

function goTypeName(t: FieldType): string {
  if (typeof t === "string") return t === "intstr" ? "intstr.IntOrString" : t === "any" ? "interface {}" : t;
  if ("obj" in t) return t.obj;
  if ("arr" in t) return `[]${goTypeName(t.arr)}`;
  return `map[string]${goTypeName(t.map)}`;
}

function jsonTypeName(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  if (typeof v === "object") return "object";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return "number";
  return "string";
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * Checks `value` against `t`. `path` is the display path (with indices); `goPath` the
 * dotted JSON path Go prints (no indices); `struct` the Go struct holding the field.
 */
function check(value: unknown, t: FieldType, path: string, goPath: string, struct: string, out: TypeError[]): void {
  if (value === null || value === undefined) return; // null decodes to the zero value
  const fail = (jsonType: string): void => {
    out.push({ field: path, message: `json: cannot unmarshal ${jsonType} into Go struct field ${struct}.${goPath} of type ${goTypeName(t)}` });
  };
  const jt = jsonTypeName(value);
  if (typeof t === "string") {
    switch (t) {
      case "any":
        return;
      case "string":
        if (jt !== "string") fail(jt);
        return;
      case "bool":
        if (jt !== "bool") fail(jt);
        return;
      case "int32":
      case "int64": {
        if (jt !== "number") return fail(jt);
        const n = value as number;
        const [lo, hi] = INT_RANGES[t];
        if (!Number.isInteger(n) || n < lo || n > hi) fail(`number ${n}`);
        return;
      }
      case "intstr": {
        if (jt === "string") return;
        if (jt !== "number") return fail(jt);
        const n = value as number;
        if (!Number.isInteger(n) || n < INT_RANGES.int32[0] || n > INT_RANGES.int32[1]) fail(`number ${n}`);
        return;
      }
    }
  }
  if ("arr" in t) {
    if (jt !== "array") return fail(jt);
    (value as unknown[]).forEach((v, i) => check(v, t.arr, `${path}[${i}]`, goPath, struct, out));
    return;
  }
  if ("map" in t) {
    if (jt !== "object") return fail(jt);
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      check(v, t.map, `${path}[${k}]`, goPath, struct, out);
    }
    return;
  }
  if (jt !== "object") return fail(jt);
  checkFields(value as Record<string, unknown>, t, path, goPath, out);
}

function checkFields(o: Record<string, unknown>, t: { obj: string; fields: Record<string, FieldType>; closed?: boolean }, path: string, goPath: string, out: TypeError[]): void {
  const struct = t.obj.replace(/^[a-z0-9]+\./, "");
  for (const [k, v] of Object.entries(o)) {
    const ft = t.fields[k];
    const p = path ? `${path}.${k}` : k;
    const gp = goPath ? `${goPath}.${k}` : k;
    if (ft === undefined) {
      if (t.closed) out.push({ field: p, message: `strict decoding error: unknown field "${p}"` });
      continue;
    }
    check(v, ft, p, gp, struct, out);
  }
}

/**
 * Type errors of a decoded object of a known `apiVersion/kind`, top-level struct named after
 * the kind (`Service.spec.ports.port`), as the API server's decoder reports them.
 */
export function typeErrors(o: Record<string, unknown>, apiVersion: string, kind: string): TypeError[] {
  const fields = KIND_SCHEMAS[`${apiVersion}/${kind}`];
  const out: TypeError[] = [];
  if (!fields) return out;
  const pkg = apiVersion.includes("/") ? apiVersion.split("/")[1] : apiVersion;
  checkFields(o, { obj: `${pkg}.${kind}`, fields: { apiVersion: S, kind: S, metadata: OBJECT_META, status: "any", ...fields } }, "", "", out);
  return out;
}

/**
 * The API server's 400 message for an object whose JSON does not fit the types:
 * `Service in version "v1" cannot be handled as a Service: json: cannot unmarshal ...`.
 * Undefined when the types are fine.
 */
export function decodeErrorMessage(o: Record<string, unknown>, apiVersion: string, kind: string): string | undefined {
  const errs = typeErrors(o, apiVersion, kind);
  if (errs.length === 0) return undefined;
  const version = apiVersion.includes("/") ? apiVersion.split("/")[1] : apiVersion;
  return `${kind} in version "${version}" cannot be handled as a ${kind}: ${errs[0].message}`;
}
