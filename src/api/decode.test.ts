import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeManifests, formatManifestError, loadManifestPaths } from "./decode.js";
import type { KubeObject } from "./types.js";

const SEED = fileURLToPath(new URL("../../examples/seed", import.meta.url));

const errorsOf = (text: string) => decodeManifests(text, "f.yaml").errors.map(formatManifestError);

test("every seed example validates clean", async () => {
  const r = await loadManifestPaths([SEED]);
  assert.deepEqual(r.errors.map(formatManifestError), []);
  assert.ok(r.objects.length >= 30, `only ${r.objects.length} objects`);
  const kinds = new Set(r.objects.map((o) => o.kind));
  for (const k of ["Service", "Deployment", "StatefulSet", "Pod", "Ingress", "Endpoints", "Namespace"]) assert.ok(kinds.has(k), k);
});

test("bad input is reported, never thrown", () => {
  const cases: [string, string, string[]][] = [
    [
      "malformed YAML names the line",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n",
      ["f.yaml (document 1): error converting YAML to JSON: yaml: line 5: All mapping items must start at the same column"],
    ],
    ["duplicate keys", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nmetadata: {name: b}\n", ["f.yaml (document 1): error converting YAML to JSON: yaml: line 4: Map keys must be unique"]],
    ["a scalar document", "hello\n", ["f.yaml (document 1): expected an object with apiVersion and kind, got string"]],
    ["a sequence document", "- a\n", ["f.yaml (document 1): expected an object with apiVersion and kind, got array"]],
    ["missing kind", "apiVersion: v1\nmetadata: {name: x}\n", ["f.yaml (document 1): error validating data: [kind not set]"]],
    ["missing both", "metadata: {name: x}\n", ["f.yaml (document 1): error validating data: [apiVersion not set, kind not set]"]],
    ["unknown kind", "apiVersion: bar/v1\nkind: Foo\nmetadata: {name: x}\n", ['f.yaml (document 1): no matches for kind "Foo" in version "bar/v1"']],
    ["unknown version", "apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: x}\n", ['f.yaml (document 1): no matches for kind "Deployment" in version "apps/v1beta1"']],
    [
      "port as a string",
      "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports:\n  - port: \"80\"\n",
      ["f.yaml (document 1): spec.ports[0].port: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32"],
    ],
    [
      "port not an integer",
      "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports:\n  - port: 80.5\n",
      ["f.yaml (document 1): spec.ports[0].port: json: cannot unmarshal number 80.5 into Go struct field ServicePort.spec.ports.port of type int32"],
    ],
    [
      "label value as a number",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    version: 1\n",
      ["f.yaml (document 1): metadata.labels[version]: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"],
    ],
    ["spec of the wrong type", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: hello\n", ["f.yaml (document 1): spec: json: cannot unmarshal string into Go struct field Service.spec of type v1.ServiceSpec"]],
    [
      "containers not a list",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: {name: a}\n",
      ["f.yaml (document 1): spec.containers: json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"],
    ],
    [
      "a typo in a closed struct",
      "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports:\n  - port: 80\n    targetport: 8080\n",
      ['f.yaml (document 1): spec.ports[0].targetport: strict decoding error: unknown field "spec.ports[0].targetport"'],
    ],
    [
      "List items are flattened, errors name the item",
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n  spec: {ports: [{port: 0, targetPort: 1}]}\n",
      ["f.yaml (document 1): items[1].spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"],
    ],
    ["documents are numbered from 1, empty ones skipped", "---\n# nothing\n---\napiVersion: v1\nkind: Nope\nmetadata: {name: a}\n", ['f.yaml (document 2): no matches for kind "Nope" in version "v1"']],
  ];
  for (const [name, text, want] of cases) {
    let got: string[] = [];
    assert.doesNotThrow(() => {
      got = errorsOf(text);
    }, name);
    assert.deepEqual(got, want, name);
  }
});

test("garbage of every shape never throws", () => {
  const inputs = ["", "\u0000\u0001", "{", "[1,2", "!!binary x", "*alias", "a: &x [*x]", "apiVersion: v1\nkind: Service\nspec: {ports: [1, 'a', null, {port: {}}]}\n", "kind: List\napiVersion: v1\nitems: [1, null]\n"];
  for (const t of inputs) assert.doesNotThrow(() => decodeManifests(t, "g.yaml"), JSON.stringify(t));
});

test("YAML anchors and merge keys", () => {
  const r = decodeManifests("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  labels: &l {app: web}\n  annotations:\n    <<: *l\n    note: x\n", "m.yaml");
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.objects[0].metadata.annotations, { app: "web", note: "x" });
});

test("a stream of concatenated JSON objects is several documents", () => {
  const r = decodeManifests('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"} \\" {"}}\n{"apiVersion":"v1","kind":"Nope","metadata":{"name":"b"}}\n', "s.json");
  assert.deepEqual(r.objects.map((o) => [o.metadata.name, o.data]), [["a", { k: '} " {' }]]);
  assert.deepEqual(r.errors.map(formatManifestError), ['s.json (document 2): no matches for kind "Nope" in version "v1"']);
});

test("JSON documents and List flattening", () => {
  const r = decodeManifests('{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}},{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}]}', "l.json");
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.objects.map((o) => o.metadata.name), ["a", "b"]);
  const typed = decodeManifests('{"apiVersion":"v1","kind":"ServiceList","metadata":{},"items":[{"metadata":{"name":"web"},"spec":{"ports":[{"port":80}]}}]}', "t.json");
  assert.deepEqual(typed.errors, []);
  assert.deepEqual(typed.objects.map((o) => [o.apiVersion, o.kind, o.metadata.name]), [["v1", "Service", "web"]]);
});

