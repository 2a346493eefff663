import { test } from "node:test";
import assert from "node:assert/strict";
import type { IngressClass } from "../api/types.js";
import { classifyIngress, CONTROLLER_NAME, defaultIngressClass, ourIngressClass, servedIngresses } from "./class.js";
import { ingress } from "./test-support.js";

const cls = (name: string, controller: string, isDefault = false): IngressClass => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: { name, ...(isDefault ? { annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } } : {}) },
  spec: { controller },
});

function withClass(name: string, how: "spec" | "annotation" | "none") {
  const i = ingress(name, [{ paths: [{ path: "/", pathType: "Prefix", service: "s", port: 80 }] }]);
  delete i.spec.ingressClassName;
  if (how === "spec") i.spec.ingressClassName = name;
  if (how === "annotation") i.metadata.annotations = { "kubernetes.io/ingress.class": name };
  return i;
}

test("spec.ingressClassName: served when the IngressClass names our controller", () => {
  const classes = [cls("nginx", CONTROLLER_NAME), cls("other", "example.com/other")];
  assert.equal(classifyIngress(withClass("nginx", "spec"), classes).served, true);
  assert.equal(classifyIngress(withClass("other", "spec"), classes).served, false);
  assert.equal(classifyIngress(withClass("missing", "spec"), classes).served, false);
});

test("our own class name is served without an IngressClass object (offline render of the seed)", () => {
  assert.equal(classifyIngress(withClass("nginx", "spec"), []).served, true);
  // ...but an IngressClass "nginx" of another controller takes it away.
  assert.equal(classifyIngress(withClass("nginx", "spec"), [cls("nginx", "k8s.io/ingress-nginx")]).served, false);
});

test("kubernetes.io/ingress.class annotation", () => {
  assert.deepEqual(
    { ...classifyIngress(withClass("nginx", "annotation"), []), reason: "" },
    { served: true, className: "nginx", source: "annotation", reason: "" },
  );
  assert.equal(classifyIngress(withClass("traefik", "annotation"), []).served, false);
});

test("spec.ingressClassName wins over the annotation", () => {
  const i = withClass("other", "spec");
  i.metadata.annotations = { "kubernetes.io/ingress.class": "nginx" };
  assert.equal(classifyIngress(i, [cls("other", "example.com/other")]).served, false);
});

test("no class: the default IngressClass decides; two defaults mean none", () => {
  const i = withClass("x", "none");
  assert.equal(classifyIngress(i, []).served, false);
  assert.equal(classifyIngress(i, [cls("nginx", CONTROLLER_NAME, true)]).served, true);
  assert.equal(classifyIngress(i, [cls("nginx", CONTROLLER_NAME), cls("b", "example.com/other", true)]).served, false);
  const two = [cls("nginx", CONTROLLER_NAME, true), cls("b", CONTROLLER_NAME, true)];
  assert.equal(defaultIngressClass(two), undefined);
  assert.equal(classifyIngress(i, two).served, false);
  // Only the exact value "true" marks a default.
  const yes = cls("nginx", CONTROLLER_NAME);
  yes.metadata.annotations = { "ingressclass.kubernetes.io/is-default-class": "True" };
  assert.equal(classifyIngress(i, [yes]).served, false);
});

test("servedIngresses filters; ourIngressClass is what the lab creates", () => {
  const list = [withClass("nginx", "spec"), withClass("other", "spec"), withClass("nginx", "annotation")];
  assert.deepEqual(servedIngresses(list, [cls("other", "x/y")]).map((i) => i.metadata.name), ["nginx", "nginx"]);
  assert.deepEqual(ourIngressClass(undefined, true), {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "nginx", annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } },
    spec: { controller: "netlab.dev/ingress-nginx" },
  });
});
