import { test } from "node:test";
import assert from "node:assert/strict";
import { threeWayPatch } from "./apply-patch.js";
import { strategicMergePatch } from "../../apiserver/strategic-merge.js";

const apply = (kind: string, original: unknown, modified: unknown, live: unknown) => strategicMergePatch(kind, live, threeWayPatch(kind, original, modified, live));

test("table: three-way apply results", () => {
  const cases: { name: string; kind: string; original: unknown; modified: unknown; live: unknown; want: unknown }[] = [
    {
      name: "field removed from the manifest is removed",
      kind: "ConfigMap",
      original: { data: { a: "1", b: "2" } },
      modified: { data: { a: "1" } },
      live: { data: { a: "1", b: "2" } },
      want: { data: { a: "1" } },
    },
    {
      name: "fields the cluster set are kept",
      kind: "Service",
      original: { spec: { ports: [{ port: 80 }] } },
      modified: { spec: { ports: [{ port: 80, targetPort: 8080 }] } },
      live: { spec: { clusterIP: "10.96.0.5", ports: [{ port: 80, nodePort: 30123, protocol: "TCP" }] } },
      want: { spec: { clusterIP: "10.96.0.5", ports: [{ port: 80, nodePort: 30123, protocol: "TCP", targetPort: 8080 }] } },
    },
    {
      name: "a Service port removed from the manifest goes, the others keep their nodePorts",
      kind: "Service",
      original: { spec: { ports: [{ port: 80 }, { port: 443 }] } },
      modified: { spec: { ports: [{ port: 443 }] } },
      live: { spec: { ports: [{ port: 80, nodePort: 30001 }, { port: 443, nodePort: 30002 }] } },
      want: { spec: { ports: [{ port: 443, nodePort: 30002 }] } },
    },
    {
      name: "a container's image changes, containers merge by name",
      kind: "Deployment",
      original: { spec: { template: { spec: { containers: [{ name: "web", image: "a" }] } } } },
      modified: { spec: { template: { spec: { containers: [{ name: "web", image: "b" }] } } } },
      live: { spec: { template: { spec: { containers: [{ name: "web", image: "a", imagePullPolicy: "Always" }] } } } },
      want: { spec: { template: { spec: { containers: [{ name: "web", image: "b", imagePullPolicy: "Always" }] } } } },
    },
    {
      name: "first apply over an object created without last-applied only adds",
      kind: "ConfigMap",
      original: undefined,
      modified: { data: { a: "2" } },
      live: { data: { a: "1", z: "9" } },
      want: { data: { a: "2", z: "9" } },
    },
    {
      name: "lists without a merge key are replaced",
      kind: "Service",
      original: { spec: { externalIPs: ["1.1.1.1", "2.2.2.2"] } },
      modified: { spec: { externalIPs: ["2.2.2.2"] } },
      live: { spec: { externalIPs: ["1.1.1.1", "2.2.2.2"] } },
      want: { spec: { externalIPs: ["2.2.2.2"] } },
    },
  ];
  for (const c of cases) assert.deepEqual(apply(c.kind, c.original, c.modified, c.live), c.want, c.name);
});

test("nothing to change gives an empty patch", () => {
  const o = { data: { a: "1" } };
  assert.deepEqual(threeWayPatch("ConfigMap", o, o, { ...o, metadata: { uid: "x" } }), {});
});
