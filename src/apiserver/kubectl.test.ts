// The real kubectl (1.33 and 1.27 when installed) against our API server: apply the seed
// twice, get (tables, -o yaml, jsonpath), scale, delete, and an invalid object's message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { openSqliteStore } from "../store/sqlite-store.js";
import { Registry } from "./registry.js";
import { startApiServer } from "./server.js";
import { DEFAULT_SETTINGS } from "../cluster/settings.js";

const here = dirname(fileURLToPath(import.meta.url));
const SEED_CANDIDATES = [join(here, "..", "..", "examples", "seed"), "/work/shared/examples/seed"];
const seed = SEED_CANDIDATES.find((p) => existsSync(p));
const KUBECTLS = ["1.33", "1.27"].map((v) => ({ v, bin: `/usr/lib/google-cloud-sdk/bin/kubectl.${v}` }));

function kubectl(bin: string, kubeconfig: string, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(bin, args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dirname(kubeconfig) }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) {
      p.stdin!.write(stdin);
      p.stdin!.end();
    }
  });
}

for (const { v, bin } of KUBECTLS) {
  test(`kubectl ${v}: apply the seed twice, get, get -o yaml, scale, delete`, async (t) => {
    if (!existsSync(bin)) {
      t.skip(`kubectl ${v} not installed at ${bin}`);
      return;
    }
    if (!seed) {
      t.skip(`examples/seed not found (looked in ${SEED_CANDIDATES.join(", ")})`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "nlt-kubectl-"));
    const registry = new Registry(openSqliteStore(join(dir, "cluster.db")), DEFAULT_SETTINGS, { namespaceFinalizeDelayMs: 50 });
    const server = await startApiServer({ registry, port: 0, dataDir: dir });
    t.after(async () => {
      await server.close();
      registry.close();
      registry.store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const k = (args: string[], stdin?: string) => kubectl(bin, server.kubeconfigPath, args, stdin);

    // networking.k8s.io/v1beta1 Ingress is not served (as upstream since 1.22); the rest applies.
    const files = readdirSync(seed).filter((f) => /\.ya?ml$/.test(f) && !f.includes("v1beta1")).sort();
    const args = files.flatMap((f) => ["-f", join(seed, f)]);
    const first = await k(["apply", ...args]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /service\/frontend-nodeport created/);
    assert.match(first.stdout, /deployment.apps\/frontend created/);
    const second = await k(["apply", ...args]);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, / created$/m);
    assert.match(second.stdout, /service\/frontend-nodeport unchanged/);
    const betaFile = readdirSync(seed).find((f) => f.includes("v1beta1"));
    if (betaFile) {
      const beta = await k(["apply", "-f", join(seed, betaFile)]);
      assert.notEqual(beta.code, 0);
      assert.match(beta.stderr, /networking\.k8s\.io\/v1beta1/);
    }

    const svcs = await k(["get", "svc", "-A"]);
    assert.equal(svcs.code, 0, svcs.stderr);
    assert.match(svcs.stdout, /^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
    assert.match(svcs.stdout, /^default\s+frontend-nodeport\s+NodePort\s+10\.\d+\.\d+\.\d+\s+<none>\s+8080:30001\/TCP\s+\d+s$/m);
    assert.match(svcs.stdout, /^default\s+kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/m);
    assert.match(svcs.stdout, /^prod\s+my-service\s+ExternalName\s+<none>\s+my\.database\.example\.com/m);

    const y = await k(["get", "svc", "legacy-api", "-o", "yaml"]);
    assert.equal(y.code, 0, y.stderr);
    const legacy = parse(y.stdout);
    assert.equal(legacy.spec.clusterIP, "10.96.100.100");
    assert.deepEqual(legacy.spec.externalIPs, ["198.51.100.200"]);
    assert.ok(legacy.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]);

    const sc = await k(["scale", "deployment/frontend", "--replicas", "5"]);
    assert.equal(sc.code, 0, sc.stderr);
    assert.equal((await k(["get", "deploy", "frontend", "-o", "jsonpath={.spec.replicas}"])).stdout, "5");

    const bad = await k(["apply", "-f", "-"], "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  clusterIP: 1.1.1.1\n  ports:\n  - port: 80\n");
    assert.notEqual(bad.code, 0);
    assert.match(
      bad.stderr,
      /The Service "bad" is invalid: spec\.clusterIPs: Invalid value: \[\]string\{"1\.1\.1\.1"\}: failed to allocate IP 1\.1\.1\.1: the provided IP \(1\.1\.1\.1\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12/,
    );

    const del = await k(["delete", "-f", join(seed, "03-nodeport.yaml")]);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /service "frontend-nodeport" deleted/);
    const gone = await k(["get", "svc", "frontend-nodeport"]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /Error from server \(NotFound\): services "frontend-nodeport" not found/);

    // Imperative generators (kubectl 1.32+ sends these bodies as protobuf).
    for (const args of [
      ["create", "configmap", "gen-cm", "--from-literal=a=b"],
      ["create", "secret", "generic", "gen-secret", "--from-literal=a=b"],
      ["create", "deployment", "gen-deploy", "--image=nginx:1", "--replicas=0", "--port=8080"],
      ["create", "service", "nodeport", "gen-svc", "--tcp=80:8080", "--node-port=30080"],
    ]) {
      const r = await k(args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    assert.equal((await k(["get", "cm", "gen-cm", "-o", "jsonpath={.data.a}"])).stdout, "b");
    assert.equal((await k(["get", "secret", "gen-secret", "-o", "jsonpath={.data.a}"])).stdout, "Yg==");
    assert.equal((await k(["get", "deploy", "gen-deploy", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].ports[0].containerPort}"])).stdout, "0 8080");
    assert.equal((await k(["get", "svc", "gen-svc", "-o", "jsonpath={.spec.type} {.spec.ports[0].nodePort} {.spec.ports[0].targetPort}"])).stdout, "NodePort 30080 8080");

    // Deleting a namespace: Terminating first, then gone with its contents (kubectl waits).
    const dn = await k(["delete", "namespace", "sock-shop"]);
    assert.equal(dn.code, 0, dn.stderr);
    assert.match((await k(["get", "deploy", "-n", "sock-shop"])).stderr, /No resources found in sock-shop namespace/);
  });
}
