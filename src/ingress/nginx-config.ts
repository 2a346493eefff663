// Route table -> one nginx.conf whose location selection is exactly the specification's
// matching (see routes.ts and match.ts):
// - Exact `/p`            -> `location = "/p"` (nginx tries exact locations first; an Exact route
//                             that matches is never shorter than a matching prefix, so this is right).
// - Prefix `/p` (by element) -> `location = "/p"` + `location "/p/"`: nginx's longest prefix
//                             string is the longest element-wise prefix ("/p" never matches "/px").
// - Prefix `/`            -> `location /`.
// - A server with use-regex routes renders its Prefix routes as `location ~ "^/p(/|$)"` too and
//   lists every regex location in the route table's precedence order (nginx takes the first
//   regex that matches), so longest-first holds across both kinds.
// Backends are the Service's ClusterIP:port: endpoints can change without a reload. A failed
// connection (an endpoint leaving) is retried through the Service, up to 3 tries (idempotent requests only).
import { createHash } from "node:crypto";
import type { LocationOptions } from "./annotations.js";
import { routeMatches } from "./match.js";
import { normalizePrefix, type Backend, type Route, type RouteTable, type Server } from "./routes.js";

export interface NginxRenderOptions {
  /** Per-pod directory for pid, logs and temp files (absolute). */
  prefix: string;
  /** Address to listen on ("" = all addresses of the namespace). */
  listen?: string;
  httpPort?: number;
  httpsPort?: number;
  /** Where the controller writes TLS Secrets (see certPaths); default `<prefix>/certs`. */
  certDir?: string;
  /**
   * Unix socket of the health and config-version server; default `<prefix>/health.sock`.
   * A Unix socket is reachable from every network namespace, so the controller can ask a Pod's
   * nginx which routes it runs without entering the Pod.
   */
  healthSocket?: string;
  workerProcesses?: number | "auto";
  workerConnections?: number;
  /** true: access log to `<prefix>/access.log`; default off. */
  accessLog?: boolean;
}

/** The files a TLS Secret "namespace/name" is written to. */
export function certPaths(secretKey: string, certDir: string): { cert: string; key: string } {
  const base = `${certDir}/${secretKey.replace("/", "_")}`;
  return { cert: `${base}.crt`, key: `${base}.key` };
}

/** A double-quoted nginx string (the parser unescapes `\\` and `\"`). */
export function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`);
}

type UpstreamBackend = Extract<Backend, { type: "endpoints" | "service" }>;

function upstreamName(b: UpstreamBackend): string {
  return `${b.type === "service" ? "svc" : "ep"}-${b.service.replace(/[^A-Za-z0-9_-]/g, "_")}-${b.port}`;
}

function serverNameOf(s: Server): string {
  if (s.host === "") return "_";
  if (!s.wildcard) return s.host;
  // nginx's own `*.foo.com` also matches deeper names; the spec allows exactly one label.
  return quote(`~^[^.]+${escapeRegex(s.host.slice(1))}$`);
}

interface Ctx {
  https: boolean;
  httpsPort: number;
}

function locationBody(lines: string[], ind: string, backend: Backend, opts: LocationOptions, rewrite: string | undefined, ctx: Ctx): void {
  if (ctx.https && opts.sslRedirect !== false) {
    const port = ctx.httpsPort === 443 ? "" : `:${ctx.httpsPort}`;
    lines.push(`${ind}if ($scheme = http) {`, `${ind}  return 308 https://$host${port}$request_uri;`, `${ind}}`);
  }
  if (backend.type === "none") {
    lines.push(`${ind}# ${backend.reason}`, `${ind}return ${backend.status};`);
    return;
  }
  if (rewrite !== undefined) lines.push(`${ind}rewrite ${rewrite} break;`);
  if (opts.proxyReadTimeout !== undefined) lines.push(`${ind}proxy_read_timeout ${opts.proxyReadTimeout}s;`);
  if (opts.proxyBodySize !== undefined) lines.push(`${ind}client_max_body_size ${opts.proxyBodySize};`);
  const scheme = opts.backendProtocol === "HTTPS" ? "https" : "http";
  lines.push(`${ind}proxy_pass ${scheme}://${upstreamName(backend)};`);
}

function rewriteFor(r: Route): string | undefined {
  const t = r.options.rewriteTarget;
  if (t === undefined) return undefined;
  // The whole URI becomes the target; $N come from the regex path (only regex routes may use them).
  return `${quote(r.kind === "Regex" ? `^${r.path}` : "^")} ${quote(t)}`;
}

