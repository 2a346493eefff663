// A minimal OpenAPI v3 discovery (pure): the index at /openapi/v3 and one document per group
// version whose PATCH operations carry the group-version-kind and the `fieldValidation`
// query parameter. That is what kubectl (1.27+) checks to learn that the server validates
// fields itself, so `kubectl apply`/`create` skip client-side schema validation instead of
// failing with "failed to download openapi". No schemas are served yet: kubectl then
// computes strategic merge patches from its compiled-in types, as it does for built-in kinds.
import { RESOURCES, type ResourceType } from "../api/resources.js";
import { createHash } from "node:crypto";

function gvPath(t: Pick<ResourceType, "group" | "version">): string {
  return t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`;
}

function groupVersions(): string[] {
  return [...new Set(RESOURCES.map(gvPath))];
}

export function openapiDoc(gv: string): unknown | undefined {
  const types = RESOURCES.filter((t) => gvPath(t) === gv);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const params = [
    { name: "dryRun", in: "query", schema: { type: "string", uniqueItems: true } },
    { name: "fieldManager", in: "query", schema: { type: "string", uniqueItems: true } },
    { name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } },
  ];
  for (const t of types) {
    const base = t.namespaced ? `/${gv}/namespaces/{namespace}/${t.plural}/{name}` : `/${gv}/${t.plural}/{name}`;
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const op = (verb: string) => ({
      operationId: `${verb}${t.kind}`,
      "x-kubernetes-action": verb,
      "x-kubernetes-group-version-kind": gvk,
      parameters: params,
      responses: { "200": { description: "OK" } },
    });
    paths[base] = { get: op("get"), put: op("put"), patch: op("patch"), delete: op("delete") };
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.33.0" }, paths, components: { schemas: {} } };
}

export function openapiIndex(): unknown {
  const paths: Record<string, unknown> = {};
  for (const gv of groupVersions()) {
    const hash = createHash("sha512").update(JSON.stringify(openapiDoc(gv))).digest("hex").slice(0, 32).toUpperCase();
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return { paths };
}

// ---------------------------------------------------------------- OpenAPI v2

/** The v2 document kubectl 1.27 insists on downloading: no definitions, so it validates nothing itself. */
export function openapiV2JSON(): unknown {
  return { swagger: "2.0", info: { title: "Kubernetes", version: "v1.33.0" }, paths: {} };
}

function pbString(field: number, s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
}

function pbMessage(field: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, body.length]), body]);
}

/** The same document in gnostic's openapi_v2.Document protobuf (swagger=1, info=2 {title=1, version=2}, paths=8). */
export function openapiV2Protobuf(): Buffer {
  return Buffer.concat([pbString(1, "2.0"), pbMessage(2, Buffer.concat([pbString(1, "Kubernetes"), pbString(2, "v1.33.0")])), pbMessage(8, Buffer.alloc(0))]);
}
