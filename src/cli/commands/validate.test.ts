import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const SEED = fileURLToPath(new URL("../../../examples/seed", import.meta.url));

function netlab(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n";
const BAD = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - name: a\n    port: 80\n  - port: 81\n---\napiVersion: bar/v1\nkind: Foo\nmetadata:\n  name: f\n";

test("validate prints one aligned line per object and exits 0", () => {
  const r = netlab(["validate", "-f", "-"], GOOD);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Service/web          valid\nConfigMap/settings   valid\n");
});

test("validate prints each error on its own line to stderr and exits 1", () => {
  const r = netlab(["validate", "-f", "-"], BAD);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, 'STDIN (document 1): spec.ports[1].name: Required value\nSTDIN (document 2): no matches for kind "Foo" in version "bar/v1"\n');
});

test("validate -o json", () => {
  const bad = netlab(["validate", "-f", "-", "-o", "json"], BAD);
  assert.equal(bad.code, 1);
  const j = JSON.parse(bad.stdout);
  assert.equal(j.valid, false);
  assert.equal(j.objects, 0);
  assert.deepEqual(j.errors[0], { source: "STDIN", document: 1, field: "spec.ports[1].name", message: "Required value", text: "STDIN (document 1): spec.ports[1].name: Required value" });
  const good = netlab(["validate", "-f", "-", "-o", "json"], GOOD);
  assert.equal(good.code, 0);
  assert.deepEqual(JSON.parse(good.stdout), { valid: true, objects: 2, errors: [] });
});

test("validate accepts the seed directory and refuses missing paths", () => {
  const r = netlab(["validate", "-f", SEED]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Deployment\/frontend +valid$/m);
  const missing = netlab(["validate", "-f", "/nonexistent/x.yaml"]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, '/nonexistent/x.yaml: the path "/nonexistent/x.yaml" does not exist\n');
  assert.equal(netlab(["validate"]).code, 1);
});
