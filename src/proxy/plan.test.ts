import { test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "./plan.js";
import { makeService, makeSlice, testInput, TEST_NODE } from "./test-fixtures.js";
import { parseKubeProxyConfiguration, masqueradeMark, defaultKubeProxyConfiguration } from "./config.js";

const tcp80 = [{ name: "p80", port: 80, protocol: "TCP" as const }];
const svc = (mut: (s: ReturnType<typeof makeService>) => void = () => {}) =>
  makeService("ns1", "svc1", (s) => {
    s.spec.clusterIP = "172.30.0.41";
    s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3001 }];
    s.spec.type = "NodePort";
    mut(s);
  });

test("categorize: endpoint sets per traffic policy", () => {
  const cases: {
    name: string;
    etp?: "Local";
    itp?: "Local";
    eps: { ip: string; local?: boolean; ready?: boolean; serving?: boolean; terminating?: boolean }[];
    cluster: string[];
    local: string[];
    reachable: string[];
    has: boolean;
  }[] = [
    { name: "ready endpoints, sorted as strings", eps: [{ ip: "10.180.0.2" }, { ip: "10.180.0.10" }], cluster: ["10.180.0.10:80", "10.180.0.2:80"], local: [], reachable: ["10.180.0.10:80", "10.180.0.2:80"], has: true },
    { name: "unready endpoints are not used", eps: [{ ip: "10.180.0.1", ready: false, serving: false }], cluster: [], local: [], reachable: [], has: false },
    {
      name: "no ready: fall back to serving terminating",
      eps: [{ ip: "10.180.0.1", ready: false, serving: true, terminating: true }, { ip: "10.180.0.2", ready: false, serving: false, terminating: true }],
      cluster: ["10.180.0.1:80"], local: [], reachable: ["10.180.0.1:80"], has: true,
    },
    {
      name: "ready wins over terminating",
      eps: [{ ip: "10.180.0.1", ready: false, serving: true, terminating: true }, { ip: "10.180.0.2" }],
      cluster: ["10.180.0.2:80"], local: [], reachable: ["10.180.0.2:80"], has: true,
    },
    {
      name: "externalTrafficPolicy Local: local endpoints",
      etp: "Local", eps: [{ ip: "10.180.0.1", local: true }, { ip: "10.180.0.2" }],
      cluster: ["10.180.0.1:80", "10.180.0.2:80"], local: ["10.180.0.1:80"], reachable: ["10.180.0.1:80", "10.180.0.2:80"], has: true,
    },
    {
      name: "internalTrafficPolicy Local without local endpoints",
      itp: "Local", eps: [{ ip: "10.180.0.2" }],
      cluster: ["10.180.0.2:80"], local: [], reachable: ["10.180.0.2:80"], has: true,
    },
    {
      name: "Local: local terminating used when no local ready, merged with cluster",
      etp: "Local", eps: [{ ip: "10.180.0.1", local: true, ready: false, serving: true, terminating: true }, { ip: "10.180.0.2" }],
      cluster: ["10.180.0.2:80"], local: ["10.180.0.1:80"], reachable: ["10.180.0.1:80", "10.180.0.2:80"], has: true,
    },
  ];
  for (const c of cases) {
    const s = svc((s) => {
      if (c.etp) s.spec.externalTrafficPolicy = c.etp;
      if (c.itp) s.spec.internalTrafficPolicy = c.itp;
    });
    const slice = makeSlice("ns1", "svc1", 1, c.eps.map((e) => ({
      addresses: [e.ip],
      nodeName: e.local ? TEST_NODE : "other",
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
    })), tcp80);
    const [sp] = planProxy(testInput([s], [slice])).services;
    assert.deepEqual(sp.clusterEndpoints.map((e) => e.endpoint), c.cluster, c.name);
    assert.deepEqual(sp.localEndpoints.map((e) => e.endpoint), c.local, c.name);
    assert.deepEqual(sp.reachableEndpoints.map((e) => e.endpoint), c.reachable, c.name);
    assert.equal(sp.hasEndpoints, c.has, c.name);
  }
});

