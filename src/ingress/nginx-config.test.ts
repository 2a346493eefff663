import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EndpointSlice } from "../api/types.js";
import { buildRoutes } from "./routes.js";
import { escapeRegex, quote, renderNginxConfig, versionOfConfig } from "./nginx-config.js";
import { NGINX_BINARY, preparePrefix, testConfig, writeConfig } from "./nginx-process.js";
import { ingress, service } from "./test-support.js";

const skip = existsSync(NGINX_BINARY) ? false : `${NGINX_BINARY} not installed`;

const svcs = [service("s1", "10.96.0.11", [{ port: 80 }]), service("s2", "10.96.0.12", [{ port: 8080 }])];

/** The server block for `host` ("_" = catch-all) without comments and blank lines. */
function serverBlock(text: string, host: string): string {
  const blocks = text.split("\n  server {\n").slice(1).map((b) => b.slice(0, b.indexOf("\n  }\n")));
  const b = blocks.find((x) => x.includes(`server_name ${host};`));
  assert.ok(b, `no server ${host}`);
  return b.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#")).map((l) => l.trim()).join("\n");
}

async function nginxAccepts(text: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "nlt-ingconf-"));
  try {
    await preparePrefix(dir);
    await writeConfig({ prefix: dir }, text.replaceAll("/PREFIX", dir));
    const r = await testConfig({ prefix: dir });
    assert.ok(r.ok, r.output);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("Prefix by element: `= /p` + `/p/`; Exact `= /p`; 404 fallback", async () => {
  const t = buildRoutes({
    ingresses: [ingress("a", [{ host: "foo.bar.com", paths: [
      { path: "/foo", pathType: "Prefix", service: "s1", port: 80 },
      { path: "/foo", pathType: "Exact", service: "s2", port: 8080 },
      { path: "/bar/", pathType: "Prefix", service: "s2", port: 8080 },
    ] }])],
    services: svcs,
  });
  const text = renderNginxConfig(t, { prefix: "/PREFIX" });
  assert.equal(serverBlock(text, "foo.bar.com"), [
    "listen 80;",
    "server_name foo.bar.com;",
    'location = "/foo" {',
    "proxy_pass http://svc-default_s2-8080;",
    "}",
    'location "/foo/" {',
    "proxy_pass http://svc-default_s1-80;",
    "}",
    'location = "/bar" {',
    "proxy_pass http://svc-default_s2-8080;",
    "}",
    'location "/bar/" {',
    "proxy_pass http://svc-default_s2-8080;",
    "}",
    "location / {",
    "return 404;",
    "}",
  ].join("\n"));
  assert.equal(serverBlock(text, "_"), ["listen 80 default_server;", "server_name _;", "location / {", "return 404;", "}"].join("\n"));
  // Each Service port is an upstream of its ClusterIP, listed three times: retries through the proxy.
  assert.match(text, /upstream svc-default_s1-80 \{\n(    server 10\.96\.0\.11:80 max_fails=0;\n){3}  \}/);
  if (!skip) await nginxAccepts(text);
});

test("a server with a regex route renders all its Prefix routes as anchored regexes, longest first", async () => {
  const t = buildRoutes({
    ingresses: [
      ingress("p", [{ host: "h.example", paths: [{ path: "/", pathType: "Prefix", service: "s1", port: 80 }, { path: "/a.b", pathType: "Prefix", service: "s1", port: 80 }] }]),
      ingress("r", [{ host: "h.example", paths: [{ path: "/api/v[0-9]+/(.*)", pathType: "ImplementationSpecific", service: "s2", port: 8080 }] }], {
        annotations: { "nginx.ingress.kubernetes.io/use-regex": "true", "nginx.ingress.kubernetes.io/rewrite-target": "/$1" },
      }),
    ],
    services: svcs,
  });
  const text = renderNginxConfig(t, { prefix: "/PREFIX" });
  assert.equal(serverBlock(text, "h.example"), [
    "listen 80;",
    "server_name h.example;",
    'location ~ "^/api/v[0-9]+/(.*)" {',
    'rewrite "^/api/v[0-9]+/(.*)" "/$1" break;',
    "proxy_pass http://svc-default_s2-8080;",
    "}",
    'location ~ "^/a\\\\.b(/|$)" {',
    "proxy_pass http://svc-default_s1-80;",
    "}",
    "location / {",
    "proxy_pass http://svc-default_s1-80;",
    "}",
  ].join("\n"));
  if (!skip) await nginxAccepts(text);
});

test("wildcard hosts become a one-label regex server_name", () => {
  const t = buildRoutes({ ingresses: [ingress("w", [{ host: "*.foo.com", paths: [{ path: "/", pathType: "Prefix", service: "s1", port: 80 }] }])], services: svcs });
  assert.match(renderNginxConfig(t, { prefix: "/p" }), /server_name "~\^\[\^\.\]\+\\\\\.foo\\\\\.com\$";/);
});

test("headless Services get an upstream of their endpoints", async () => {
  const slice: EndpointSlice = {
    apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "h-1", namespace: "default", labels: { "kubernetes.io/service-name": "h" } },
    addressType: "IPv4", ports: [{ port: 8080, protocol: "TCP" }], endpoints: [{ addresses: ["10.244.1.2"] }, { addresses: ["10.244.2.2"] }],
  };
  const t = buildRoutes({ ingresses: [ingress("h", [{ paths: [{ path: "/", pathType: "Prefix", service: "h", port: 80 }] }])], services: [service("h", "None", [{ port: 80 }])], endpointSlices: [slice] });
  const text = renderNginxConfig(t, { prefix: "/PREFIX" });
  assert.match(text, /upstream ep-default_h-80 \{\n    server 10\.244\.1\.2:8080 max_fails=0;\n    server 10\.244\.2\.2:8080 max_fails=0;\n  \}/);
  assert.match(text, /proxy_pass http:\/\/ep-default_h-80;/);
  if (!skip) await nginxAccepts(text);
});

