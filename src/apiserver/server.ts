// The Kubernetes REST API over HTTPS on loopback: discovery, CRUD for every kind in
// api/resources.ts at upstream's paths, watch streams, merge and strategic merge patch,
// the status and scale subresources, dryRun, Status errors, bearer-token auth, and a
// kubeconfig for the user. Everything behind the socket is the Registry.
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { KubeObject, WatchEvent } from "../api/types.js";
import { apiVersionOf, type ResourceType } from "../api/resources.js";
import { StatusError, statusError, type Status } from "../api/status.js";
import type { Registry } from "./registry.js";
import { parseApiPath } from "./paths.js";
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, SCALABLE } from "./discovery.js";
import { ensureServingCerts } from "./certs.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { mergePatch } from "./merge-patch.js";
import { strategicMergePatch } from "./strategic-merge.js";
import { openapiDoc, openapiIndex, openapiV2JSON, openapiV2Protobuf } from "./openapi.js";
import { jsonPatch } from "./json-patch.js";
import { decodeKubernetesProtobuf, ProtobufError } from "./protobuf.js";
import { wantsTable, toTable, watchEventTable } from "./table.js";

export interface ApiServerOptions {
  registry: Registry;
  /** Loopback only; anything else is refused. */
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** Certificates, token and kubeconfig live here. */
  dataDir: string;
  /** Cluster/user/context name in the kubeconfig. */
  name?: string;
  /** Where to write the kubeconfig (default <dataDir>/kubeconfig). */
  kubeconfigPath?: string;
}

export interface ApiServer {
  url: string;
  kubeconfigPath: string;
  token: string;
  caPem: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 3 * 1024 * 1024;
const VERSION = { major: "1", minor: "33", gitVersion: "v1.33.0-netlab", gitCommit: "", gitTreeState: "clean", buildDate: "2026-01-01T00:00:00Z", goVersion: "node", compiler: "tsc", platform: "linux/amd64" };
const PUBLIC = new Set(["/healthz", "/livez", "/readyz", "/version", "/version/"]);

function loopback(host: string): boolean {
  return host === "127.0.0.1" || host === "::1" || host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function readOrCreateToken(dataDir: string): string {
  const p = join(dataDir, "token");
  if (existsSync(p)) {
    const t = readFileSync(p, "utf8").trim();
    if (t) return t;
  }
  const t = randomBytes(32).toString("base64url");
  writeFileSync(p, t + "\n", { mode: 0o600 });
  chmodSync(p, 0o600);
  return t;
}

// ---------------------------------------------------------------- responses

function sendJSON(res: ServerResponse, code: number, body: unknown): void {
  const s = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(s), "Cache-Control": "no-cache, private" });
  res.end(s);
}

