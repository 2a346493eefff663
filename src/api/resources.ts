// The resource types the API serves, as upstream discovery names them. One table is the
// source of truth for decoding, the REST paths, discovery documents and the CLI's KIND words.

export interface ResourceType {
  group: string; // "" for core
  version: string; // the storage and served version
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Has a /status subresource: status is written there, not through the main resource. */
  hasStatus: boolean;
  verbs: string[];
}

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function r(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  shortNames: string[] = [],
  categories: string[] = [],
  hasStatus = false,
): ResourceType {
  return { group, version, kind, plural, singular: kind.toLowerCase(), namespaced, shortNames, categories, hasStatus, verbs: VERBS };
}

export const RESOURCES: readonly ResourceType[] = [
  r("", "v1", "Namespace", "namespaces", false, ["ns"], [], true),
  r("", "v1", "Node", "nodes", false, ["no"], [], true),
  r("", "v1", "Pod", "pods", true, ["po"], ["all"], true),
  r("", "v1", "Service", "services", true, ["svc"], ["all"], true),
  r("", "v1", "Endpoints", "endpoints", true, ["ep"]),
  r("", "v1", "ConfigMap", "configmaps", true, ["cm"]),
  r("", "v1", "Secret", "secrets", true),
  r("", "v1", "Event", "events", true, ["ev"]),
  r("apps", "v1", "Deployment", "deployments", true, ["deploy"], ["all"], true),
  r("apps", "v1", "ReplicaSet", "replicasets", true, ["rs"], ["all"], true),
  r("apps", "v1", "StatefulSet", "statefulsets", true, ["sts"], ["all"], true),
  r("apps", "v1", "DaemonSet", "daemonsets", true, ["ds"], ["all"], true),
  r("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true),
  r("networking.k8s.io", "v1", "Ingress", "ingresses", true, ["ing"], [], true),
  r("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false),
  r("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, ["netpol"]),
];

/** Versions accepted on input and converted to the served version (see api/conversion). */
export const CONVERTED_VERSIONS: Record<string, string> = {
  "networking.k8s.io/v1beta1/Ingress": "networking.k8s.io/v1",
  "extensions/v1beta1/Ingress": "networking.k8s.io/v1",
};

export function apiVersionOf(t: ResourceType): string {
  return t.group === "" ? t.version : `${t.group}/${t.version}`;
}

const byKind = new Map(RESOURCES.map((t) => [t.kind, t]));

export function resourceForKind(kind: string): ResourceType | undefined {
  return byKind.get(kind);
}

/** kubectl-style lookup: kind, plural, singular or short name, case-insensitive, optionally `plural.group`. */
export function resourceForName(word: string): ResourceType | undefined {
  const w = word.toLowerCase();
  for (const t of RESOURCES) {
    const full = t.group ? `${t.plural}.${t.group}` : t.plural;
    if (t.kind.toLowerCase() === w || t.plural === w || t.singular === w || t.shortNames.includes(w) || full === w) return t;
  }
  return undefined;
}

export function resourceForPath(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCES.find((t) => t.group === group && t.version === version && t.plural === plural);
}
