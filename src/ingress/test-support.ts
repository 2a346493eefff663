// Shared by the ingress tests: the Ingress documentation's tables as data, object builders,
// loopback echo backends and a small HTTP(S) client. Everything listens on 127.0.0.1 only.
import { createServer, request as httpRequest, type Server as HttpServer } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer as createNetServer } from "node:net";
import type { HTTPIngressPath, Ingress, PathType, Service } from "../api/types.js";

export interface PathSpec {
  path: string;
  pathType: PathType;
}

export interface TableRow {
  /** The row as the documentation prints it. */
  title: string;
  paths: PathSpec[];
  /** Request path -> index into paths of the route that must answer, or null (default backend). */
  requests: [string, number | null][];
}

// kubernetes.io/docs/concepts/services-networking/ingress/#examples, row by row.
export const DOCS_PATH_TABLE: TableRow[] = [
  { title: "Prefix / (all paths)", paths: [{ path: "/", pathType: "Prefix" }], requests: [["/", 0], ["/foo", 0], ["/foo/bar/", 0], ["/a.b?x=1", 0]] },
  { title: "Exact /foo, /foo", paths: [{ path: "/foo", pathType: "Exact" }], requests: [["/foo", 0]] },
  { title: "Exact /foo, /bar", paths: [{ path: "/foo", pathType: "Exact" }], requests: [["/bar", null]] },
  { title: "Exact /foo, /foo/", paths: [{ path: "/foo", pathType: "Exact" }], requests: [["/foo/", null]] },
  { title: "Exact /foo/, /foo", paths: [{ path: "/foo/", pathType: "Exact" }], requests: [["/foo", null]] },
  { title: "Prefix /foo, /foo and /foo/", paths: [{ path: "/foo", pathType: "Prefix" }], requests: [["/foo", 0], ["/foo/", 0]] },
  { title: "Prefix /foo/, /foo and /foo/", paths: [{ path: "/foo/", pathType: "Prefix" }], requests: [["/foo", 0], ["/foo/", 0]] },
  { title: "Prefix /aaa/bb, /aaa/bbb", paths: [{ path: "/aaa/bb", pathType: "Prefix" }], requests: [["/aaa/bbb", null]] },
  { title: "Prefix /aaa/bbb, /aaa/bbb", paths: [{ path: "/aaa/bbb", pathType: "Prefix" }], requests: [["/aaa/bbb", 0]] },
  { title: "Prefix /aaa/bbb/, /aaa/bbb (ignores trailing slash)", paths: [{ path: "/aaa/bbb/", pathType: "Prefix" }], requests: [["/aaa/bbb", 0]] },
  { title: "Prefix /aaa/bbb, /aaa/bbb/ (matches trailing slash)", paths: [{ path: "/aaa/bbb", pathType: "Prefix" }], requests: [["/aaa/bbb/", 0]] },
  { title: "Prefix /aaa/bbb, /aaa/bbb/ccc (matches subpath)", paths: [{ path: "/aaa/bbb", pathType: "Prefix" }], requests: [["/aaa/bbb/ccc", 0]] },
  { title: "Prefix /aaa/bbb, /aaa/bbbxyz (not a string prefix)", paths: [{ path: "/aaa/bbb", pathType: "Prefix" }], requests: [["/aaa/bbbxyz", null]] },
  { title: "Prefix /, /aaa; /aaa/ccc matches /aaa", paths: [{ path: "/", pathType: "Prefix" }, { path: "/aaa", pathType: "Prefix" }], requests: [["/aaa/ccc", 1]] },
  {
    title: "Prefix /, /aaa, /aaa/bbb; /aaa/bbb matches /aaa/bbb",
    paths: [{ path: "/", pathType: "Prefix" }, { path: "/aaa", pathType: "Prefix" }, { path: "/aaa/bbb", pathType: "Prefix" }],
    requests: [["/aaa/bbb", 2]],
  },
  {
    title: "Prefix /, /aaa, /aaa/bbb; /ccc matches /",
    paths: [{ path: "/", pathType: "Prefix" }, { path: "/aaa", pathType: "Prefix" }, { path: "/aaa/bbb", pathType: "Prefix" }],
    requests: [["/ccc", 0]],
  },
  { title: "Prefix /aaa, /ccc (default backend)", paths: [{ path: "/aaa", pathType: "Prefix" }], requests: [["/ccc", null]] },
  { title: "Mixed /foo (Prefix), /foo (Exact); /foo prefers Exact", paths: [{ path: "/foo", pathType: "Prefix" }, { path: "/foo", pathType: "Exact" }], requests: [["/foo", 1], ["/foo/", 0], ["/foo/x", 0]] },
  // "Multiple matches": longest first, Exact before Prefix on a tie; not in the table, same section.
  { title: "Exact /foo/ beats Prefix /foo on /foo/", paths: [{ path: "/foo", pathType: "Prefix" }, { path: "/foo/", pathType: "Exact" }], requests: [["/foo/", 1], ["/foo", 0]] },
  { title: "Exact /foo beats Prefix /foo/ on /foo", paths: [{ path: "/foo/", pathType: "Prefix" }, { path: "/foo", pathType: "Exact" }], requests: [["/foo", 1], ["/foo/", 0]] },
  { title: "Prefix is case-sensitive", paths: [{ path: "/foo", pathType: "Prefix" }], requests: [["/FOO", null], ["/Foo/x", null]] },
  { title: "ImplementationSpecific is Prefix here", paths: [{ path: "/impl", pathType: "ImplementationSpecific" }], requests: [["/impl/x", 0], ["/implx", null]] },
];