test("headless and ExternalName services get no plan entries", () => {
  const headless = makeService("ns1", "h", (s) => { s.spec.clusterIP = "None"; s.spec.ports = [{ port: 80 }]; });
  const ext = makeService("ns1", "e", (s) => { s.spec.type = "ExternalName"; s.spec.externalName = "example.com"; s.spec.ports = [{ port: 80 }]; });
  assert.equal(planProxy(testInput([headless, ext], [])).services.length, 0);
});

test("servicePortName: unnamed port has no suffix; UDP and SCTP ports separate", () => {
  const s = makeService("ns1", "svc1", (s) => {
    s.spec.clusterIP = "172.30.0.41";
    s.spec.ports = [{ port: 53, protocol: "UDP", name: "dns" }, { port: 53, protocol: "SCTP", name: "dns-sctp" }];
  });
  const u = makeService("ns1", "u", (s) => { s.spec.clusterIP = "172.30.0.42"; s.spec.ports = [{ port: 80 }]; });
  assert.deepEqual(planProxy(testInput([s, u], [])).services.map((p) => `${p.spn} ${p.proto}`), ["ns1/svc1:dns udp", "ns1/svc1:dns-sctp sctp", "ns1/u tcp"]);
});

test("KubeProxyConfiguration: defaults, fields, errors", () => {
  const d = defaultKubeProxyConfiguration();
  assert.equal(d.clusterCIDR, "10.244.0.0/16");
  assert.equal(masqueradeMark(d), "0x00004000");
  const ok = parseKubeProxyConfiguration(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clusterCIDR: 10.0.0.0/8
iptables:
  masqueradeBit: 15
  masqueradeAll: true
  localhostNodePorts: false
nodePortAddresses: ["192.168.0.0/24"]
`);
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.config!.mode, "nftables");
  assert.equal(ok.config!.clusterCIDR, "10.0.0.0/8");
  assert.equal(masqueradeMark(ok.config!), "0x00008000");
  assert.equal(ok.config!.iptables.masqueradeAll, true);
  assert.equal(ok.config!.iptables.localhostNodePorts, false);
  assert.deepEqual(ok.config!.nodePortAddresses, ["192.168.0.0/24"]);
  const bad = parseKubeProxyConfiguration(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
clusterCIDR: 10.0.0/8
iptables: { masqueradeBit: 40 }
bogus: 1
`);
  assert.deepEqual(bad.errors, [
    'unknown field "bogus"',
    'clusterCIDR: Invalid value: "10.0.0/8": must be a valid CIDR block (e.g. 10.100.0.0/16 or fde4:8dba:82e1::/48)',
    'mode: Unsupported value: "ipvs": supported values: "iptables", "nftables"',
    "iptables.masqueradeBit: Invalid value: 40: must be within the range [0, 31]",
  ]);
  assert.match(parseKubeProxyConfiguration("kind: Pod\n").errors[0], /no document of kind/);
});

test("KubeProxyConfiguration clusterCIDR and nodePortAddresses: kube-proxy's checks and messages; CIDRs as kube-proxy writes them", () => {
  const parse = (body: string) => parseKubeProxyConfiguration(`apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n${body}\n`);
  const cidrError = (v: string) => parse(`clusterCIDR: "${v}"`).errors;
  assert.deepEqual(cidrError("10.0.0.0/8,10.1.0.0/16"), ['clusterCIDR: Invalid value: "10.0.0.0/8,10.1.0.0/16": must be a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)']);
  assert.deepEqual(cidrError("10.0.0.0/8,fd00::/200"), ['clusterCIDR: Invalid value: "10.0.0.0/8,fd00::/200": must be a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)']);
  assert.deepEqual(cidrError("10.0.0.0/8,fd00::/64,10.1.0.0/16"), ['clusterCIDR: Invalid value: "10.0.0.0/8,fd00::/64,10.1.0.0/16": only one CIDR allowed or a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)']);
  assert.deepEqual(cidrError("10.0.0.0/8,"), ['clusterCIDR: Invalid value: "10.0.0.0/8,": must be a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)']);
  assert.deepEqual(cidrError("fd00::1"), ['clusterCIDR: Invalid value: "fd00::1": must be a valid CIDR block (e.g. 10.100.0.0/16 or fde4:8dba:82e1::/48)']);
  // Masked, IPv6 in RFC 5952 form (the text written into ! -s / saddr !=); "" disables.
  assert.equal(parse('clusterCIDR: "10.244.1.7/16, FD00:10:0:0::5/64"').config?.clusterCIDR, "10.244.0.0/16,fd00:10::/64");
  assert.equal(parse('clusterCIDR: ""').config?.clusterCIDR, "");
  for (const bad of ["fd00::/200", ":::/64", "10.0.0.0/33", " 10.0.0.0/8"]) {
    assert.deepEqual(parse(`nodePortAddresses: ["${bad}"]`).errors, [`nodePortAddresses[0]: Invalid value: "${bad}": must be a valid CIDR`], bad);
  }
  assert.deepEqual(parse('nodePortAddresses: ["primary", "2001:db8::/64", "192.168.0.0/24"]').errors, []);
});

