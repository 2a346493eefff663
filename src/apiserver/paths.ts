// Parses a Kubernetes REST path into what it addresses (pure).
import { RESOURCES, type ResourceType } from "../api/resources.js";

export type ApiPath =
  | { type: "discovery"; doc: "api" | "apis" | "core" | "group" | "groupVersion"; group?: string; version?: string }
  | { type: "resource"; resource: ResourceType; namespace?: string; name?: string; subresource?: string }
  | { type: "unknown" };

function lookup(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function parseApiPath(pathname: string): ApiPath {
  const segs = pathname.split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === "api") {
    if (segs.length === 1) return { type: "discovery", doc: "api" };
    if (segs[1] !== "v1") return { type: "unknown" };
    if (segs.length === 2) return { type: "discovery", doc: "core", group: "", version: "v1" };
    group = "";
    version = "v1";
    rest = segs.slice(2);
  } else if (segs[0] === "apis") {
    if (segs.length === 1) return { type: "discovery", doc: "apis" };
    const g = segs[1];
    if (!RESOURCES.some((t) => t.group === g)) return { type: "unknown" };
    if (segs.length === 2) return { type: "discovery", doc: "group", group: g };
    const v = segs[2];
    if (!RESOURCES.some((t) => t.group === g && t.version === v)) return { type: "unknown" };
    if (segs.length === 3) return { type: "discovery", doc: "groupVersion", group: g, version: v };
    group = g;
    version = v;
    rest = segs.slice(3);
  } else {
    return { type: "unknown" };
  }
  // namespaces/<ns>/<plural>[/<name>[/<sub>]] addresses namespaced resources; everything else
  // starts with the plural (cluster-scoped resources, all-namespace lists, and namespaces itself).
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const t = lookup(group, version, rest[2]);
    if (!t || !t.namespaced || rest.length > 5) return { type: "unknown" };
    return { type: "resource", resource: t, namespace: rest[1], name: rest[3], subresource: rest[4] };
  }
  const t = lookup(group, version, rest[0]);
  if (!t || rest.length > 3) return { type: "unknown" };
  if (t.namespaced && rest.length > 1) return { type: "unknown" };
  return { type: "resource", resource: t, name: rest[1], subresource: rest[2] };
}