function renderServer(s: Server, o: Required<Pick<NginxRenderOptions, "httpPort" | "httpsPort">> & NginxRenderOptions, certDir: string): string[] {
  const lines: string[] = [];
  const addr = o.listen ? `${o.listen.includes(":") ? `[${o.listen}]` : o.listen}:` : "";
  const https = !!s.tls?.available;
  const ctx: Ctx = { https, httpsPort: o.httpsPort };
  lines.push("  server {");
  if (s.host === "") lines.push(`    listen ${addr}${o.httpPort} default_server;`);
  else lines.push(`    listen ${addr}${o.httpPort};`);
  if (https) {
    const p = certPaths(s.tls!.secret, certDir);
    lines.push(`    # TLS from secret ${s.tls!.secret} (digest ${s.tls!.digest ?? "-"})`, `    listen ${addr}${o.httpsPort} ssl;`, `    ssl_certificate ${quote(p.cert)};`, `    ssl_certificate_key ${quote(p.key)};`);
  }
  lines.push(`    server_name ${serverNameOf(s)};`);
  if (s.tls && !s.tls.available) lines.push(`    # TLS not served: ${s.tls.reason ?? "secret unavailable"}`);

  const regexMode = s.routes.some((r) => r.kind === "Regex");
  const exactPaths = new Set(s.routes.filter((r) => r.kind === "Exact").map((r) => r.path));
  let hasRoot = false;
  // Location heads in output order, each with the route (or fallback) it serves.
  const locs: { comment: string; head: string; route?: Route }[] = [];
  const exactNames = new Set<string>();
  const slashNames: string[] = [];
  const add = (comment: string, head: string, name: string | undefined, exact: boolean, route?: Route) => {
    locs.push({ comment, head, route });
    if (name === undefined) return;
    if (exact) exactNames.add(name);
    if (name.length > 1 && name.endsWith("/")) slashNames.push(name);
  };
  for (const r of s.routes) {
    const what = `${r.ingress}: ${r.declaredPathType} ${r.path}${r.kind === "Regex" ? " (regex)" : ""}`;
    if (r.kind === "Exact") {
      add(what, `= ${quote(r.path)}`, r.path, true, r);
    } else if (r.kind === "Regex") {
      add(what, `~ ${quote(`^${r.path}`)}`, undefined, false, r);
    } else {
      const p = normalizePrefix(r.path);
      if (p === "/") {
        hasRoot = true;
        add(what, "/", "/", false, r);
      } else if (regexMode) {
        add(what, `~ ${quote(`^${escapeRegex(p)}(/|$)`)}`, undefined, false, r);
      } else {
        if (!exactPaths.has(p)) add(what, `= ${quote(p)}`, p, true, r);
        add(what, quote(`${p}/`), `${p}/`, false, r);
      }
    }
  }
  // nginx answers "/foo" with a 301 to "/foo/" when a proxying location is named "/foo/" and
  // nothing else claims "/foo" exactly; pin "/foo" to what the specification picks for it.
  for (const name of slashNames) {
    const bare = name.slice(0, -1);
    if (exactNames.has(bare)) continue;
    exactNames.add(bare);
    const r = s.routes.find((x) => routeMatches(x, bare) !== false);
    add(`${bare} as the specification matches it (not nginx's redirect to ${name})`, `= ${quote(bare)}`, undefined, true, r);
  }
  if (!hasRoot) add(s.fallback.ingress ? `default backend of ${s.fallback.ingress}` : "no rule matched: 404", "/", undefined, false);

  for (const l of locs) {
    lines.push("", `    # ${l.comment}`, `    location ${l.head} {`);
    if (l.route) locationBody(lines, "      ", l.route.backend, l.route.options, rewriteFor(l.route), ctx);
    else locationBody(lines, "      ", s.fallback.backend, s.fallback.options, undefined, ctx);
    lines.push("    }");
  }
  lines.push("  }");
  return lines;
}

function collectUpstreams(table: RouteTable): UpstreamBackend[] {
  const seen = new Map<string, UpstreamBackend>();
  for (const s of table.servers) {
    for (const b of [...s.routes.map((r) => r.backend), s.fallback.backend]) {
      if (b.type !== "none" && !seen.has(upstreamName(b))) seen.set(upstreamName(b), b);
    }
  }
  return [...seen.values()].sort((a, b) => (upstreamName(a) < upstreamName(b) ? -1 : 1));
}

