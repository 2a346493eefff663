import { test } from "node:test";
import assert from "node:assert/strict";
import { strategicMergePatch } from "./strategic-merge.js";

const deploy = {
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          { name: "a", image: "a:1", ports: [{ containerPort: 80, name: "http" }], env: [{ name: "X", value: "1" }, { name: "Y", value: "2" }] },
          { name: "b", image: "b:1" },
        ],
      },
    },
  },
};

test("containers merge by name, ports by containerPort, env by name", () => {
  const got = strategicMergePatch("Deployment", deploy, {
    spec: { template: { spec: { containers: [{ name: "a", image: "a:2", ports: [{ containerPort: 8080 }], env: [{ name: "X", value: "9" }] }] } } },
  }) as typeof deploy;
  const a = got.spec.template.spec.containers[0];
  assert.equal(a.image, "a:2");
  assert.deepEqual(a.ports, [{ containerPort: 80, name: "http" }, { containerPort: 8080 }]);
  assert.deepEqual(a.env, [{ name: "X", value: "9" }, { name: "Y", value: "2" }]);
  assert.equal(got.spec.template.spec.containers[1].image, "b:1");
});

test("$patch delete removes a keyed element; $setElementOrder orders it", () => {
  const got = strategicMergePatch("Deployment", deploy, {
    spec: { template: { spec: { "$setElementOrder/containers": [{ name: "b" }, { name: "a" }], containers: [{ name: "a", $patch: "delete" }] } } },
  }) as typeof deploy;
  assert.deepEqual(got.spec.template.spec.containers.map((c) => c.name), ["b"]);
  const ordered = strategicMergePatch("Deployment", deploy, { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "b" }, { name: "a" }] } } } }) as typeof deploy;
  assert.deepEqual(ordered.spec.template.spec.containers.map((c) => c.name), ["b", "a"]);
});

test("Service ports merge by port; lists without a merge key are replaced; null deletes", () => {
  const svc = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }], externalIPs: ["1.2.3.4"], selector: { app: "x", tier: "y" } } };
  const got = strategicMergePatch("Service", svc, { spec: { ports: [{ port: 80, targetPort: 9090 }], externalIPs: ["5.6.7.8"], selector: { tier: null } } });
  assert.deepEqual(got, { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }], externalIPs: ["5.6.7.8"], selector: { app: "x" } } });
});

test("$patch replace on a map and in a list", () => {
  assert.deepEqual(strategicMergePatch("ConfigMap", { data: { a: "1", b: "2" } }, { data: { $patch: "replace", c: "3" } }), { data: { c: "3" } });
  const got = strategicMergePatch("Deployment", deploy, { spec: { template: { spec: { containers: [{ $patch: "replace" }, { name: "z", image: "z" }] } } } }) as typeof deploy;
  assert.deepEqual(got.spec.template.spec.containers, [{ name: "z", image: "z" }]);
});
