// The annotations we honour: a small, safe subset of ingress-nginx's, each value validated.
// Nothing here ever becomes configuration text unchecked: no snippets, no nginx variables,
// only values that match a strict grammar. An invalid value is an error for the whole
// Ingress (the controller keeps that Ingress's previous routes and reports an Event).
import type { Ingress } from "../api/types.js";

export const ANNOTATION_PREFIX = "nginx.ingress.kubernetes.io/";

export const REWRITE_TARGET = `${ANNOTATION_PREFIX}rewrite-target`;
export const USE_REGEX = `${ANNOTATION_PREFIX}use-regex`;
export const SSL_REDIRECT = `${ANNOTATION_PREFIX}ssl-redirect`;
export const BACKEND_PROTOCOL = `${ANNOTATION_PREFIX}backend-protocol`;
export const PROXY_READ_TIMEOUT = `${ANNOTATION_PREFIX}proxy-read-timeout`;
export const PROXY_BODY_SIZE = `${ANNOTATION_PREFIX}proxy-body-size`;

const SUPPORTED = new Set([REWRITE_TARGET, USE_REGEX, SSL_REDIRECT, BACKEND_PROTOCOL, PROXY_READ_TIMEOUT, PROXY_BODY_SIZE]);

/** What one Ingress's annotations ask of each of its locations. */
export interface LocationOptions {
  /** Replacement URI ("/", "/$2"); with useRegex, $1..$9 name the path regex's groups. */
  rewriteTarget?: string;
  useRegex: boolean;
  /** Explicit ssl-redirect; undefined = redirect when the host has TLS (ingress-nginx's default). */
  sslRedirect?: boolean;
  backendProtocol: "HTTP" | "HTTPS";
  /** Seconds. */
  proxyReadTimeout?: number;
  /** nginx size syntax ("8m", "0" = unlimited). */
  proxyBodySize?: string;
}

export interface AnnotationError {
  /** "namespace/name" of the Ingress. */
  ingress: string;
  annotation: string;
  value: string;
  message: string;
}

export interface ParsedAnnotations {
  options: LocationOptions;
  /** Invalid values: the Ingress must not be (re)applied. */
  errors: AnnotationError[];
  /** Annotations in our prefix that we do not implement (ignored, reported). */
  unsupported: string[];
}

export const DEFAULT_LOCATION_OPTIONS: Readonly<LocationOptions> = { useRegex: false, backendProtocol: "HTTP" };

// RFC 3986 path and query characters, minus quotes, backslash, ';' and braces (nginx syntax),
// plus $1..$9 references. The leading '/' keeps it a local URI (never a redirect to elsewhere).
const REWRITE_RE = /^\/(?:[A-Za-z0-9\-._~/%!&()*+,=:@?]|\$[1-9])*$/;
const SIZE_RE = /^[0-9]{1,9}[kKmMgG]?$/;
const MAX_TIMEOUT = 86400;

export function ingressKey(ing: Ingress): string {
  return `${ing.metadata.namespace ?? "default"}/${ing.metadata.name ?? ""}`;
}

function parseBool(v: string): boolean | undefined {
  return v === "true" ? true : v === "false" ? false : undefined;
}

/** Highest $N a rewrite target references (0 when none). */
export function maxCaptureReference(target: string): number {
  let max = 0;
  for (const m of target.matchAll(/\$([1-9])/g)) max = Math.max(max, Number(m[1]));
  return max;
}

/** Number of capturing groups in a regex source (0 when it does not compile). */
export function captureGroupCount(source: string): number {
  try {
    return new RegExp(`${source}|`).exec("")!.length - 1;
  } catch {
    return 0;
  }
}

/**
 * A use-regex path: must compile, and contain nothing that nginx's configuration syntax or
 * PCRE would read differently from JavaScript (no quotes, whitespace, control characters,
 * look-behind or named groups).
 */