export interface HostRow {
  host: string;
  header: string;
  matches: boolean;
}

// The documentation's hostname wildcard table, plus exact hosts.
export const DOCS_HOST_TABLE: HostRow[] = [
  { host: "*.foo.com", header: "bar.foo.com", matches: true },
  { host: "*.foo.com", header: "baz.bar.foo.com", matches: false },
  { host: "*.foo.com", header: "foo.com", matches: false },
  { host: "foo.bar.com", header: "foo.bar.com", matches: true },
  { host: "foo.bar.com", header: "FOO.bar.com", matches: true },
  { host: "foo.bar.com", header: "foo.bar.com:8080", matches: true },
  { host: "foo.bar.com", header: "x.foo.bar.com", matches: false },
];

export function service(name: string, clusterIP: string, ports: { port: number; name?: string }[], namespace = "default"): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { clusterIP, ports: ports.map((p) => ({ ...p, protocol: "TCP" as const, targetPort: p.port })) },
  };
}

export function ingress(
  name: string,
  rules: { host?: string; paths: (PathSpec & { service: string; port: number | string })[] }[],
  extra: { annotations?: Record<string, string>; created?: string; namespace?: string; defaultBackend?: { service: string; port: number }; className?: string; tls?: { hosts: string[]; secretName: string }[] } = {},
): Ingress {
  const backend = (s: string, p: number | string) => ({ service: { name: s, port: typeof p === "number" ? { number: p } : { name: p } } });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name,
      namespace: extra.namespace ?? "default",
      creationTimestamp: extra.created ?? "2026-01-01T00:00:00Z",
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      ingressClassName: extra.className ?? "nginx",
      ...(extra.defaultBackend ? { defaultBackend: backend(extra.defaultBackend.service, extra.defaultBackend.port) } : {}),
      ...(extra.tls ? { tls: extra.tls } : {}),
      rules: rules.map((r) => ({
        ...(r.host ? { host: r.host } : {}),
        http: { paths: r.paths.map((p): HTTPIngressPath => ({ path: p.path, pathType: p.pathType, backend: backend(p.service, p.port) })) },
      })),
    },
  };
}

/** A port nobody listens on right now (bound and released; the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface EchoReply {
  backend: string;
  method: string;
  path: string;
  host: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP server per name on 127.0.0.1; each replies with its name and what it received. */
export async function startEchoBackends(names: string[]): Promise<{ ports: Map<string, number>; close(): Promise<void> }> {
  const servers: HttpServer[] = [];
  const ports = new Map<string, number>();
  for (const name of names) {
    const srv = createServer((req, res) => {
      const reply: EchoReply = { backend: name, method: req.method ?? "", path: req.url ?? "", host: req.headers.host ?? "", headers: req.headers };
      req.resume();
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    servers.push(srv);
    ports.set(name, (srv.address() as { port: number }).port);
  }
  return {
    ports,
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }))).then(() => undefined),
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to 127.0.0.1:port with the given Host and raw path (sent as is). */
export function get(port: number, host: string, path: string, o: { https?: boolean; servername?: string; ca?: string; method?: string; body?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const opts = {
      host: "127.0.0.1",
      port,
      path,
      method: o.method ?? "GET",
      headers: { host, connection: "close", ...(o.body !== undefined ? { "content-length": Buffer.byteLength(o.body) } : {}) },
      timeout: o.timeoutMs ?? 5000,
      agent: false as const,
      ...(o.https ? { servername: o.servername ?? host.split(":")[0], ca: o.ca, rejectUnauthorized: !!o.ca } : {}),
    };
    const req = (o.https ? httpsRequest : httpRequest)(opts, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`request to ${host}${path} timed out`)));
    req.on("error", reject);
    req.end(o.body);
  });
}
