// Discovery documents as the API server serves them (pure): /api, /apis, /apis/<g>,
// and the APIResourceList of each group version, with shortNames, categories, verbs.
import { RESOURCES, type ResourceType } from "../api/resources.js";

/** Subresources served besides status: scale for the workloads kubectl scales. */
export const SCALABLE = new Set(["Deployment", "ReplicaSet", "StatefulSet"]);

export function groups(): string[] {
  return [...new Set(RESOURCES.filter((t) => t.group !== "").map((t) => t.group))];
}

function versionsOf(group: string): string[] {
  return [...new Set(RESOURCES.filter((t) => t.group === group).map((t) => t.version))];
}

export function apiVersions(serverAddress: string): unknown {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

function apiGroup(group: string): unknown {
  const versions = versionsOf(group).map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): unknown {
  return { kind: "APIGroupList", apiVersion: "v1", groups: groups().map(apiGroup) };
}

export function apiGroupDoc(group: string): unknown {
  return { kind: "APIGroup", apiVersion: "v1", ...(apiGroup(group) as object) };
}

function resourceEntry(t: ResourceType): Record<string, unknown> {
  const e: Record<string, unknown> = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.verbs,
  };
  if (t.shortNames.length) e.shortNames = t.shortNames;
  if (t.categories.length) e.categories = t.categories;
  return e;
}

export function apiResourceList(group: string, version: string): unknown {
  const resources: unknown[] = [];
  for (const t of RESOURCES.filter((x) => x.group === group && x.version === version)) {
    resources.push(resourceEntry(t));
    if (t.hasStatus) resources.push({ name: `${t.plural}/status`, singularName: "", namespaced: t.namespaced, kind: t.kind, verbs: ["get", "patch", "update"] });
    if (SCALABLE.has(t.kind)) {
      resources.push({ name: `${t.plural}/scale`, singularName: "", namespaced: t.namespaced, group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}
