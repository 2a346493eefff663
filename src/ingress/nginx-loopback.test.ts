// The rendered configuration in a real nginx on 127.0.0.1, request by request against the
// pure matcher and the documentation's tables. Backends are echo servers on 127.0.0.1 standing
// in for Service ClusterIPs. Only loopback traffic; nginx is ours, stopped by PID.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ingress, Secret, Service } from "../api/types.js";
import { buildRoutes, chooseEffectiveIngresses, type RouteTable } from "./routes.js";
import { matchRequest } from "./match.js";
import { certPaths, renderNginxConfig, versionOfConfig } from "./nginx-config.js";
import { NGINX_BINARY, NginxProcess, preparePrefix, testConfig, writeConfig } from "./nginx-process.js";
import { DOCS_HOST_TABLE, DOCS_PATH_TABLE, freePort, get, ingress, startEchoBackends, type EchoReply } from "./test-support.js";

const skip = existsSync(NGINX_BINARY) ? false : `${NGINX_BINARY} not installed`;
if (skip) console.log(`# skipping nginx loopback tests: ${skip}`);

const RE = "nginx.ingress.kubernetes.io/";

interface Fixture {
  ingresses: Ingress[];
  backendNames: string[];
}

// Every docs row gets its own host, twice: plainly, and beside a regex route of another
// Ingress (which switches that server to regex locations).
function fixture(): Fixture {
  const ingresses: Ingress[] = [];
  const names: string[] = [];
  DOCS_PATH_TABLE.forEach((row, i) => {
    for (const mode of ["plain", "regex"] as const) {
      const host = `row${i}-${mode}.test`;
      const paths = row.paths.map((p, j) => {
        names.push(`r${i}p${j}`);
        return { ...p, service: `r${i}p${j}`, port: 80 };
      });
      ingresses.push(ingress(`row${i}-${mode}`, [{ host, paths }]));
      if (mode === "regex") {
        ingresses.push(ingress(`row${i}-re`, [{ host, paths: [{ path: "/zz-never[0-9]+", pathType: "ImplementationSpecific", service: "regex", port: 80 }] }], { annotations: { [`${RE}use-regex`]: "true" } }));
      }
    }
  });
  DOCS_HOST_TABLE.forEach((row, i) => {
    names.push(`host${i}`);
    ingresses.push(ingress(`host${i}`, [{ host: row.host, paths: [{ path: `/host${i}`, pathType: "Exact", service: `host${i}`, port: 80 }] }]));
  });
  names.push("regex", "seed-test", "service1", "service2", "rewrite", "any", "dflt");
  ingresses.push(
    // The seed's rewrite example (13-ingress-v1.yaml) and fanout / virtual hosts (14, 15).
    ingress("test-ingress", [{ paths: [{ path: "/testpath", pathType: "Prefix", service: "seed-test", port: 80 }] }], { annotations: { [`${RE}rewrite-target`]: "/" } }),
    ingress("simple-fanout-example", [{ host: "foo.bar.com", paths: [{ path: "/foo", pathType: "Prefix", service: "service1", port: 80 }, { path: "/bar", pathType: "Prefix", service: "service2", port: 80 }] }]),
    ingress("name-virtual-host-ingress", [
      { host: "foo.bar.com", paths: [{ path: "/", pathType: "Prefix", service: "service1", port: 80 }] },
      // The seed says bar.foo.com; renamed so that the docs' `*.foo.com` row is not shadowed by it.
      { host: "bar.foo.net", paths: [{ path: "/", pathType: "Prefix", service: "service2", port: 80 }] },
    ]),
    // ingress-nginx's documented capture-group rewrite.
    ingress("rewrite", [{ host: "rewrite.bar.com", paths: [{ path: "/something(/|$)(.*)", pathType: "ImplementationSpecific", service: "rewrite", port: 80 }] }], {
      annotations: { [`${RE}rewrite-target`]: "/$2", [`${RE}use-regex`]: "true" },
    }),
    ingress("wild-default", [{ host: "*.dflt.test", paths: [{ path: "/a", pathType: "Exact", service: "any", port: 80 }] }], { defaultBackend: { service: "dflt", port: 80 } }),
  );
  return { ingresses, backendNames: [...new Set(names)] };
}

function services(ports: Map<string, number>): Service[] {
  return [...ports].map(([name, port]) => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec: { clusterIP: "127.0.0.1", ports: [{ port: 80, protocol: "TCP" }] } }));
}

// Backends are 127.0.0.1:<echo port>; the route table names Service port 80, so map it.
function loopbackTable(table: RouteTable, ports: Map<string, number>): RouteTable {
  const fix = (b: RouteTable["servers"][number]["fallback"]["backend"]) =>
    b.type === "service" ? { ...b, address: `127.0.0.1:${ports.get(b.service.split("/")[1])}` } : b;
  return {
    ...table,
    servers: table.servers.map((s) => ({ ...s, routes: s.routes.map((r) => ({ ...r, backend: fix(r.backend) })), fallback: { ...s.fallback, backend: fix(s.fallback.backend) } })),
  };
}

