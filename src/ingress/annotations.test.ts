import { test } from "node:test";
import assert from "node:assert/strict";
import { captureGroupCount, formatAnnotationError, parseAnnotations } from "./annotations.js";
import { ingress } from "./test-support.js";

const P = "nginx.ingress.kubernetes.io/";

function parse(annotations: Record<string, string>, path = "/app") {
  return parseAnnotations(ingress("a", [{ paths: [{ path, pathType: "ImplementationSpecific", service: "s", port: 80 }] }], { annotations }));
}

test("valid values become location options", () => {
  const r = parse({
    [`${P}rewrite-target`]: "/$2",
    [`${P}use-regex`]: "true",
    [`${P}ssl-redirect`]: "false",
    [`${P}backend-protocol`]: "https",
    [`${P}proxy-read-timeout`]: "120",
    [`${P}proxy-body-size`]: "8m",
  }, "/something(/|$)(.*)");
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.options, { rewriteTarget: "/$2", useRegex: true, sslRedirect: false, backendProtocol: "HTTPS", proxyReadTimeout: 120, proxyBodySize: "8m" });
});

test("defaults without annotations", () => {
  assert.deepEqual(parse({}), { options: { useRegex: false, backendProtocol: "HTTP" }, errors: [], unsupported: [] });
});

const INVALID: [string, string, RegExp][] = [
  ["rewrite-target", "/$host", /\$1\.\.\$9/],
  ["rewrite-target", "/a; return 200", /URI characters/],
  ["rewrite-target", "http://evil.example/", /starting with '\/'/],
  ["rewrite-target", "/a\"b", /URI characters/],
  ["rewrite-target", "/a}b", /URI characters/],
  ["rewrite-target", "/$1", /use-regex is not "true"/],
  ["use-regex", "yes", /"true" or "false"/],
  ["ssl-redirect", "1", /"true" or "false"/],
  ["backend-protocol", "GRPC", /supported values/],
  ["proxy-read-timeout", "60s", /whole number of seconds/],
  ["proxy-read-timeout", "0", /between 1 and/],
  ["proxy-read-timeout", "100000", /between 1 and/],
  ["proxy-body-size", "8 m", /nginx size/],
  ["proxy-body-size", "8mb", /nginx size/],
  ["proxy-body-size", "1m;", /nginx size/],
];
for (const [name, value, re] of INVALID) {
  test(`invalid ${name}: ${JSON.stringify(value)}`, () => {
    const r = parse({ [`${P}${name}`]: value });
    assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
    assert.equal(r.errors[0].annotation, `${P}${name}`);
    assert.match(r.errors[0].message, re);
    assert.equal(r.errors[0].ingress, "default/a");
    assert.match(formatAnnotationError(r.errors[0]), new RegExp(`^${P}${name}: Invalid value: `));
  });
}

test("capture references must exist in every regex path", () => {
  const r = parse({ [`${P}rewrite-target`]: "/$3", [`${P}use-regex`]: "true" }, "/something(/|$)(.*)");
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].message, /references \$3 but path "\/something\(\/\|\$\)\(\.\*\)" has 2 capture group/);
  assert.equal(captureGroupCount("/a(b)(?:c)(d)"), 2);
});

test("regex paths must compile and stay within nginx's syntax", () => {
  assert.match(parse({ [`${P}use-regex`]: "true" }, "/a(").errors[0].message, /not a valid regular expression/);
  assert.match(parse({ [`${P}use-regex`]: "true" }, "/a b").errors[0].message, /whitespace/);
  assert.match(parse({ [`${P}use-regex`]: "true" }, '/a"b').errors[0].message, /quotes/);
  assert.deepEqual(parse({ [`${P}use-regex`]: "true" }, "/api/v[0-9]+/.*").errors, []);
});

test("snippets and other annotations are never applied, only reported", () => {
  const r = parse({ [`${P}configuration-snippet`]: "return 200;", [`${P}server-snippet`]: "x", "example.com/other": "y" });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.unsupported, [`${P}configuration-snippet`, `${P}server-snippet`]);
  assert.deepEqual(r.options, { useRegex: false, backendProtocol: "HTTP" });
});