test("v1beta1 Ingress converts to v1", () => {
  for (const apiVersion of ["networking.k8s.io/v1beta1", "extensions/v1beta1"]) {
    const r = decodeManifests(
      `apiVersion: ${apiVersion}\nkind: Ingress\nmetadata:\n  name: old\nspec:\n  backend:\n    serviceName: def\n    servicePort: http\n  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - path: /x\n        backend:\n          serviceName: web\n          servicePort: 80\n      - path: /y\n        pathType: Exact\n        backend:\n          serviceName: api\n          servicePort: grpc\n`,
      "old.yaml",
    );
    assert.deepEqual(r.errors, [], apiVersion);
    const o = r.objects[0] as KubeObject & { spec: Record<string, unknown> };
    assert.equal(o.apiVersion, "networking.k8s.io/v1");
    assert.deepEqual(o.spec, {
      defaultBackend: { service: { name: "def", port: { name: "http" } } },
      rules: [
        {
          host: "a.example.com",
          http: {
            paths: [
              { path: "/x", pathType: "ImplementationSpecific", backend: { service: { name: "web", port: { number: 80 } } } },
              { path: "/y", pathType: "Exact", backend: { service: { name: "api", port: { name: "grpc" } } } },
            ],
          },
        },
      ],
    });
  }
  // v1 keeps pathType required: no defaulting there.
  assert.deepEqual(
    errorsOf("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  rules:\n  - http:\n      paths:\n      - path: /\n        backend: {service: {name: a, port: {number: 80}}}\n"),
    ["f.yaml (document 1): spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"],
  );
  // v1beta1 field types are checked before conversion.
  assert.deepEqual(errorsOf("apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  backend:\n    serviceName: 5\n    servicePort: 80\n"), [
    "f.yaml (document 1): spec.backend.serviceName: json: cannot unmarshal number into Go struct field IngressBackend.spec.backend.serviceName of type string",
  ]);
});

test("directories: recursive, *.yaml/*.yml/*.json only, sorted; missing paths reported", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "netlab-decode-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cm = (n: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\n`;
  mkdirSync(join(dir, "b-sub"));
  writeFileSync(join(dir, "c.yaml"), cm("c"));
  writeFileSync(join(dir, "a.yml"), cm("a"));
  writeFileSync(join(dir, "b-sub", "x.json"), JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bx" } }));
  writeFileSync(join(dir, "notes.txt"), "not: [a manifest");
  const r = await loadManifestPaths([dir, join(dir, "missing.yaml")]);
  assert.deepEqual(r.objects.map((o) => o.metadata.name), ["a", "bx", "c"]);
  assert.deepEqual(r.errors.map(formatManifestError), [`${join(dir, "missing.yaml")}: the path "${join(dir, "missing.yaml")}" does not exist`]);
});
