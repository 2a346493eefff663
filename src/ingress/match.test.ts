import { test } from "node:test";
import assert from "node:assert/strict";
import { buildRoutes } from "./routes.js";
import { hostMatches, matchRequest, normalizeRequestPath } from "./match.js";
import { DOCS_HOST_TABLE, DOCS_PATH_TABLE, ingress, service } from "./test-support.js";

function rowTable(row: (typeof DOCS_PATH_TABLE)[number], host?: string) {
  const services = row.paths.map((_, i) => service(`s${i}`, `10.96.0.${i + 10}`, [{ port: 80 }]));
  const ing = ingress("row", [{ host, paths: row.paths.map((p, i) => ({ ...p, service: `s${i}`, port: 80 })) }]);
  return buildRoutes({ ingresses: [ing], services });
}

for (const row of DOCS_PATH_TABLE) {
  test(`docs path table: ${row.title}`, () => {
    for (const host of [undefined, "row.example.com"]) {
      const table = rowTable(row, host);
      for (const [path, want] of row.requests) {
        const m = matchRequest(table, host ?? "any.example", path);
        const got = m.backend.type === "service" ? Number(m.backend.address.split(".")[3].split(":")[0]) - 10 : null;
        assert.equal(got, want, `request ${path} (host ${host ?? "none"})`);
        if (want === null) assert.deepEqual(m.backend, { type: "none", status: 404, reason: "no rule matched and no default backend" });
      }
    }
  });
}

for (const row of DOCS_HOST_TABLE) {
  test(`docs host table: ${row.host} with Host ${row.header} -> ${row.matches ? "match" : "no match"}`, () => {
    assert.equal(hostMatches(row.host, row.header), row.matches);
    const table = buildRoutes({
      ingresses: [ingress("h", [{ host: row.host, paths: [{ path: "/", pathType: "Prefix", service: "s", port: 80 }] }])],
      services: [service("s", "10.96.0.5", [{ port: 80 }])],
    });
    const m = matchRequest(table, row.header, "/");
    assert.equal(m.backend.type === "service", row.matches);
  });
}

test("exact host beats wildcard, wildcard beats host-less rules", () => {
  const services = [service("exact", "10.96.0.1", [{ port: 80 }]), service("wild", "10.96.0.2", [{ port: 80 }]), service("any", "10.96.0.3", [{ port: 80 }])];
  const table = buildRoutes({
    ingresses: [
      ingress("a", [
        { host: "*.foo.com", paths: [{ path: "/", pathType: "Prefix", service: "wild", port: 80 }] },
        { host: "bar.foo.com", paths: [{ path: "/x", pathType: "Prefix", service: "exact", port: 80 }] },
        { paths: [{ path: "/", pathType: "Prefix", service: "any", port: 80 }] },
      ]),
    ],
    services,
  });
  const svc = (h: string, p: string) => {
    const b = matchRequest(table, h, p).backend;
    return b.type === "service" ? b.service : `${b.type}:${b.type === "none" ? b.status : ""}`;
  };
  assert.equal(svc("bar.foo.com", "/x"), "default/exact");
  // A known host's unmatched path does not fall through to other servers (ingress-nginx's behaviour).
  assert.equal(svc("bar.foo.com", "/y"), "none:404");
  assert.equal(svc("baz.foo.com", "/y"), "default/wild");
  assert.equal(svc("a.baz.foo.com", "/y"), "default/any");
  assert.equal(svc("10.0.0.1", "/"), "default/any");
});

test("request paths are compared as nginx normalizes them", () => {
  assert.equal(normalizeRequestPath("/a//b/./c/../d?x=1"), "/a/b/d");
  assert.equal(normalizeRequestPath("/foo/%62ar"), "/foo/bar");
  assert.equal(normalizeRequestPath("/foo/.."), "/");
});

test("rewrite-target replaces the whole path; capture groups come from the regex path", () => {
  const services = [service("s", "10.96.0.5", [{ port: 80 }])];
  const plain = buildRoutes({
    ingresses: [ingress("p", [{ paths: [{ path: "/testpath", pathType: "Prefix", service: "s", port: 80 }] }], { annotations: { "nginx.ingress.kubernetes.io/rewrite-target": "/" } })],
    services,
  });
  assert.equal(matchRequest(plain, "h", "/testpath").upstreamPath, "/");
  assert.equal(matchRequest(plain, "h", "/testpath/a/b").upstreamPath, "/");
  assert.equal(matchRequest(plain, "h", "/testpathx").backend.type, "none");

  const regex = buildRoutes({
    ingresses: [
      ingress("r", [{ host: "rewrite.bar.com", paths: [{ path: "/something(/|$)(.*)", pathType: "ImplementationSpecific", service: "s", port: 80 }] }], {
        annotations: { "nginx.ingress.kubernetes.io/rewrite-target": "/$2", "nginx.ingress.kubernetes.io/use-regex": "true" },
      }),
    ],
    services,
  });
  // ingress-nginx's documented examples for this Ingress.
  assert.equal(matchRequest(regex, "rewrite.bar.com", "/something").upstreamPath, "/");
  assert.equal(matchRequest(regex, "rewrite.bar.com", "/something/").upstreamPath, "/");
  assert.equal(matchRequest(regex, "rewrite.bar.com", "/something/new").upstreamPath, "/new");
  assert.equal(matchRequest(regex, "rewrite.bar.com", "/other").backend.type, "none");
});

test("without a rewrite the backend gets the path as sent", () => {
  const table = buildRoutes({
    ingresses: [ingress("p", [{ paths: [{ path: "/a", pathType: "Prefix", service: "s", port: 80 }] }])],
    services: [service("s", "10.96.0.5", [{ port: 80 }])],
  });
  const m = matchRequest(table, "h", "/a//b?q=1");
  assert.equal(m.route?.path, "/a");
  assert.equal(m.upstreamPath, "/a//b");
});