test("an endpoint in two slices appears once: the later copy, unless that one is terminating (addEndpoints)", () => {
  const slices = [
    makeSlice("ns1", "svc1", 1, [{ addresses: ["10.180.0.2"], conditions: { ready: false }, nodeName: "a" }, { addresses: ["10.180.0.1"], nodeName: "x" }], tcp80),
    makeSlice("ns1", "svc1", 2, [{ addresses: ["10.180.0.2"], conditions: { ready: true }, nodeName: "b" }, { addresses: ["10.180.0.1"], nodeName: "y" }], tcp80),
    makeSlice("ns1", "svc1", 3, [{ addresses: ["10.180.0.2"], conditions: { ready: false, serving: true, terminating: true }, nodeName: "c" }], tcp80),
  ];
  const sp = planProxy(testInput([svc()], slices)).services[0];
  assert.deepEqual(sp.endpoints.map((e) => `${e.endpoint} ${e.nodeName} ${e.ready}`), ["10.180.0.1:80 y true", "10.180.0.2:80 b true"]);
});

test("a dual-stack clusterCIDR: each family's rules use that family's CIDR, in both modes; IPv6 affinity sets hold IPv6 addresses", async () => {
  const { renderIptables } = await import("./iptables/render.js");
  const { renderNftables } = await import("./nftables/render.js");
  const { clusterCIDRFor } = await import("./config.js");
  const parsed = parseKubeProxyConfiguration("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.0.0.0/8, fd00:10::/64\n");
  assert.deepEqual(parsed.errors, []);
  const config = parsed.config!;
  assert.equal(clusterCIDRFor(config, "IPv4"), "10.0.0.0/8");
  assert.equal(clusterCIDRFor(config, "IPv6"), "fd00:10::/64");
  assert.match(parseKubeProxyConfiguration("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.0.0.0/8,fd00::/200\n").errors[0], /clusterCIDR: Invalid value/);
  const svc = makeService("ns1", "svc1", (s) => {
    s.spec.clusterIP = "fd00:ab34::20";
    s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }];
    s.spec.sessionAffinity = "ClientIP";
  });
  const slice = { ...makeSlice("ns1", "svc1", 1, [{ addresses: ["ff06::c1"] }], [{ name: "p80", port: 80, protocol: "TCP" }]), addressType: "IPv6" as const };
  const plan = planProxy({ ...testInput([svc], [slice], config), ipFamily: "IPv6", nodeIPs: ["2001:db8::1"] });
  const ipt = renderIptables(plan);
  assert.match(ipt, / ! -s fd00:10::\/64 -j KUBE-MARK-MASQ/);
  assert.doesNotMatch(ipt, /10\.0\.0\.0\/8/);
  const nft = renderNftables(plan);
  assert.match(nft, /ip6 saddr != fd00:10::\/64 jump mark-for-masquerade/);
  assert.doesNotMatch(nft, /10\.0\.0\.0\/8/);
  assert.match(nft, /add set ip6 kube-proxy affinity-\S+ \{ type ipv6_addr ;/);
  assert.doesNotMatch(nft, /ipv4_addr ; flags dynamic/);
  // LoadBalancer source ranges of the plan's family are kept (an IPv6 LB was open to every source).
  const lb = makeService("ns1", "lb", (s) => {
    s.spec.type = "LoadBalancer";
    s.spec.clusterIP = "fd00:ab34::21";
    s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP", nodePort: 30080 }];
    s.spec.loadBalancerSourceRanges = ["2001:DB8:1::/48", "203.0.113.0/24", "fd00::/200", " 2001:0db8:0002:0000:0000:0000:0000:0001/64", "2001:db8:3:ff::/57", "2001:db8::5", "fd00::/064", "fe80::1%eth0/64"];
    s.status = { loadBalancer: { ingress: [{ ip: "2001:db8:ffff::1" }] } };
  });
  const lbPlan = planProxy({ ...testInput([lb], [{ ...makeSlice("ns1", "lb", 1, [{ addresses: ["ff06::c2"] }], [{ name: "p80", port: 80, protocol: "TCP" }]), addressType: "IPv6" as const }], config), ipFamily: "IPv6", nodeIPs: ["2001:db8::1"] });
  // Masked and in RFC 5952 form, as IPNet.String() writes them; a bare address is no CIDR.
  assert.deepEqual(lbPlan.services[0].loadBalancerSourceRanges, ["2001:db8:1::/48", "2001:db8:2::/64", "2001:db8:3:80::/57", "fd00::/64"]);
  assert.deepEqual(lbPlan.warnings, ['Service ns1/lb: loadBalancerSourceRanges: ignoring invalid CIDR "fd00::/200"', 'Service ns1/lb: loadBalancerSourceRanges: ignoring invalid CIDR "2001:db8::5"', 'Service ns1/lb: loadBalancerSourceRanges: ignoring invalid CIDR "fe80::1%eth0/64"']);
  assert.match(renderIptables(lbPlan), /-A KUBE-FW-\S+ -m comment --comment "ns1\/lb:p80 loadbalancer IP" -s 2001:db8:1::\/48 -j KUBE-EXT-/);
});

