// The Client over HTTPS: the same interface as the in-process Registry, against our API
// server or any Kubernetes API server, configured from a kubeconfig (token auth, CA).
import { Agent, request, type RequestOptions } from "node:https";
import type { ClientRequest, IncomingMessage } from "node:http";
import { readFileSync } from "node:fs";
import type { KubeList, KubeObject, WatchEvent } from "../api/types.js";
import { apiVersionOf, resourceForKind, type ResourceType } from "../api/resources.js";
import { StatusError, statusError, type Status, type StatusReason } from "../api/status.js";
import type { Client, DeleteOptions, ListOptions, ObjectKey, Watch, WatchHandler, WatchOptions, WriteOptions } from "./client.js";
import { parseKubeconfig } from "../apiserver/kubeconfig.js";

export interface HttpClientOptions {
  /** https://host:port */
  server: string;
  caPem?: string;
  token?: string;
  /** Namespace for namespaced objects that name none (kubeconfig context namespace). */
  namespace?: string;
  insecureSkipTLSVerify?: boolean;
}

const REASONS: Record<number, StatusReason> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Expired",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

function typeFor(kind: string): ResourceType {
  const t = resourceForKind(kind);
  if (!t) throw statusError(404, "NotFound", `the server could not find the requested resource (kind ${JSON.stringify(kind)})`);
  return t;
}

function isStatus(v: unknown): v is Status {
  return !!v && typeof v === "object" && (v as { kind?: string }).kind === "Status";
}

export class HttpClient implements Client {
  private readonly url: URL;
  private readonly agent: Agent;
  private readonly token?: string;
  readonly namespace: string;

  constructor(opts: HttpClientOptions) {
    this.url = new URL(opts.server);
    if (this.url.protocol !== "https:") throw new Error(`server must be an https:// URL (got ${opts.server})`);
    this.agent = new Agent({ keepAlive: true, maxSockets: 32, ca: opts.caPem, rejectUnauthorized: !opts.insecureSkipTLSVerify });
    this.token = opts.token;
    this.namespace = opts.namespace ?? "default";
  }

  static fromKubeconfig(path: string, opts: { context?: string } = {}): HttpClient {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new Error(`cannot read kubeconfig ${path}: ${(e as Error).message}`, { cause: e });
    }
    const k = parseKubeconfig(text, (p) => readFileSync(p, "utf8"), opts.context);
    return new HttpClient({ server: k.server, caPem: k.caPem, token: k.token, namespace: k.namespace, insecureSkipTLSVerify: k.insecure });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  // ---------------------------------------------------------------- paths

  private path(t: ResourceType, ns: string | undefined, name?: string, sub?: string): string {
    const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
    const nsPart = t.namespaced && ns !== undefined ? `/namespaces/${encodeURIComponent(ns)}` : "";
    return `${base}${nsPart}/${t.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ""}${sub ? `/${sub}` : ""}`;
  }

  private ns(t: ResourceType, ns: string | undefined): string | undefined {
    return t.namespaced ? ns || this.namespace : undefined;
  }

  private options(method: string, path: string, headers: Record<string, string> = {}): RequestOptions {
    const h: Record<string, string> = { Accept: "application/json", ...headers };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    return { protocol: "https:", hostname: this.url.hostname.replace(/^\[|\]$/g, ""), port: this.url.port || 443, method, path, headers: h, agent: this.agent };
  }

