import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "../api/types.js";
import { podDNSConfig, podResolvConf, parseResolvConf } from "./resolv-conf.js";

const node = "# generated\nnameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch corp.example. lab.example\noptions edns0 ndots:1\n";
const settings = { clusterDNS: ["10.96.0.10"], clusterDomain: "cluster.local", nodeResolvConf: node };
function pod(spec: Partial<Pod["spec"]>, ns = "default"): Pod {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: ns }, spec: { containers: [{ name: "c" }], ...spec } };
}

test("dnsPolicy table", () => {
  const cases: { name: string; spec: Partial<Pod["spec"]>; ns?: string; want: string }[] = [
    {
      name: "ClusterFirst (default)",
      spec: {},
      ns: "prod",
      want: "nameserver 10.96.0.10\nsearch prod.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\noptions ndots:5\n",
    },
    {
      name: "ClusterFirst explicit",
      spec: { dnsPolicy: "ClusterFirst" },
      want: "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\noptions ndots:5\n",
    },
    { name: "Default", spec: { dnsPolicy: "Default" }, want: "nameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch corp.example lab.example\noptions edns0 ndots:1\n" },
    {
      name: "hostNetwork + ClusterFirst falls back to Default",
      spec: { dnsPolicy: "ClusterFirst", hostNetwork: true },
      want: "nameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch corp.example lab.example\noptions edns0 ndots:1\n",
    },
    {
      name: "ClusterFirstWithHostNet",
      spec: { dnsPolicy: "ClusterFirstWithHostNet", hostNetwork: true },
      want: "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\noptions ndots:5\n",
    },
    {
      name: "None uses only dnsConfig",
      spec: { dnsPolicy: "None", dnsConfig: { nameservers: ["10.96.0.10"], searches: ["prod.svc.cluster.local"], options: [{ name: "ndots", value: "2" }] } },
      want: "nameserver 10.96.0.10\nsearch prod.svc.cluster.local\noptions ndots:2\n",
    },
    {
      name: "ClusterFirst + dnsConfig merges (dedup, options override, new options appended)",
      spec: { dnsConfig: { nameservers: ["1.1.1.1", "10.96.0.10"], searches: ["my.dns.search.suffix", "svc.cluster.local"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] } },
      want: "nameserver 10.96.0.10\nnameserver 1.1.1.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example my.dns.search.suffix\noptions ndots:2 edns0\n",
    },
    {
      name: "Default + dnsConfig",
      spec: { dnsPolicy: "Default", dnsConfig: { nameservers: ["9.9.9.9"], options: [{ name: "ndots", value: "3" }] } },
      want: "nameserver 192.168.1.1\nnameserver 192.168.1.2\nnameserver 9.9.9.9\nsearch corp.example lab.example\noptions edns0 ndots:3\n",
    },
    {
      name: "nameservers cut at 3",
      spec: { dnsPolicy: "Default", dnsConfig: { nameservers: ["9.9.9.9", "8.8.8.8"] } },
      want: "nameserver 192.168.1.1\nnameserver 192.168.1.2\nnameserver 9.9.9.9\nsearch corp.example lab.example\noptions edns0 ndots:1\n",
    },
  ];
  for (const c of cases) assert.equal(podResolvConf(pod(c.spec, c.ns), settings), c.want, c.name);
});

test("ClusterFirst without cluster DNS falls back to the node's", () => {
  const r = podDNSConfig(pod({}), { ...settings, clusterDNS: [] });
  assert.deepEqual(r.config.servers, ["192.168.1.1", "192.168.1.2"]);
  assert.equal(r.warnings.length, 1);
});

test("None without dnsConfig is an error", () => {
  assert.throws(() => podResolvConf(pod({ dnsPolicy: "None" }), settings), /must provide `dnsConfig` when `dnsPolicy` is None/);
});

test("search limits: 32 domains, 2048 chars, > 253 chars dropped", () => {
  const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
  const r = podDNSConfig(pod({ dnsPolicy: "None", dnsConfig: { searches: many } }), settings);
  assert.equal(r.config.searches.length, 32);
  assert.equal(r.config.searches[31], "d31.example");
  assert.match(r.warnings[0], /^Search Line limits were exceeded/);
  const long = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, "0")}${"x".repeat(150)}.example`);
  const r2 = podDNSConfig(pod({ dnsPolicy: "None", dnsConfig: { searches: [...long, "y".repeat(254)] } }), settings);
  assert.ok(r2.config.searches.join(" ").length <= 2048);
  assert.equal(r2.config.searches.length, 12);
  assert.ok(!r2.config.searches.includes("y".repeat(254)));
});

test("parse resolv.conf: last search/options win, comments skipped", () => {
  assert.deepEqual(parseResolvConf("search a b\nsearch c.\n#nameserver 1.1.1.1\nnameserver 2.2.2.2\noptions x\noptions y z\n"), {
    servers: ["2.2.2.2"],
    searches: ["c"],
    options: ["y", "z"],
  });
});
