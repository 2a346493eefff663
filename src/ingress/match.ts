// The specification's matching, as a pure function over a route table: which server, which
// route, which backend, and the path the backend receives. Tests hold the rendered nginx
// configuration to it, request by request.
import { normalizePrefix, NOT_FOUND, type Backend, type Route, type RouteTable, type Server } from "./routes.js";

export interface MatchResult {
  server: Server;
  /** The route that matched; undefined when the server's fallback answered. */
  route?: Route;
  backend: Backend;
  /** The Ingress that decided ("" for the built-in 404). */
  ingress: string;
  /** The path the backend receives: as sent, or the rewrite-target result. */
  upstreamPath: string;
}

/** Lower-case, without port or trailing dot, as nginx compares Host. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[")) h = h.slice(0, h.indexOf("]") + 1);
  else if (h.includes(":")) h = h.slice(0, h.indexOf(":"));
  return h.replace(/\.$/, "");
}

/** `*.foo.com` matches exactly one more label; any other host matches itself only. */
export function hostMatches(ruleHost: string, requestHost: string): boolean {
  const rule = ruleHost.toLowerCase();
  const req = normalizeHost(requestHost);
  if (!rule.startsWith("*.")) return rule === req;
  const suffix = rule.slice(1); // ".foo.com"
  if (!req.endsWith(suffix)) return false;
  const label = req.slice(0, req.length - suffix.length);
  return label.length > 0 && !label.includes(".");
}

/** The path nginx matches locations against ($uri): %XX decoded, `//` merged, `.`/`..` resolved. */
export function normalizeRequestPath(raw: string): string {
  let p = raw.split("?")[0].split("#")[0];
  try {
    p = decodeURIComponent(p);
  } catch {
    // nginx rejects malformed escapes with 400; keep the raw text for the matcher
  }
  p = p.replace(/\/{2,}/g, "/");
  const out: string[] = [];
  const parts = p.split("/");
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i];
    if (seg === ".") {
      if (i === parts.length - 1) out.push("");
      continue;
    }
    if (seg === "..") {
      out.pop();
      if (i === parts.length - 1) out.push("");
      continue;
    }
    out.push(seg);
  }
  return "/" + out.join("/");
}

export function selectServer(table: RouteTable, host: string): Server {
  const h = normalizeHost(host);
  const exact = table.servers.find((s) => !s.wildcard && s.host !== "" && s.host === h);
  if (exact) return exact;
  const wild = table.servers.find((s) => s.wildcard && hostMatches(s.host, h));
  if (wild) return wild;
  return table.servers.find((s) => s.host === "") ?? { host: "", wildcard: false, routes: [], fallback: { ingress: "", backend: NOT_FOUND, options: { useRegex: false, backendProtocol: "HTTP" } } };
}

/** Whether one route matches a (normalized) path; for regex routes, the match groups. */
export function routeMatches(route: Pick<Route, "kind" | "path">, path: string): RegExpExecArray | boolean {
  switch (route.kind) {
    case "Exact":
      return path === route.path;
    case "Prefix": {
      const p = normalizePrefix(route.path);
      return p === "/" || path === p || path.startsWith(p + "/");
    }
    case "Regex": {
      const m = new RegExp(`^${route.path}`).exec(path);
      return m ?? false;
    }
  }
}

/** nginx's rewrite replaces the whole URI with the target, $N taken from the location's regex. */
export function rewritePath(target: string, m: RegExpExecArray | boolean): string {
  const groups = typeof m === "object" ? m : undefined;
  return target.replace(/\$([1-9])/g, (_, n: string) => groups?.[Number(n)] ?? "");
}

export function matchRequest(table: RouteTable, host: string, rawPath: string): MatchResult {
  const server = selectServer(table, host);
  const path = normalizeRequestPath(rawPath);
  // Without a rewrite, nginx passes the request URI on as the client sent it.
  const unparsed = rawPath.split("?")[0];
  for (const route of server.routes) {
    const m = routeMatches(route, path);
    if (m === false) continue;
    const upstreamPath = route.options.rewriteTarget !== undefined ? rewritePath(route.options.rewriteTarget, m) : unparsed;
    return { server, route, backend: route.backend, ingress: route.ingress, upstreamPath };
  }
  return { server, backend: server.fallback.backend, ingress: server.fallback.ingress, upstreamPath: unparsed };
}
