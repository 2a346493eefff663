// A table of invalid manifests, one per upstream rule, each with the exact field path and
// message the API server reports. Every case goes through decodeManifests (decode, default,
// validate), the same path `netlab validate` and the registry take.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeManifests, formatManifestError } from "./decode.js";
import { validateObject } from "./validation.js";
import { applyDefaults } from "./defaults.js";
import { formatFieldError } from "./field-errors.js";
import type { KubeObject } from "./types.js";

const DNS1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const BAD_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

const svc = (spec: string, name = "s") => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
const pod = (spec: string, name = "p") => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
const ing = (spec: string) => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\nspec:\n${spec}`;
const PORT80 = "  ports:\n  - port: 80\n";
const ingPath = (path: string, extra = "") =>
  ing(`  rules:\n  - http:\n      paths:\n      - path: "${path}"\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n${extra}`);

/** [name, manifest, expected errors as `FIELD: MESSAGE`] */
const CASES: [string, string, string[]][] = [
  // ---- metadata
  ["name required", `apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n`, ["metadata.name: Required value: name or generateName is required"]],
  ["service name is DNS-1035", svc(PORT80, "1abc"), [`metadata.name: Invalid value: "1abc": ${DNS1035}`]],
  ["pod name is a DNS subdomain", pod("  containers:\n  - name: c\n    image: x\n", "Web_1"), [`metadata.name: Invalid value: "Web_1": ${DNS1123_SUBDOMAIN}`]],
  ["namespace name is a DNS label", `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a.b\n`, [`metadata.name: Invalid value: "a.b": must not contain dots`]],
  ["namespace on a cluster-scoped kind", `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  namespace: b\n`, ["metadata.namespace: Forbidden: not allowed on this type"]],
  [
    "label key syntax",
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    "a/b/c": x\n`,
    [
      `metadata.labels: Invalid value: "a/b/c": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ],
  ],
  [
    "label value syntax",
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    app: "-x"\n`,
    [
      `metadata.labels: Invalid value: "-x": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ],
  ],
  [
    "owner references need kind, name and uid",
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  ownerReferences:\n  - apiVersion: apps/v1\n    kind: ReplicaSet\n    name: rs\n`,
    [`metadata.ownerReferences.uid: Invalid value: "": must not be empty`],
  ],
  [
    "finalizers are qualified names",
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  finalizers: ["a/b/c"]\n`,
    [
      `metadata.finalizers: Invalid value: "a/b/c": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ],
  ],
  // ---- Service
  ["ports required", svc("  selector:\n    app: a\n"), ["spec.ports: Required value"]],
  ["headless without ports is fine", svc("  clusterIP: None\n  selector:\n    app: a\n"), []],
  ["ExternalName without ports is fine", svc("  type: ExternalName\n  externalName: db.example.com\n"), []],
  ["port names required when >1 port", svc("  ports:\n  - name: a\n    port: 80\n  - port: 81\n"), ["spec.ports[1].name: Required value"]],
  ["unique port names", svc("  ports:\n  - name: a\n    port: 80\n  - name: a\n    port: 81\n"), [`spec.ports[1].name: Duplicate value: "a"`]],
  ["port name is a DNS label", svc("  ports:\n  - name: A_B\n    port: 80\n"), [`spec.ports[0].name: Invalid value: "A_B": ${DNS1123_LABEL}`]],
  [
    "port range (the defaulted targetPort follows it, as upstream reports)",
    svc("  ports:\n  - port: 0\n"),
    ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive", "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"],
  ],
  [
    "port missing",
    svc("  ports:\n  - name: web\n"),
    ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive", "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"],
  ],
  ["port range high", svc("  ports:\n  - port: 65536\n    targetPort: 80\n"), ["spec.ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive"]],
  ["protocol", svc("  ports:\n  - port: 80\n    protocol: ICMP\n"), [`spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"`]],
  ["targetPort number range", svc("  ports:\n  - port: 80\n    targetPort: 70000\n"), ["spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]],
  [
    "targetPort name too long",
    svc("  ports:\n  - port: 80\n    targetPort: abcdefghijklmnop\n"),
    [`spec.ports[0].targetPort: Invalid value: "abcdefghijklmnop": must be no more than 15 characters`],
  ],
  [
    "targetPort name syntax",
    svc("  ports:\n  - port: 80\n    targetPort: web--1\n"),
    [`spec.ports[0].targetPort: Invalid value: "web--1": must not contain consecutive hyphens`],
  ],
  ["targetPort name needs a letter", svc("  ports:\n  - port: 80\n    targetPort: '123'\n"), [`spec.ports[0].targetPort: Invalid value: "123": must contain at least one letter (a-z)`]],
  [
    "duplicate (protocol, port)",
    svc("  ports:\n  - name: a\n    port: 80\n  - name: b\n    port: 80\n"),
    [
      `spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
    ],
  ],
  ["same port, other protocol is fine", svc("  ports:\n  - name: a\n    port: 53\n  - name: b\n    port: 53\n    protocol: UDP\n"), []],
  ["nodePort forbidden on ClusterIP", svc("  ports:\n  - port: 80\n    nodePort: 30080\n"), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
  [
    "duplicate nodePort",
    svc("  type: NodePort\n  ports:\n  - name: a\n    port: 80\n    nodePort: 30080\n  - name: b\n    port: 81\n    nodePort: 30080\n"),
    ["spec.ports[1].nodePort: Duplicate value: 30080"],
  ],
  ["ExternalName requires externalName", svc("  type: ExternalName\n"), ["spec.externalName: Required value"]],
  ["externalName is a DNS subdomain", svc("  type: ExternalName\n  externalName: Not_A_Name\n"), [`spec.externalName: Invalid value: "Not_A_Name": ${DNS1123_SUBDOMAIN}`]],
  ["externalName may end in a dot", svc("  type: ExternalName\n  externalName: db.example.com.\n"), []],
  ["ExternalName has no clusterIP", svc("  type: ExternalName\n  externalName: a.b\n  clusterIP: 10.96.0.5\n"), ["spec.clusterIPs: Forbidden: may not be set for ExternalName services"]],
  ["clusterIP must be an IP", svc(`  clusterIP: 10.96.0.300\n${PORT80}`), [`spec.clusterIPs[0]: Invalid value: "10.96.0.300": ${BAD_IP}`]],
  ["clusterIP None with NodePort", svc(`  type: NodePort\n  clusterIP: None\n${PORT80}`), [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`]],
  ["clusterIPs must start with clusterIP", svc(`  clusterIP: 10.96.0.5\n  clusterIPs: [10.96.0.6]\n${PORT80}`), [`spec.clusterIPs: Invalid value: []string{"10.96.0.6"}: first value must match \`clusterIP\``]],
  [
    "session affinity timeout",
    svc(`  sessionAffinity: ClientIP\n  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 86401\n${PORT80}`),
    ["spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400"],
  ],
  [
    "session affinity timeout zero",
    svc(`  sessionAffinity: ClientIP\n  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 0\n${PORT80}`),
    ["spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400"],
  ],
  ["sessionAffinity value", svc(`  sessionAffinity: Sticky\n${PORT80}`), [`spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"`]],
  [
    "loadBalancerSourceRanges only on LoadBalancer",
    svc(`  loadBalancerSourceRanges: [10.0.0.0/8]\n${PORT80}`),
    ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"],
  ],
  [
    "loadBalancerSourceRanges are CIDRs",
    svc(`  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0]\n${PORT80}`),
    [`spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`],
  ],
  [
    "externalTrafficPolicy only on external types",
    svc(`  externalTrafficPolicy: Local\n${PORT80}`),
    [`spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services`],
  ],
  ["externalTrafficPolicy value", svc(`  type: NodePort\n  externalTrafficPolicy: Global\n${PORT80}`), [`spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"`]],
  ["externalIPs are IPs", svc(`  externalIPs: [not-an-ip]\n${PORT80}`), [`spec.externalIPs[0]: Invalid value: "not-an-ip": ${BAD_IP}`]],
  ["externalIPs not loopback", svc(`  externalIPs: [127.0.0.1]\n${PORT80}`), [`spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)`]],
  ["type", svc(`  type: Internal\n${PORT80}`), [`spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`]],
  ["selector labels", svc(`  selector:\n    "bad key!": x\n${PORT80}`), [
    `spec.selector: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  ]],
  // ---- Pod
  ["containers required", pod("  containers: []\n"), ["spec.containers: Required value"]],
  ["container name is a DNS label", pod("  containers:\n  - name: Web\n    image: x\n"), [`spec.containers[0].name: Invalid value: "Web": ${DNS1123_LABEL}`]],
  ["container names unique", pod("  containers:\n  - name: a\n    image: x\n  - name: a\n    image: y\n"), [`spec.containers[1].name: Duplicate value: "a"`]],
  ["container image required", pod("  containers:\n  - name: a\n"), ["spec.containers[0].image: Required value"]],
  [
    "containerPort range",
    pod("  containers:\n  - name: a\n    image: x\n    ports:\n    - containerPort: 70000\n"),
    ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"],
  ],
  ["containerPort required", pod("  containers:\n  - name: a\n    image: x\n    ports:\n    - name: http\n"), ["spec.containers[0].ports[0].containerPort: Required value"]],
  [
    "hostPort range",
    pod("  containers:\n  - name: a\n    image: x\n    ports:\n    - containerPort: 80\n      hostPort: 99999\n"),
    ["spec.containers[0].ports[0].hostPort: Invalid value: 99999: must be between 1 and 65535, inclusive"],
  ],
  [
    "container port name length",
    pod("  containers:\n  - name: a\n    image: x\n    ports:\n    - containerPort: 80\n      name: a-very-long-port-name\n"),
    [`spec.containers[0].ports[0].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters`],
  ],
  [
    "container port name charset",
    pod("  containers:\n  - name: a\n    image: x\n    ports:\n    - containerPort: 80\n      name: Http\n"),
    [`spec.containers[0].ports[0].name: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`],
  ],
  [
    "container port names unique",
    pod("  containers:\n  - name: a\n    image: x\n    ports:\n    - containerPort: 80\n      name: web\n    - containerPort: 81\n      name: web\n"),
    [`spec.containers[0].ports[1].name: Duplicate value: "web"`],
  ],
  [
    "dnsPolicy",
    pod("  dnsPolicy: ClusterLast\n  containers:\n  - name: a\n    image: x\n"),
    [`spec.dnsPolicy: Unsupported value: "ClusterLast": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"`],
  ],
  ["dnsPolicy None needs dnsConfig", pod("  dnsPolicy: None\n  containers:\n  - name: a\n    image: x\n"), ["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"]],
  [
    "dnsPolicy None needs a nameserver",
    pod("  dnsPolicy: None\n  dnsConfig:\n    searches: [a.b]\n  containers:\n  - name: a\n    image: x\n"),
    ["spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None"],
  ],
  [
    "at most 3 nameservers",
    pod("  dnsConfig:\n    nameservers: [1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4]\n  containers:\n  - name: a\n    image: x\n"),
    [`spec.dnsConfig.nameservers: Invalid value: []string{"1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"}: must not have more than 3 nameservers`],
  ],
  ["nameservers are IPs", pod("  dnsConfig:\n    nameservers: [dns.local]\n  containers:\n  - name: a\n    image: x\n"), [`spec.dnsConfig.nameservers[0]: Invalid value: "dns.local": ${BAD_IP}`]],
  ["hostname is a DNS label", pod("  hostname: a.b\n  containers:\n  - name: a\n    image: x\n"), [`spec.hostname: Invalid value: "a.b": must not contain dots`]],
  ["subdomain is a DNS label", pod("  subdomain: Sub\n  containers:\n  - name: a\n    image: x\n"), [`spec.subdomain: Invalid value: "Sub": ${DNS1123_LABEL}`]],
  [
    "restartPolicy",
    pod("  restartPolicy: Sometimes\n  containers:\n  - name: a\n    image: x\n"),
    [`spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`],
  ],
  [
    "hostNetwork Pod: hostPort must match containerPort",
    pod("  hostNetwork: true\n  containers:\n  - name: a\n    image: x\n    ports:\n    - containerPort: 80\n      hostPort: 8080\n"),
    ["spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true"],
  ],
  ["hostNetwork Pod: hostPort defaults to containerPort", pod("  hostNetwork: true\n  containers:\n  - name: a\n    image: x\n    ports:\n    - containerPort: 80\n"), []],
  // ---- workloads
  [
    "deployment selector required",
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      containers:\n      - name: c\n        image: x\n`,
    ["spec.selector: Required value"],
  ],
  [
    "deployment selector must match template labels",
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector:\n    matchLabels:\n      app: a\n  template:\n    metadata:\n      labels:\n        app: b\n    spec:\n      containers:\n      - name: c\n        image: x\n`,
    ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`'],
  ],
  [
    "deployment empty selector",
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector: {}\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n`,
    ["spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for deployment"],
  ],
  [
    "deployment replicas non-negative",
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: -1\n  selector:\n    matchLabels:\n      app: a\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      containers:\n      - name: c\n        image: x\n`,
    ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
  ],
  [
    "template validated as a Pod spec",
    `apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n      - name: c\n        image: x\n        ports:\n        - containerPort: 0\n`,
    ["spec.template.spec.containers[0].ports[0].containerPort: Required value"],
  ],
  [
    "replicaset template restartPolicy",
    `apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: r\nspec:\n  selector:\n    matchLabels:\n      app: a\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: x\n`,
    [`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`],
  ],
  [
    "daemonset selector expression",
    `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ds\nspec:\n  selector:\n    matchExpressions:\n    - key: app\n      operator: In\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      containers:\n      - name: c\n        image: x\n`,
    ["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"],
  ],
  [
    "deployment selector expression (also unparsable)",
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector:\n    matchExpressions:\n    - key: app\n      operator: In\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      containers:\n      - name: c\n        image: x\n`,
    [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:app,Operator:In,Values:[],},},}: invalid label selector",
    ],
  ],
  [
    "daemonset without a selector matches no labels",
    `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ds\nspec:\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      containers:\n      - name: c\n        image: x\n`,
    ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`'],
  ],
  // ---- Ingress
  [
    "pathType required",
    ing(`  rules:\n  - http:\n      paths:\n      - path: /\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n`),
    ["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"],
  ],
  ["Prefix path must be absolute", ingPath("foo"), [`spec.rules[0].http.paths[0].path: Invalid value: "foo": must be an absolute path`]],
  ["no //", ingPath("/a//b"), [`spec.rules[0].http.paths[0].path: Invalid value: "/a//b": must not contain '//'`]],
  ["no /./", ingPath("/a/./b"), [`spec.rules[0].http.paths[0].path: Invalid value: "/a/./b": must not contain '/./'`]],
  ["no /../", ingPath("/a/../b"), [`spec.rules[0].http.paths[0].path: Invalid value: "/a/../b": must not contain '/../'`]],
  ["no %2f", ingPath("/a%2fb"), [`spec.rules[0].http.paths[0].path: Invalid value: "/a%2fb": must not contain '%2f'`]],
  ["no %2F", ingPath("/a%2Fb"), [`spec.rules[0].http.paths[0].path: Invalid value: "/a%2Fb": must not contain '%2F'`]],
  ["no trailing /..", ingPath("/a/.."), [`spec.rules[0].http.paths[0].path: Invalid value: "/a/..": cannot end with '/..'`]],
  [
    "pathType value",
    ing(`  rules:\n  - http:\n      paths:\n      - path: /\n        pathType: Regex\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n`),
    [`spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"`],
  ],
  [
    "host is not an IP",
    ing(`  rules:\n  - host: 10.0.0.1\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n`),
    [`spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address`],
  ],
  [
    "wildcard host form",
    ing(`  rules:\n  - host: "foo.*.com"\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n`),
    [
      `spec.rules[0].host: Invalid value: "foo.*.com": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
  ],
  [
    "leading wildcard host is fine",
    ing(`  rules:\n  - host: "*.foo.com"\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n`),
    [],
  ],
  ["defaultBackend or rules", ing("  tls: []\n"), ["spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"]],
  [
    "backend needs service or resource",
    ing("  defaultBackend: {}\n"),
    [`spec.defaultBackend: Invalid value: "": resource or service backend is required`],
  ],
  [
    "backend not both",
    ing("  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n    resource:\n      kind: Bucket\n      name: b\n"),
    [`spec.defaultBackend: Invalid value: "": cannot set both resource and service backends`],
  ],
  [
    "service port name xor number",
    ing("  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n        name: http\n"),
    [`spec.defaultBackend: Invalid value: "": cannot set both port name & port number`],
  ],
  ["service port required", ing("  defaultBackend:\n    service:\n      name: web\n      port: {}\n"), ["spec.defaultBackend: Required value: port name or number is required"]],
  [
    "service port number range",
    ing("  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 70000\n"),
    ["spec.defaultBackend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive"],
  ],
  [
    "backend service name",
    ing("  defaultBackend:\n    service:\n      name: Web\n      port:\n        number: 80\n"),
    [`spec.defaultBackend.service.name: Invalid value: "Web": ${DNS1035}`],
  ],
  [
    "v1beta1 converts and then validates",
    `apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata:\n  name: old\nspec:\n  backend:\n    serviceName: web\n    servicePort: 0\n`,
    [`spec.defaultBackend: Required value: port name or number is required`],
  ],
  // ---- IngressClass, NetworkPolicy, ConfigMap, Endpoints, EndpointSlice
  ["IngressClass controller required", `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\nspec: {}\n`, ["spec.controller: Required value"]],
  [
    "IngressClass controller domain-prefixed",
    `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\nspec:\n  controller: nginx\n`,
    [`spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")`],
  ],
  [
    "NetworkPolicy peer required",
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - {}\n`,
    ["spec.ingress[0].from[0]: Required value: must specify a peer"],
  ],
  [
    "NetworkPolicy ipBlock except subset",
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/16\n        except: [10.1.0.0/24]\n`,
    [`spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of \`cidr\``],
  ],
  [
    "NetworkPolicy port protocol",
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - protocol: ICMP\n      port: 80\n`,
    [`spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"`],
  ],
  [
    "NetworkPolicy ipBlock with another peer",
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n      podSelector: {}\n`,
    ["spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer"],
  ],
  [
    "NetworkPolicy endPort with a named port",
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  egress:\n  - ports:\n    - port: dns\n      endPort: 60\n`,
    ["spec.egress[0].ports[0].endPort: Invalid value: 60: may not be specified when `port` is non-numeric"],
  ],
  [
    "NetworkPolicy policyTypes",
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Sideways]\n`,
    [`spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"`],
  ],
  [
    "IngressClass parameters need a scope",
    `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\nspec:\n  controller: k8s.io/ingress-nginx\n  parameters:\n    kind: Config\n    name: c\n`,
    ["spec.parameters.scope: Required value"],
  ],
  [
    "Ingress class annotation must agree with ingressClassName",
    `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  annotations:\n    kubernetes.io/ingress.class: nginx\nspec:\n  ingressClassName: traefik\n  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n`,
    [`annotations.kubernetes.io/ingress.class: Invalid value: "nginx": must match \`ingressClassName\` when both are specified`],
  ],
  [
    "Ingress TLS hosts",
    ing("  tls:\n  - hosts: [\"*.ok.com\", \"bad_host\"]\n  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n"),
    [`spec.tls[0].hosts[1]: Invalid value: "bad_host": ${DNS1123_SUBDOMAIN}`],
  ],
  [
    "ConfigMap keys",
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  "a b": x\n`,
    [`data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`],
  ],
  [
    "Endpoints addresses are IPs",
    `apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: e\nsubsets:\n- addresses:\n  - ip: 10.0.0.999\n  ports:\n  - port: 80\n`,
    [`subsets[0].addresses[0].ip: Invalid value: "10.0.0.999": ${BAD_IP}`],
  ],
  [
    "Endpoints need addresses",
    `apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: e\nsubsets:\n- ports:\n  - port: 80\n`,
    ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"],
  ],
  [
    "EndpointSlice IPv4 addresses",
    `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: e\naddressType: IPv4\nendpoints:\n- addresses: ["fd00::1"]\nports:\n- port: 80\n`,
    [`endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address`],
  ],
  [
    "EndpointSlice port names unique",
    `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: e\naddressType: IPv4\nendpoints:\n- addresses: ["10.0.0.1"]\nports:\n- name: http\n  port: 80\n- name: http\n  port: 81\n`,
    [`ports[1].name: Duplicate value: "http"`],
  ],
  [
    "EndpointSlice addresses are not special",
    `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: e\naddressType: IPv4\nendpoints:\n- addresses: ["169.254.169.254"]\n`,
    [`endpoints[0].addresses[0]: Invalid value: "169.254.169.254": may not be in the link-local range (169.254.0.0/16, fe80::/10)`],
  ],
];

test("invalid manifests give upstream's field paths and messages", () => {
  for (const [name, manifest, want] of CASES) {
    const r = decodeManifests(manifest, "x.yaml");
    const got = r.errors.map((e) => `${e.field}: ${e.message}`);
    assert.deepEqual(got, want, `${name}\n${manifest}`);
    assert.equal(r.objects.length, want.length === 0 ? 1 : 0, `${name}: objects with errors are left out`);
  }
});

test("update rules: clusterIPs may not change, ExternalName switch allowed", () => {
  const base = applyDefaults({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { clusterIP: "10.96.0.10", ports: [{ port: 80 }] } } as KubeObject);
  const changed = structuredClone(base) as KubeObject & { spec: { clusterIP: string; clusterIPs: string[] } };
  changed.spec.clusterIP = "10.96.0.11";
  changed.spec.clusterIPs = ["10.96.0.11"];
  assert.deepEqual(validateObject(changed, base).map(formatFieldError), [`spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set`]);
  assert.deepEqual(validateObject(base, base), []);
  const ext = applyDefaults({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { type: "ExternalName", externalName: "a.example.com" } } as KubeObject);
  assert.deepEqual(validateObject(ext, base).map(formatFieldError), []);
  const renamed = structuredClone(base);
  renamed.metadata.name = "t";
  assert.deepEqual(validateObject(renamed, base).map(formatFieldError), [`metadata.name: Invalid value: "t": field is immutable`]);
});

test("workload update rules", () => {
  const tmpl = { metadata: { labels: { app: "a", v: "1" } }, spec: { containers: [{ name: "c", image: "x" }] } };
  const d = applyDefaults({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { selector: { matchLabels: { app: "a" } }, template: tmpl } } as KubeObject);
  const d2 = structuredClone(d) as KubeObject & { spec: { selector: unknown; replicas: number } };
  d2.spec.replicas = 5;
  assert.deepEqual(validateObject(d2, d), []);
  d2.spec.selector = { matchLabels: { app: "a", v: "1" } };
  assert.deepEqual(validateObject(d2, d).map(formatFieldError), ["spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{app: a,v: 1,},MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable"]);
  const ss = applyDefaults({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "db" }, spec: { serviceName: "db", selector: { matchLabels: { app: "a" } }, template: tmpl } } as KubeObject);
  const ss2 = structuredClone(ss) as KubeObject & { spec: { serviceName: string; replicas: number } };
  ss2.spec.replicas = 3;
  assert.deepEqual(validateObject(ss2, ss), []);
  ss2.spec.serviceName = "other";
  assert.deepEqual(validateObject(ss2, ss).map(formatFieldError), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
});

test("errors format as FILE (document N): FIELD: MESSAGE", () => {
  const r = decodeManifests(`${svc(PORT80, "a")}---\n${svc("  ports:\n  - port: 0\n    targetPort: 8080\n", "b")}`, "examples/x.yaml");
  assert.deepEqual(r.errors.map(formatManifestError), ["examples/x.yaml (document 2): spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"]);
  assert.equal(r.objects.length, 1);
});