test("IPv6 addresses are written canonically (RFC 5952), as kube-proxy's ParseIPSloppy(...).String() does (endpoint chain names hash them)", () => {
  const svc6 = makeService("ns1", "svc1", (s) => {
    s.spec.clusterIP = "FD00:AB34:0:0:0:0:0:20";
    s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }];
  });
  const slice = { ...makeSlice("ns1", "svc1", 1, [{ addresses: ["FD00:10:244:0:0:0:0:5"] }, { addresses: ["fd00:0:0:1:0:0:0:1"] }], [{ name: "p80", port: 80, protocol: "TCP" }]), addressType: "IPv6" as const };
  const sp = planProxy({ ...testInput([svc6], [slice]), ipFamily: "IPv6", nodeIPs: ["2001:db8::1"] }).services[0];
  assert.equal(sp.clusterIP, "fd00:ab34::20");
  assert.deepEqual(sp.endpoints.map((e) => e.endpoint), ["[fd00:0:0:1::1]:80", "[fd00:10:244::5]:80"]);
  // Already compressed, but not canonically: a lone zero group beside "::", "::" for one group.
  const odd = planProxy({
    ...testInput([makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "2001:db8:0::1"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }]; })], [
      { ...makeSlice("ns1", "svc1", 1, [{ addresses: ["0::5"] }, { addresses: ["fd00:1::2:3:4:5:6"] }, { addresses: ["fd00:0:1::"] }], [{ name: "p80", port: 80, protocol: "TCP" }]), addressType: "IPv6" as const },
    ]),
    ipFamily: "IPv6",
    nodeIPs: ["2001:db8::1"],
  }).services[0];
  assert.equal(odd.clusterIP, "2001:db8::1");
  assert.deepEqual(odd.endpoints.map((e) => e.endpoint).sort(), ["[::5]:80", "[fd00:0:1::]:80", "[fd00:1:0:2:3:4:5:6]:80"]);
});

test("CIDR prefix lengths read as kube-proxy's sloppy parser does: leading zeros are decimal, any number of them", async () => {
  const { parseCIDR, inCIDR } = await import("./ip.js");
  assert.deepEqual(parseCIDR("203.0.113.7/0025"), { base: 0xcb007100, prefix: 25 });
  assert.deepEqual(parseCIDR("203.0.113.7/025"), parseCIDR("203.0.113.7/25"));
  assert.equal(parseCIDR("203.0.113.7/033"), undefined);
  assert.equal(inCIDR("fd00::/0064", "fd00::1"), true);
});