  private send<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string> = {};
      if (payload) {
        headers["Content-Type"] = contentType;
        headers["Content-Length"] = String(payload.length);
      }
      const req = request(this.options(method, path, headers), (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) {
            if (parsed === undefined && text) reject(statusError(500, "InternalError", `the server sent a body that is not JSON: ${text.slice(0, 200)}`));
            else resolve(parsed as T);
            return;
          }
          if (isStatus(parsed)) reject(new StatusError(parsed));
          else reject(statusError(code, REASONS[code] ?? "InternalError", text.trim() || `HTTP ${code}`));
        });
        res.on("error", reject);
      });
      req.on("error", (e) => reject(statusError(503, "ServiceUnavailable", `cannot reach the API server at ${this.url.origin}: ${e.message}`)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  private static query(params: Record<string, string | undefined>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : "";
  }

  // ---------------------------------------------------------------- Client

  async create<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const t = typeFor(obj.kind);
    const body = { ...obj, apiVersion: apiVersionOf(t) };
    return this.send<T>("POST", this.path(t, this.ns(t, obj.metadata?.namespace)) + HttpClient.query({ dryRun: opts.dryRun ? "All" : undefined, fieldManager: opts.fieldManager }), body);
  }

  async get<T extends KubeObject>(key: ObjectKey): Promise<T> {
    const t = typeFor(key.kind);
    return this.send<T>("GET", this.path(t, this.ns(t, key.namespace), key.name));
  }

  async list<T extends KubeObject>(kind: string, opts: ListOptions = {}): Promise<KubeList<T>> {
    const t = typeFor(kind);
    return this.send<KubeList<T>>("GET", this.path(t, t.namespaced ? opts.namespace || undefined : undefined) + HttpClient.query({ labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector }));
  }

  async update<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const t = typeFor(obj.kind);
    return this.send<T>("PUT", this.path(t, this.ns(t, obj.metadata?.namespace), obj.metadata?.name ?? "") + HttpClient.query({ dryRun: opts.dryRun ? "All" : undefined }), { ...obj, apiVersion: apiVersionOf(t) });
  }

  async updateStatus<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const t = typeFor(obj.kind);
    return this.send<T>("PUT", this.path(t, this.ns(t, obj.metadata?.namespace), obj.metadata?.name ?? "", "status") + HttpClient.query({ dryRun: opts.dryRun ? "All" : undefined }), {
      ...obj,
      apiVersion: apiVersionOf(t),
    });
  }

  async patch<T extends KubeObject>(key: ObjectKey, mergePatch: unknown, opts: WriteOptions & { subresource?: "status" } = {}): Promise<T> {
    const t = typeFor(key.kind);
    return this.send<T>("PATCH", this.path(t, this.ns(t, key.namespace), key.name, opts.subresource) + HttpClient.query({ dryRun: opts.dryRun ? "All" : undefined }), mergePatch, "application/merge-patch+json");
  }

  async delete<T extends KubeObject>(key: ObjectKey, opts: DeleteOptions = {}): Promise<T> {
    const t = typeFor(key.kind);
    const body = { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: opts.propagationPolicy, preconditions: opts.preconditions, dryRun: opts.dryRun ? ["All"] : undefined, gracePeriodSeconds: opts.gracePeriodSeconds };
    return this.send<T>("DELETE", this.path(t, this.ns(t, key.namespace), key.name), body);
  }

  watch(kind: string, opts: WatchOptions, handler: WatchHandler): Watch {
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let stopped = false;
    let res: IncomingMessage | undefined;
    let req: ClientRequest | undefined;
    const finish = () => {
      if (stopped) return;
      stopped = true;
      res?.destroy();
      req?.destroy();
      resolveDone();
    };
    const emit = (ev: WatchEvent) => {
      if (stopped) return;
      try {
        handler(ev);
      } catch {
        // a failing handler does not end the watch
      }
    };
    const fail = (st: Status) => {
      emit({ type: "ERROR", object: st as unknown as KubeObject });
      finish();
    };
    let t: ResourceType;
    try {
      t = typeFor(kind);
    } catch (e) {
      queueMicrotask(() => fail((e as StatusError).status));
      return { stop: finish, done };
    }
    const path =
      this.path(t, t.namespaced ? opts.namespace || undefined : undefined) +
      HttpClient.query({
        watch: "true",
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        allowWatchBookmarks: opts.allowWatchBookmarks ? "true" : undefined,
      });
    req = request(this.options("GET", path), (r) => {
      res = r;
      if ((r.statusCode ?? 0) >= 300) {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () => {
          let st: unknown;
          try {
            st = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            st = undefined;
          }
          fail(isStatus(st) ? st : statusError(r.statusCode ?? 500, REASONS[r.statusCode ?? 500] ?? "InternalError", `watch failed with HTTP ${r.statusCode}`).status);
        });
        return;
      }
      r.setEncoding("utf8");
      let buf = "";
      r.on("data", (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line) continue;
          try {
            emit(JSON.parse(line) as WatchEvent);
          } catch {
            fail(statusError(500, "InternalError", `watch stream sent a line that is not JSON: ${line.slice(0, 100)}`).status);
            return;
          }
        }
      });
      r.on("end", finish);
      r.on("error", finish);
    });
    req.on("error", (e) => {
      if (!stopped) fail(statusError(503, "ServiceUnavailable", `cannot reach the API server at ${this.url.origin}: ${e.message}`).status);
    });
    req.end();
    return { stop: finish, done };
  }
}