let dir = "";
let nginx: NginxProcess | undefined;
let backends: Awaited<ReturnType<typeof startEchoBackends>> | undefined;
let httpPort = 0;
let table: RouteTable;

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), "nlt-ing-"));
  const f = fixture();
  backends = await startEchoBackends(f.backendNames);
  table = loopbackTable(buildRoutes({ ingresses: f.ingresses, services: services(backends.ports) }), backends.ports);
  assert.deepEqual(table.problems, []);
  httpPort = await freePort();
  await preparePrefix(dir);
  const text = renderNginxConfig(table, { prefix: dir, listen: "127.0.0.1", httpPort, httpsPort: await freePort() });
  await writeConfig({ prefix: dir }, text);
  const t = await testConfig({ prefix: dir });
  assert.ok(t.ok, t.output);
  nginx = await NginxProcess.start({ prefix: dir }, { expectVersion: versionOfConfig(text) });
});

after(async () => {
  await nginx?.stop();
  await backends?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function ask(host: string, path: string): Promise<{ status: number; echo?: EchoReply }> {
  const r = await get(httpPort, host, path);
  return { status: r.status, echo: r.status === 200 ? (JSON.parse(r.body) as EchoReply) : undefined };
}

/** nginx's answer must be the pure matcher's, backend and path. */
async function agree(host: string, path: string): Promise<string | null> {
  const want = matchRequest(table, host, path);
  const got = await ask(host, path);
  if (want.backend.type === "none") {
    assert.equal(got.status, want.backend.status, `${host}${path}: nginx answered ${got.status} ${got.echo?.backend ?? ""}`);
    return null;
  }
  assert.equal(got.status, 200, `${host}${path}`);
  assert.equal(got.echo!.backend, want.backend.service.split("/")[1], `${host}${path}`);
  assert.equal(got.echo!.path, want.upstreamPath + (path.includes("?") ? path.slice(path.indexOf("?")) : ""), `${host}${path}: upstream path`);
  return got.echo!.backend;
}

DOCS_PATH_TABLE.forEach((row, i) => {
  test(`nginx, docs path table: ${row.title}`, { skip }, async () => {
    for (const mode of ["plain", "regex"]) {
      for (const [path, want] of row.requests) {
        const got = await agree(`row${i}-${mode}.test`, path);
        // No match: the default backend (here the wildcard Ingress's, the only one given).
        assert.equal(got, want === null ? "dflt" : `r${i}p${want}`, `${mode} ${path}`);
      }
    }
  });
});

DOCS_HOST_TABLE.forEach((row, i) => {
  test(`nginx, docs host table: ${row.host} with Host ${row.header}`, { skip }, async () => {
    const got = await agree(row.header, `/host${i}`);
    assert.equal(got, row.matches ? `host${i}` : "dflt");
  });
});

test("nginx: seed fanout, virtual hosts and rewrite-target", { skip }, async () => {
  assert.equal(await agree("foo.bar.com", "/foo"), "service1");
  assert.equal(await agree("foo.bar.com", "/bar/x"), "service2");
  assert.equal(await agree("foo.bar.com", "/other"), "service1");
  assert.equal(await agree("bar.foo.net", "/foo"), "service2");
  const r = await ask("198.51.100.7", "/testpath/a?x=1");
  assert.equal(r.echo?.backend, "seed-test");
  assert.equal(r.echo?.path, "/?x=1");
  assert.equal(await agree("198.51.100.7", "/testpathx"), "dflt");
  for (const [p, up] of [["/something", "/"], ["/something/", "/"], ["/something/new", "/new"], ["/something/a/b?q=2", "/a/b?q=2"]]) {
    const e = await ask("rewrite.bar.com", p);
    assert.equal(e.echo?.path, up, p);
    await agree("rewrite.bar.com", p);
  }
  assert.equal(await agree("rewrite.bar.com", "/somethingelse"), "dflt");
});

test("nginx: wildcard host with its Ingress's defaultBackend; unknown hosts get the oldest defaultBackend", { skip }, async () => {
  assert.equal(await agree("x.dflt.test", "/a"), "any");
  assert.equal(await agree("x.dflt.test", "/b"), "dflt");
  assert.equal(await agree("nobody.example", "/zzz"), "dflt");
});

test("nginx: Host kept, X-Forwarded-* and X-Real-IP set", { skip }, async () => {
  const r = await ask("Foo.Bar.com:8080", "/foo");
  assert.equal(r.echo?.host, "foo.bar.com");
  assert.equal(r.echo?.headers["x-forwarded-for"], "127.0.0.1");
  assert.equal(r.echo?.headers["x-real-ip"], "127.0.0.1");
  assert.equal(r.echo?.headers["x-forwarded-proto"], "http");
  assert.equal(r.echo?.headers["x-forwarded-host"], "foo.bar.com");
});

test("nginx: TLS by SNI from a kubernetes.io/tls Secret, ssl-redirect, body size and timeouts", { skip }, async (t) => {
  const tdir = await mkdtemp(join(tmpdir(), "nlt-ingtls-"));
  let proc: NginxProcess | undefined;
  t.after(async () => {
    await proc?.stop();
    await rm(tdir, { recursive: true, force: true });
  });
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=secure.example", "-addext", "subjectAltName=DNS:secure.example", "-keyout", `${tdir}/k.pem`, "-out", `${tdir}/c.pem`], { stdio: "ignore" });
  const crt = await readFile(`${tdir}/c.pem`, "utf8");
  const key = await readFile(`${tdir}/k.pem`, "utf8");
  const secret: Secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "secure-tls", namespace: "default" }, type: "kubernetes.io/tls", data: { "tls.crt": Buffer.from(crt).toString("base64"), "tls.key": Buffer.from(key).toString("base64") } };
  const ings = [
    ingress("secure", [{ host: "secure.example", paths: [{ path: "/", pathType: "Prefix", service: "service1", port: 80 }] }], {
      tls: [{ hosts: ["secure.example"], secretName: "secure-tls" }],
      annotations: { [`${RE}proxy-body-size`]: "1k", [`${RE}proxy-read-timeout`]: "7" },
    }),
    ingress("noredirect", [{ host: "open.example", paths: [{ path: "/", pathType: "Prefix", service: "service2", port: 80 }] }], {
      tls: [{ hosts: ["open.example"], secretName: "secure-tls" }],
      annotations: { [`${RE}ssl-redirect`]: "false" },
    }),
  ];
  const tbl = loopbackTable(buildRoutes({ ingresses: ings, services: services(backends!.ports), secrets: [secret] }), backends!.ports);
  const hp = await freePort();
  const sp = await freePort();
  await preparePrefix(tdir);
  const p = certPaths("default/secure-tls", `${tdir}/certs`);
  await writeFile(p.cert, crt);
  await writeFile(p.key, key, { mode: 0o600 });
  const text = renderNginxConfig(tbl, { prefix: tdir, listen: "127.0.0.1", httpPort: hp, httpsPort: sp });
  assert.match(text, /ssl_certificate "[^"]+\/certs\/default_secure-tls\.crt";/);
  await writeConfig({ prefix: tdir }, text);
  const tc = await testConfig({ prefix: tdir });
  assert.ok(tc.ok, tc.output);
  proc = await NginxProcess.start({ prefix: tdir }, { expectVersion: versionOfConfig(text) });

  const redirect = await get(hp, "secure.example", "/a?b=1");
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.location, `https://secure.example:${sp}/a?b=1`);
  const secure = await get(sp, "secure.example", "/a", { https: true, ca: crt });
  assert.equal(secure.status, 200);
  const echo = JSON.parse(secure.body) as EchoReply;
  assert.equal(echo.backend, "service1");
  assert.equal(echo.headers["x-forwarded-proto"], "https");
  // No defaultBackend anywhere in this configuration: an unknown host gets nginx's 404.
  assert.equal((await get(hp, "nobody.example", "/")).status, 404);
  // ssl-redirect "false": plain HTTP still served.
  assert.equal(JSON.parse((await get(hp, "open.example", "/")).body).backend, "service2");
  // A name without a certificate: the handshake is refused.
  await assert.rejects(get(sp, "other.example", "/", { https: true }));
  // proxy-body-size 1k.
  assert.equal((await get(sp, "secure.example", "/up", { https: true, ca: crt, method: "POST", body: "x".repeat(2048) })).status, 413);
  assert.equal((await get(sp, "secure.example", "/up", { https: true, ca: crt, method: "POST", body: "x".repeat(512) })).status, 200);
  assert.match(text, /proxy_read_timeout 7s;/);
});