export function regexPathError(path: string): string | undefined {
  if (!path.startsWith("/")) return "must begin with '/'";
  if (/[\s"'`;\x00-\x1f\x7f]/.test(path)) return "must not contain whitespace, quotes, ';' or control characters";
  if (/\(\?<|\(\?P/.test(path)) return "named groups and look-behind are not supported";
  try {
    new RegExp(path);
  } catch (e) {
    return `is not a valid regular expression: ${(e as Error).message}`;
  }
  return undefined;
}

export function parseAnnotations(ing: Ingress): ParsedAnnotations {
  const key = ingressKey(ing);
  const ann = ing.metadata.annotations ?? {};
  const errors: AnnotationError[] = [];
  const unsupported: string[] = [];
  const options: LocationOptions = { ...DEFAULT_LOCATION_OPTIONS };
  const err = (annotation: string, message: string) => errors.push({ ingress: key, annotation, value: ann[annotation], message });

  for (const name of Object.keys(ann).sort()) {
    if (name.startsWith(ANNOTATION_PREFIX) && !SUPPORTED.has(name)) unsupported.push(name);
  }

  if (USE_REGEX in ann) {
    const b = parseBool(ann[USE_REGEX]);
    if (b === undefined) err(USE_REGEX, `must be "true" or "false"`);
    else options.useRegex = b;
  }
  if (REWRITE_TARGET in ann) {
    const v = ann[REWRITE_TARGET];
    if (v.length > 256) err(REWRITE_TARGET, "must be at most 256 characters");
    else if (!REWRITE_RE.test(v)) err(REWRITE_TARGET, "must be a path starting with '/' made of URI characters and $1..$9 references");
    else options.rewriteTarget = v;
  }
  if (SSL_REDIRECT in ann) {
    const b = parseBool(ann[SSL_REDIRECT]);
    if (b === undefined) err(SSL_REDIRECT, `must be "true" or "false"`);
    else options.sslRedirect = b;
  }
  if (BACKEND_PROTOCOL in ann) {
    const v = ann[BACKEND_PROTOCOL].toUpperCase();
    if (v === "HTTP" || v === "HTTPS") options.backendProtocol = v;
    else err(BACKEND_PROTOCOL, `unsupported value: supported values: "HTTP", "HTTPS"`);
  }
  if (PROXY_READ_TIMEOUT in ann) {
    const v = ann[PROXY_READ_TIMEOUT];
    const n = /^[0-9]{1,6}$/.test(v) ? Number(v) : NaN;
    if (!(n >= 1 && n <= MAX_TIMEOUT)) err(PROXY_READ_TIMEOUT, `must be a whole number of seconds between 1 and ${MAX_TIMEOUT}`);
    else options.proxyReadTimeout = n;
  }
  if (PROXY_BODY_SIZE in ann) {
    const v = ann[PROXY_BODY_SIZE];
    if (!SIZE_RE.test(v)) err(PROXY_BODY_SIZE, `must be an nginx size such as "8m", "512k" or "0" (unlimited)`);
    else options.proxyBodySize = v;
  }

  // Capture references need a regex with that many groups: check every path of the Ingress.
  if (options.rewriteTarget !== undefined) {
    const refs = maxCaptureReference(options.rewriteTarget);
    if (refs > 0 && !options.useRegex) {
      err(REWRITE_TARGET, `references $${refs} but ${USE_REGEX} is not "true"`);
    }
  }
  if (options.useRegex) {
    const refs = options.rewriteTarget ? maxCaptureReference(options.rewriteTarget) : 0;
    for (const p of regexPaths(ing)) {
      const pe = regexPathError(p);
      if (pe) {
        errors.push({ ingress: key, annotation: USE_REGEX, value: ann[USE_REGEX], message: `path ${JSON.stringify(p)} ${pe}` });
      } else if (refs > captureGroupCount(p)) {
        errors.push({ ingress: key, annotation: REWRITE_TARGET, value: ann[REWRITE_TARGET], message: `references $${refs} but path ${JSON.stringify(p)} has ${captureGroupCount(p)} capture group(s)` });
      }
    }
  }
  return { options, errors, unsupported };
}

/** Paths that use-regex turns into regular expressions: Prefix and ImplementationSpecific. */
export function regexPaths(ing: Ingress): string[] {
  const out: string[] = [];
  for (const r of ing.spec?.rules ?? []) {
    for (const p of r.http?.paths ?? []) if (p.pathType !== "Exact") out.push(p.path || "/");
  }
  return out;
}

/** One line per problem, as an Event message reads. */
export function formatAnnotationError(e: AnnotationError): string {
  return `${e.annotation}: Invalid value: ${JSON.stringify(e.value ?? "")}: ${e.message}`;
}
