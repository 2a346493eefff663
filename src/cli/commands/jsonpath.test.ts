import { test } from "node:test";
import assert from "node:assert/strict";
import { renderJsonPath } from "./jsonpath.js";

const svc = {
  metadata: { name: "frontend-lb", labels: { "app.kubernetes.io/name": "web" } },
  spec: { clusterIP: "10.96.0.5", ports: [{ name: "http", port: 80, nodePort: 30080 }, { name: "https", port: 443, nodePort: 30443 }] },
  status: { loadBalancer: { ingress: [{ ip: "198.51.100.2" }] } },
};
const list = { kind: "List", items: [{ metadata: { name: "a" } }, { metadata: { name: "b" } }] };

test("table: the jsonpath forms tutorials use", () => {
  const cases: [string, unknown, string][] = [
    ["{.status.loadBalancer.ingress[0].ip}", svc, "198.51.100.2"],
    [".spec.clusterIP", svc, "10.96.0.5"],
    ["{.spec.ports[*].nodePort}", svc, "30080 30443"],
    ["{.spec.ports[-1].name}", svc, "https"],
    ["{.metadata.labels['app.kubernetes.io/name']}", svc, "web"],
    ["{.metadata.labels.app\\.kubernetes\\.io/name}", svc, "web"],
    ["{.items[*].metadata.name}", list, "a b"],
    ["ip={.spec.clusterIP}:{.spec.ports[0].port}\\n", svc, "ip=10.96.0.5:80\n"],
    ["{.spec.ports[0]}", svc, '{"name":"http","port":80,"nodePort":30080}'],
    ["{.spec.missing}", svc, ""],
  ];
  for (const [tpl, data, want] of cases) assert.equal(renderJsonPath(tpl, data), want, tpl);
});

test("bad templates say what is wrong", () => {
  assert.throws(() => renderJsonPath("{.spec.ports[9]}", svc), /array index out of bounds/);
  assert.throws(() => renderJsonPath("{.spec", svc), /unclosed action/);
  assert.throws(() => renderJsonPath("{range .items[*]}{.metadata.name}{end}", list), /range is not supported/);
  assert.throws(() => renderJsonPath("{.spec.ports[?(@.port==80)]}", svc), /unsupported jsonpath subscript/);
});