function sendStatus(res: ServerResponse, e: unknown): void {
  let st: Status;
  if (e instanceof StatusError) st = e.status;
  else st = statusError(500, "InternalError", `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`).status;
  if (!res.headersSent) sendJSON(res, st.code, st);
  else res.end();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on("data", (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(statusError(413, "RequestEntityTooLarge", `Request entity too large: limit is ${MAX_BODY}`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Body media types read as JSON (patch bodies have their own types, checked by the PATCH handler). */
const JSON_BODIES = new Set(["application/json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml"]);

async function readJSON(req: IncomingMessage): Promise<unknown> {
  const mt = mediaType(req);
  if (mt === "application/vnd.kubernetes.protobuf" && (req.method === "POST" || req.method === "PUT")) {
    // kubectl 1.32+ sends its generators' objects (create configmap/deployment/...) as protobuf.
    try {
      return decodeKubernetesProtobuf(await readBody(req));
    } catch (e) {
      if (e instanceof ProtobufError) throw statusError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json (${e.message})`);
      throw e;
    }
  }
  if (!JSON_BODIES.has(mt)) {
    req.resume();
    throw statusError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json`);
  }
  const buf = await readBody(req);
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString("utf8"));
  } catch (e) {
    throw statusError(400, "BadRequest", `the body of the request could not be decoded as JSON: ${(e as Error).message}`);
  }
}

function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "application/json").split(";")[0].trim().toLowerCase();
}

function dryRunOf(q: URLSearchParams): boolean {
  const v = q.getAll("dryRun");
  if (v.length === 0) return false;
  for (const x of v) if (x !== "All") throw statusError(400, "BadRequest", `Invalid dryRun value: ${JSON.stringify(v)}: valid values are "All"`);
  return true;
}

// ---------------------------------------------------------------- the server

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { registry } = opts;
  const host = opts.host ?? "127.0.0.1";
  if (!loopback(host)) throw new Error(`the API server listens on loopback only (got host ${host})`);
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const kubernetesIP = registry.allocations.ips.firstAddress();
  const certs = ensureServingCerts(join(opts.dataDir, "pki"), { ips: [kubernetesIP], clusterDomain: registry.settings.clusterDomain });
  const token = readOrCreateToken(opts.dataDir);
  const tokenBuf = Buffer.from(token);
  const watches = new Set<() => void>();

  const authorized = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (!m) return false;
    const got = Buffer.from(m[1].trim());
    return got.length === tokenBuf.length && timingSafeEqual(got, tokenBuf);
  };

  let serverAddress = `${host}:${opts.port ?? 6443}`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "https://x");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (!PUBLIC.has(path) && !authorized(req)) {
      sendJSON(res, 401, statusError(401, "Unauthorized", "Unauthorized").status);
      return;
    }
    const method = req.method ?? "GET";
    if (path === "/healthz" || path === "/livez" || path === "/readyz") {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("ok");
      return;
    }
    if (path === "/version") return sendJSON(res, 200, VERSION);
    if (path === "/openapi/v2" || path === "/swagger-2.0.0.pb-v1") {
      if (/protobuf/.test(req.headers.accept ?? "") || path !== "/openapi/v2") {
        const pb = openapiV2Protobuf();
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": pb.length });
        res.end(pb);
        return;
      }
      return sendJSON(res, 200, openapiV2JSON());
    }
    if (path === "/openapi/v3") return sendJSON(res, 200, openapiIndex());
    if (path.startsWith("/openapi/v3/")) {
      const doc = openapiDoc(path.slice("/openapi/v3/".length));
      if (doc) return sendJSON(res, 200, doc);
    }
    const p = parseApiPath(path);
    if (p.type === "unknown") {
      sendJSON(res, 404, statusError(404, "NotFound", "the server could not find the requested resource").status);
      return;
    }
    if (p.type === "discovery") {
      if (method !== "GET") throw statusError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`);
      // Plain (unaggregated) discovery documents; kubectl falls back to them when the
      // response is not the aggregated APIGroupDiscoveryList it asked for first.
      switch (p.doc) {
        case "api":
          return sendJSON(res, 200, apiVersions(serverAddress));
        case "apis":
          return sendJSON(res, 200, apiGroupList());
        case "group":
          return sendJSON(res, 200, apiGroupDoc(p.group!));
        default:
          return sendJSON(res, 200, apiResourceList(p.group ?? "", p.version ?? "v1"));
      }
    }
    const t = p.resource;
    const q = url.searchParams;
    const ns = p.namespace;
    if (p.subresource && !(p.subresource === "status" && t.hasStatus) && !(p.subresource === "scale" && SCALABLE.has(t.kind))) {
      throw statusError(404, "NotFound", "the server could not find the requested resource");
    }
    if (!p.name) return collection(req, res, t, ns, q, method);
    return single(req, res, t, ns, p.name, p.subresource, q, method);
  };

  /** Every API answer waits until what it shows is durable (group commit, see the store). */
  const reply = async (res: ServerResponse, code: number, body: unknown) => {
    await registry.store.sync();
    sendJSON(res, code, body);
  };

  const collection = async (req: IncomingMessage, res: ServerResponse, t: ResourceType, ns: string | undefined, q: URLSearchParams, method: string) => {
    switch (method) {
      case "GET": {
        const watch = q.get("watch");
        if (watch === "true" || watch === "1") return serveWatch(req, res, t, ns, q);
        const labelSelector = q.get("labelSelector") ?? undefined;
        const fieldSelector = q.get("fieldSelector") ?? undefined;
        if (wantsTable(req.headers.accept)) {
          const list = await registry.list(t.kind, { namespace: ns, labelSelector, fieldSelector });
          return reply(res, 200, toTable(t, list.items, list.metadata.resourceVersion ?? "", q.get("includeObject")));
        }
        if (!labelSelector && !fieldSelector) {
          // Fast path: forward the stored JSON without parsing it.
          const raw = registry.store.listRaw(t.kind, { namespace: t.namespaced ? ns : undefined });
          const body = `{"kind":"${t.kind}List","apiVersion":"${apiVersionOf(t)}","metadata":{"resourceVersion":"${raw.resourceVersion}"},"items":[${raw.items.join(",")}]}`;
          return reply(res, 200, body);
        }
        return reply(res, 200, await registry.list(t.kind, { namespace: ns, labelSelector, fieldSelector }));
      }
      case "POST": {
        if (t.namespaced && ns === undefined) throw statusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        const body = await readJSON(req);
        const obj = checkBody(body, t, ns);
        const created = registry.createSync(obj, { dryRun: dryRunOf(q), fieldManager: q.get("fieldManager") ?? undefined });
        return reply(res, 201, created);
      }
      case "DELETE": {
        // deletecollection
        const dryRun = dryRunOf(q);
        const list = await registry.list(t.kind, { namespace: ns, labelSelector: q.get("labelSelector") ?? undefined, fieldSelector: q.get("fieldSelector") ?? undefined });
        const items: KubeObject[] = [];
        for (const o of list.items) {
          try {
            items.push(registry.deleteSync({ kind: t.kind, namespace: o.metadata.namespace, name: o.metadata.name! }, { dryRun }));
          } catch (e) {
            if (!(e instanceof StatusError && e.reason === "NotFound")) throw e;
          }
        }
        return reply(res, 200, { kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata: { resourceVersion: registry.store.currentResourceVersion() }, items });
      }
      default:
        throw statusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }
  };

  const checkBody = (body: unknown, t: ResourceType, ns: string | undefined, name?: string): KubeObject => {
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw statusError(400, "BadRequest", "the body of the request must be a JSON object");
    const o = body as KubeObject;
    if (o.kind !== undefined && o.kind !== t.kind) {
      throw statusError(400, "BadRequest", `the kind in the data (${String(o.kind)}) does not match the expected kind (${t.kind})`);
    }
    if (o.apiVersion !== undefined && o.apiVersion !== apiVersionOf(t)) {
      throw statusError(400, "BadRequest", `the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`);
    }
    o.kind = t.kind;
    o.apiVersion = apiVersionOf(t);
    if (o.metadata === undefined) o.metadata = {};
    if (o.metadata === null || typeof o.metadata !== "object") throw statusError(400, "BadRequest", "metadata must be an object");
    if (t.namespaced) {
      if (o.metadata.namespace && ns && o.metadata.namespace !== ns) {
        throw statusError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
      }
      if (ns) o.metadata.namespace = ns;
    }
    if (name !== undefined) {
      if (o.metadata.name && o.metadata.name !== name) throw statusError(400, "BadRequest", `the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
      o.metadata.name = name;
    }
    return o;
  };

  const single = async (req: IncomingMessage, res: ServerResponse, t: ResourceType, ns: string | undefined, name: string, sub: string | undefined, q: URLSearchParams, method: string) => {
    const key = { kind: t.kind, namespace: ns, name };
    const dryRun = () => dryRunOf(q);
    if (sub === "scale") return scale(req, res, t, key, method, dryRun);
    switch (method) {
      case "GET": {
        const o = await registry.get(key);
        if (wantsTable(req.headers.accept)) return reply(res, 200, toTable(t, [o], o.metadata.resourceVersion ?? "", q.get("includeObject")));
        return reply(res, 200, o);
      }
      case "PUT": {
        const obj = checkBody(await readJSON(req), t, ns, name);
        const out = sub === "status" ? registry.updateStatusSync(obj, { dryRun: dryRun() }) : registry.updateSync(obj, { dryRun: dryRun() });
        return reply(res, 200, out);
      }
      case "PATCH": {
        const apply = patchFunction(req, t);
        const patch = await readJSON(req);
        const out = registry.patchSync(key, patch, { dryRun: dryRun(), subresource: sub === "status" ? "status" : undefined }, apply);
        return reply(res, 200, out);
      }
      case "DELETE": {
        const body = (await readJSON(req)) as { propagationPolicy?: string; orphanDependents?: boolean; preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: string[]; gracePeriodSeconds?: number } | undefined;
        const graceText = q.get("gracePeriodSeconds");
        const grace = graceText !== null ? Number(graceText) : body?.gracePeriodSeconds;
        let policy = q.get("propagationPolicy") ?? body?.propagationPolicy;
        if (body?.orphanDependents === true || q.get("orphanDependents") === "true") policy = policy ?? "Orphan";
        if (policy !== undefined && policy !== "Background" && policy !== "Foreground" && policy !== "Orphan") {
          throw statusError(400, "BadRequest", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
        }
        const isDry = dryRun() || (Array.isArray(body?.dryRun) && body!.dryRun.includes("All"));
        const gone = registry.deleteSync(key, { dryRun: isDry, propagationPolicy: policy as "Background" | "Foreground" | "Orphan" | undefined, preconditions: body?.preconditions, gracePeriodSeconds: grace });
        return reply(res, 200, gone);
      }
      default:
        throw statusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }
  };

  const patchFunction = (req: IncomingMessage, t: ResourceType): ((old: unknown, patch: unknown) => unknown) => {
    const mt = mediaType(req);
    if (mt === "application/merge-patch+json") return mergePatch;
    if (mt === "application/strategic-merge-patch+json") return (old, patch) => strategicMergePatch(t.kind, old, patch);
    if (mt === "application/json-patch+json") return jsonPatch;
    throw statusError(
      415,
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (server-side apply, ${mt}, is not supported yet)`,
    );
  };

  /** The autoscaling/v1 Scale view of a workload. */
  const scaleOf = (o: KubeObject) => {
    const spec = (o.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
    const status = (o.status ?? {}) as { replicas?: number };
    const sel = Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
    return {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: spec.replicas ?? 1 },
      status: { replicas: status.replicas ?? 0, selector: sel },
    };
  };

  const scale = async (req: IncomingMessage, res: ServerResponse, t: ResourceType, key: { kind: string; namespace?: string; name: string }, method: string, dryRun: () => boolean) => {
    const current = await registry.get(key);
    if (method === "GET") return reply(res, 200, scaleOf(current));
    let next: { spec?: { replicas?: unknown }; metadata?: { resourceVersion?: string } };
    if (method === "PUT") next = ((await readJSON(req)) ?? {}) as typeof next;
    else if (method === "PATCH") next = patchFunction(req, t)(scaleOf(current), await readJSON(req)) as typeof next;
    else throw statusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    const replicas = next?.spec?.replicas;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
      throw statusError(422, "Invalid", `Scale.autoscaling "${key.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, {
        name: key.name,
        group: "autoscaling",
        kind: "Scale",
        causes: [{ reason: "FieldValueInvalid", message: "must be greater than or equal to 0", field: "spec.replicas" }],
      });
    }
    const rv = next.metadata?.resourceVersion;
    const out = registry.patchSync(key, { metadata: rv ? { resourceVersion: rv } : {}, spec: { replicas } }, { dryRun: dryRun() });
    return reply(res, 200, scaleOf(out));
  };

  const serveWatch = (req: IncomingMessage, res: ServerResponse, t: ResourceType, ns: string | undefined, q: URLSearchParams) => {
    const table = wantsTable(req.headers.accept);
    const timeout = Number(q.get("timeoutSeconds") ?? "0");
    const bookmarks = q.get("allowWatchBookmarks") === "true";
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
    res.flushHeaders();
    const write = (ev: WatchEvent) => {
      const obj = table && ev.type !== "ERROR" && ev.type !== "BOOKMARK" ? watchEventTable(t, ev.object) : ev.object;
      res.write(JSON.stringify({ type: ev.type, object: obj }) + "\n");
    };
    const w = registry.watch(
      t.kind,
      { namespace: ns, labelSelector: q.get("labelSelector") ?? undefined, fieldSelector: q.get("fieldSelector") ?? undefined, resourceVersion: q.get("resourceVersion") ?? undefined },
      write,
    );
    const timers: NodeJS.Timeout[] = [];
    const end = () => {
      for (const x of timers) clearTimeout(x);
      w.stop();
      watches.delete(end);
      if (!res.writableEnded) res.end();
    };
    watches.add(end);
    if (timeout > 0) timers.push(setTimeout(end, timeout * 1000));
    if (bookmarks) {
      const iv = setInterval(() => {
        write({ type: "BOOKMARK", object: { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: registry.store.currentResourceVersion() } } as KubeObject });
      }, 30_000);
      timers.push(iv as unknown as NodeJS.Timeout);
    }
    w.done.then(end, end);
    req.on("close", end);
    res.on("close", end);
  };

  const server: Server = createServer({ cert: certs.certPem, key: certs.keyPem, keepAlive: true }, (req, res) => {
    handle(req, res).catch((e: unknown) => sendStatus(res, e));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 6443, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  serverAddress = `${host}:${port}`;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const url = `https://${urlHost}:${port}`;
  registry.setDefaultApiServerAddress(host === "localhost" ? "127.0.0.1" : host, port);
  const kubeconfigPath = opts.kubeconfigPath ?? join(opts.dataDir, "kubeconfig");
  writeFileSync(kubeconfigPath, renderKubeconfig({ name: opts.name ?? "netlab", server: url, caPem: certs.caPem, token }), { mode: 0o600 });
  chmodSync(kubeconfigPath, 0o600);

  return {
    url,
    kubeconfigPath,
    token,
    caPem: certs.caPem,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const end of [...watches]) end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