test("nginx: reload on a changed configuration keeps the master and serves the new routes", { skip }, async () => {
  const pid = nginx!.pid;
  const base = fixture().ingresses;
  const added = ingress("added-later", [{ host: "later.example", paths: [{ path: "/new", pathType: "Exact", service: "service2", port: 80 }] }]);
  // An invalid annotation on another Ingress must not stop the valid change.
  const broken = structuredClone(base.find((i) => i.metadata.name === "simple-fanout-example")!);
  broken.metadata.annotations = { [`${RE}proxy-body-size`]: "lots" };
  broken.spec.rules![0].http!.paths[0].path = "/moved";
  const prevGood = new Map(base.map((i) => [`default/${i.metadata.name}`, i]));
  const eff = chooseEffectiveIngresses([...base.filter((i) => i !== base.find((x) => x.metadata.name === "simple-fanout-example")), broken, added], prevGood);
  assert.equal(eff.invalid.length, 1);
  const next = loopbackTable(buildRoutes({ ingresses: eff.ingresses, services: services(backends!.ports) }), backends!.ports);
  const text = renderNginxConfig(next, { prefix: dir, listen: "127.0.0.1", httpPort, httpsPort: await freePort() });
  await nginx!.apply(text);
  assert.equal(nginx!.pid, pid);
  table = next;
  assert.equal(await agree("later.example", "/new"), "service2");
  // The broken Ingress kept its previous routes.
  assert.equal(await agree("foo.bar.com", "/foo"), "service1");
  assert.equal(await agree("foo.bar.com", "/moved"), "service1");
});