/** sha256 of the routing part: what the health server reports once nginx runs this config. */
export function configVersion(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

export function renderNginxConfig(table: RouteTable, opts: NginxRenderOptions): string {
  const o = { httpPort: 80, httpsPort: 443, ...opts };
  const prefix = o.prefix.replace(/\/+$/, "");
  const certDir = o.certDir ?? `${prefix}/certs`;
  const anyTLS = table.servers.some((s) => s.tls?.available);
  const addr = o.listen ? `${o.listen.includes(":") ? `[${o.listen}]` : o.listen}:` : "";

  const http: string[] = [];
  for (const u of collectUpstreams(table)) {
    if (u.type === "service") {
      // The Service address three times (ingress-nginx's default of 3 tries): when a connection
      // fails (an endpoint going away before the proxy dropped it), nginx tries the next entry
      // and the node's proxy picks an endpoint afresh. max_fails=0: a failure never marks the
      // Service itself unavailable.
      http.push(
        `  # ${u.service} port ${u.port}: its ClusterIP (the node's proxy balances; endpoint changes need no reload)`,
        `  upstream ${upstreamName(u)} {`,
        `    server ${u.address} max_fails=0;`,
        `    server ${u.address} max_fails=0;`,
        `    server ${u.address} max_fails=0;`,
        "  }",
        "",
      );
    } else {
      http.push(`  # ${u.service} port ${u.port} (headless: its ready endpoints)`, `  upstream ${upstreamName(u)} {`);
      for (const a of u.addresses) http.push(`    server ${a} max_fails=0;`);
      http.push("  }", "");
    }
  }
  for (const s of table.servers) http.push(...renderServer(s, o, certDir), "");
  if (anyTLS) {
    http.push(
      "  # HTTPS for a name without a certificate: refuse the handshake",
      "  server {",
      `    listen ${addr}${o.httpsPort} ssl default_server;`,
      "    ssl_reject_handshake on;",
      "  }",
      "",
    );
  }
  const version = configVersion(http.join("\n"));
  http.push(
    "  # Health and the version of the routes this nginx runs (the controller waits for it after a reload)",
    "  server {",
    `    listen ${quote(`unix:${o.healthSocket ?? `${prefix}/health.sock`}`)};`,
    "    location = /healthz { return 200 \"ok\\n\"; }",
    `    location = /netlab/config-version { return 200 "${version}\\n"; }`,
    "    location / { return 404; }",
    "  }",
    "",
  );

  const head = [
    `# Generated by kube-netlab's ingress controller (routes version ${version}). Do not edit.`,
    "daemon off;",
    "master_process on;",
    `worker_processes ${o.workerProcesses ?? 1};`,
    `pid ${quote(`${prefix}/nginx.pid`)};`,
    `error_log ${quote(`${prefix}/error.log`)} warn;`,
    "",
    "events {",
    `  worker_connections ${o.workerConnections ?? 1024};`,
    "}",
    "",
    "http {",
    o.accessLog ? `  access_log ${quote(`${prefix}/access.log`)};` : "  access_log off;",
    `  client_body_temp_path ${quote(`${prefix}/tmp/client_body`)};`,
    `  proxy_temp_path ${quote(`${prefix}/tmp/proxy`)};`,
    `  fastcgi_temp_path ${quote(`${prefix}/tmp/fastcgi`)};`,
    `  uwsgi_temp_path ${quote(`${prefix}/tmp/uwsgi`)};`,
    `  scgi_temp_path ${quote(`${prefix}/tmp/scgi`)};`,
    "  server_tokens off;",
    "  server_names_hash_bucket_size 128;",
    "  server_names_hash_max_size 8192;",
    "  default_type text/plain;",
    "  proxy_http_version 1.1;",
    "  proxy_set_header Host $host;",
    "  proxy_set_header X-Real-IP $remote_addr;",
    "  proxy_set_header X-Forwarded-For $remote_addr;",
    "  proxy_set_header X-Forwarded-Proto $scheme;",
    "  proxy_set_header X-Forwarded-Host $host;",
    "  proxy_set_header X-Forwarded-Port $server_port;",
    // Inside a cluster a connect takes well under a millisecond; a Pod that just went away
    // drops the SYN silently, so give up after 1 s and retry through the Service.
    "  proxy_connect_timeout 1s;",
    "  proxy_next_upstream error timeout;",
    "  proxy_next_upstream_tries 3;",
    "",
  ];
  return [...head, ...http, "}", ""].join("\n");
}

/** The version string renderNginxConfig embedded in a rendered text. */
export function versionOfConfig(text: string): string | undefined {
  return /routes version ([0-9a-f]{16})/.exec(text)?.[1];
}
