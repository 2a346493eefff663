import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NGINX_BINARY, preparePrefix, testConfig } from "../../ingress/nginx-process.js";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const SEED = fileURLToPath(new URL("../../../examples/seed", import.meta.url));

function netlab(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("render nginx -f seed: every seed Ingress (v1beta1 via its annotation, v1 via ingressClassName) is served; nginx -t accepts it", { skip: existsSync(NGINX_BINARY) ? false : "nginx not installed" }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "nlt-rendernginx-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = netlab(["render", "nginx", "-f", SEED, "--prefix", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  for (const want of ["server_name foo.bar.com;", "server_name bar.foo.com;", 'location = "/testpath" {', 'location "/legacy/" {', 'rewrite "^" "/" break;', 'location "/foo/" {']) {
    assert.ok(r.stdout.includes(want), want);
  }
  await preparePrefix(dir);
  await writeFile(join(dir, "nginx.conf"), r.stdout);
  const tc = await testConfig({ prefix: dir });
  assert.ok(tc.ok, tc.output);
});

test("render nginx --request explains the route; -o json gives the table", () => {
  const r = netlab(["render", "nginx", "-f", SEED, "--request", "foo.bar.com/bar/x", "--request", "h/testpath/a", "--request", "h/none"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n").map((l) => l.split(/\s{3,}/));
  assert.deepEqual(lines[0], ["HOST", "PATH", "INGRESS", "ROUTE", "BACKEND", "UPSTREAM PATH"]);
  assert.deepEqual([lines[1][2], lines[1][3], lines[1][5]], ["default/simple-fanout-example", "Prefix /bar", "/bar/x"]);
  assert.match(lines[1][4], /^default\/service2:8080 \(10\.\d+\.\d+\.\d+:8080\)$/);
  assert.deepEqual([lines[2][2], lines[2][5]], ["default/test-ingress", "/"]);
  assert.deepEqual(lines[3].slice(2), ["-", "(default backend)", "404 (no rule matched and no default backend)", "-"]);
  const j = netlab(["render", "nginx", "-f", SEED, "-o", "json"]);
  assert.equal(j.code, 0, j.stderr);
  const table = JSON.parse(j.stdout) as { servers: { host: string }[] };
  assert.deepEqual(table.servers.map((s) => s.host), ["", "bar.foo.com", "foo.bar.com"]);
});

test("render nginx: other classes, invalid annotations and bad flags are reported", () => {
  const other = netlab(["render", "nginx", "-f", SEED, "--class", "traefik"]);
  assert.equal(other.code, 0);
  assert.match(other.stderr, /# ingress "default\/test-ingress" not served: no IngressClass "nginx"/);
  assert.doesNotMatch(other.stdout, /server_name foo\.bar\.com/);
  const bad = `apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: bad
  annotations: {nginx.ingress.kubernetes.io/proxy-body-size: "lots"}
spec:
  ingressClassName: nginx
  rules: [{http: {paths: [{path: /x, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}}]
`;
  const r = netlab(["render", "nginx", "-f", "-"], bad);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, 'Warning: ingress "default/bad" left out: nginx.ingress.kubernetes.io/proxy-body-size: Invalid value: "lots": must be an nginx size such as "8m", "512k" or "0" (unlimited)\n');
  assert.doesNotMatch(r.stdout, /"\/x\/"/);
  assert.equal(netlab(["render", "nginx", "-f", SEED, "-o", "yaml"]).code, 1);
  assert.equal(netlab(["render", "nginx"]).code, 1);
});