test("paths with nginx syntax characters are quoted, never interpreted", { skip }, async () => {
  const weird = ['/a"b', "/c;d", "/e{f}", "/g h", "/i$j", "/k#l", "/m\\n", "/o'p"];
  const t = buildRoutes({ ingresses: [ingress("w", [{ paths: weird.map((p) => ({ path: p, pathType: "Exact" as const, service: "s1", port: 80 })) }])], services: svcs });
  assert.deepEqual(t.problems, []);
  const text = renderNginxConfig(t, { prefix: "/PREFIX" });
  assert.match(text, /location = "\/a\\"b" \{/);
  await nginxAccepts(text);
});

test("the routes version changes with the routes and is embedded in the text", () => {
  const a = renderNginxConfig(buildRoutes({ ingresses: [], services: [] }), { prefix: "/p" });
  const b = renderNginxConfig(buildRoutes({ ingresses: [ingress("x", [{ paths: [{ path: "/x", pathType: "Exact", service: "s1", port: 80 }] }])], services: svcs }), { prefix: "/p" });
  assert.match(versionOfConfig(a) ?? "", /^[0-9a-f]{16}$/);
  assert.notEqual(versionOfConfig(a), versionOfConfig(b));
  assert.ok(a.includes(`return 200 "${versionOfConfig(a)}\\n";`));
  assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(escapeRegex("/a.b(c)"), "/a\\.b\\(c\\)");
});

test("location options: backend-protocol HTTPS, timeouts, body size; default backend keeps options but never rewrites", async () => {
  const t = buildRoutes({
    ingresses: [
      ingress("o", [{ host: "o.example", paths: [{ path: "/x", pathType: "Exact", service: "s1", port: 80 }] }], {
        defaultBackend: { service: "s2", port: 8080 },
        annotations: {
          "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
          "nginx.ingress.kubernetes.io/proxy-read-timeout": "90",
          "nginx.ingress.kubernetes.io/proxy-body-size": "0",
          "nginx.ingress.kubernetes.io/rewrite-target": "/y",
        },
      }),
    ],
    services: svcs,
  });
  const text = renderNginxConfig(t, { prefix: "/PREFIX" });
  assert.equal(serverBlock(text, "o.example"), [
    "listen 80;",
    "server_name o.example;",
    'location = "/x" {',
    'rewrite "^" "/y" break;',
    "proxy_read_timeout 90s;",
    "client_max_body_size 0;",
    "proxy_pass https://svc-default_s1-80;",
    "}",
    "location / {",
    "proxy_read_timeout 90s;",
    "client_max_body_size 0;",
    "proxy_pass https://svc-default_s2-8080;",
    "}",
  ].join("\n"));
  if (!skip) await nginxAccepts(text);
});
