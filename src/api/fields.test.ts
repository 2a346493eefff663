import { test } from "node:test";
import assert from "node:assert/strict";
import { checkFieldSelector, fieldSelectorToString, matchesFieldSelector, parseFieldSelector } from "./fields.js";
import type { KubeObject } from "./types.js";

const pod: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-1", namespace: "default" },
  spec: { nodeName: "node-1", containers: [] },
  status: { phase: "Running" },
};

test("field selectors parse and match by dotted path", () => {
  const cases: [string, boolean][] = [
    ["", true],
    ["metadata.name=web-1", true],
    ["metadata.name==web-1", true],
    ["metadata.name!=web-1", false],
    ["metadata.namespace=default,spec.nodeName=node-1", true],
    ["spec.nodeName=node-2", false],
    ["spec.nodeName=", false],
    ["status.phase!=Pending", true],
    ["spec.hostNetwork=false", true],
  ];
  for (const [s, want] of cases) assert.equal(matchesFieldSelector(parseFieldSelector(s), pod), want, s);
  const secret: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, type: "kubernetes.io/tls" };
  assert.equal(matchesFieldSelector(parseFieldSelector("type=kubernetes.io/tls"), secret), true);
});

test("field selector errors", () => {
  assert.throws(() => parseFieldSelector("metadata.name"), { message: "invalid selector: 'metadata.name'; can't understand 'metadata.name'" });
  assert.throws(() => parseFieldSelector("a=b\\x"), { message: "invalid field selector: invalid escape sequence: \\x" });
  assert.throws(() => parseFieldSelector("a=b=c"), { message: "invalid field selector: unescaped character in value: 61" });
  assert.deepEqual(parseFieldSelector("a=b\\=c"), [{ field: "a", operator: "=", value: "b=c" }]);
  assert.equal(checkFieldSelector("Pod", parseFieldSelector("spec.nodeName=x")), undefined);
  assert.equal(checkFieldSelector("Service", parseFieldSelector("spec.nodeName=x")), "field label not supported: spec.nodeName");
  assert.equal(fieldSelectorToString(parseFieldSelector("b=1,a!=x\\,y")), "a!=x\\,y,b=1");
});
