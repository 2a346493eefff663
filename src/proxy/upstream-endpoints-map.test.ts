// TestUpdateEndpointsMap from kubernetes/kubernetes pkg/proxy/iptables/proxier_test.go, on the
// planner: the endpoints ("ip:port", local or not) kube-proxy keeps per service port for a set
// of EndpointSlices, before and after each change. Upstream's endpoints map exists without
// Services; here each sliced service gets a Service with every port name the cases use (UDP).
// The slices and the expected endpoints are upstream's; conntrack cleanup and the local
// endpoint counts (health check server) are not planner outputs and are left out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "./plan.js";
import { makeService, makeSlice, testInput, TEST_NODE } from "./test-fixtures.js";
import type { Endpoint, EndpointSlice } from "../api/types.js";

const PORT_NAMES: Record<string, string[]> = {
  "ns1/ep1": ["p11", "p11-2", "p12", "p122", "p13", "p14"],
  "ns2/ep2": ["p21", "p22", "p23"],
  "ns3/ep3": ["p33"],
  "ns4/ep4": ["p44", "p45"],
};
const services = Object.entries(PORT_NAMES).map(([key, names], i) => {
  const [ns, name] = key.split("/");
  return makeService(ns, name, (s) => { s.spec.clusterIP = `172.30.9.${i + 1}`; s.spec.ports = names.map((n, j) => ({ name: n, port: 1000 + j, protocol: "UDP" })); });
});

type Expect = Record<string, [string, boolean][]>;

/** Upstream's endpointsMap: service port name -> [endpoint, isLocal], ports without endpoints left out. */
function endpointsMap(slices: (EndpointSlice | null)[]): Expect {
  const plan = planProxy(testInput(services, slices.filter((s): s is EndpointSlice => s !== null)));
  const out: Expect = {};
  for (const sp of plan.services) if (sp.endpoints.length) out[sp.spn] = sp.endpoints.map((e) => [e.endpoint, e.isLocal]);
  return out;
}

const ep = (ip: string, local = false): Endpoint => ({ addresses: [ip], ...(local ? { nodeName: TEST_NODE } : {}) });
const udp = (...ports: [string, number][]) => ports.map(([name, port]) => ({ name, port, protocol: "UDP" as const }));

const subset1 = (n = 1) => makeSlice("ns1", "ep1", n, [ep("10.1.1.1")], udp(["p11", 11]));
const subset2 = (n = 2) => makeSlice("ns1", "ep1", n, [ep("10.1.1.2")], udp(["p12", 12]));
const namedPortLocal = [makeSlice("ns1", "ep1", 1, [ep("10.1.1.1", true)], udp(["p11", 11]))];
const namedPort = [subset1()];
const namedPortRenamed = [makeSlice("ns1", "ep1", 1, [ep("10.1.1.1")], udp(["p11-2", 11]))];
const namedPortRenumbered = [makeSlice("ns1", "ep1", 1, [ep("10.1.1.1")], udp(["p11", 22]))];
const namedPortsLocalNoLocal = [makeSlice("ns1", "ep1", 1, [ep("10.1.1.1"), ep("10.1.1.2", true)], udp(["p11", 11], ["p12", 12]))];
const multipleSubsets = [subset1(), subset2()];
const multipleSubsetsWithLocal = [subset1(), makeSlice("ns1", "ep1", 2, [ep("10.1.1.2", true)], udp(["p12", 12]))];
const multipleSubsetsMultiplePortsLocal = [
  makeSlice("ns1", "ep1", 1, [ep("10.1.1.1", true)], udp(["p11", 11], ["p12", 12])),
  makeSlice("ns1", "ep1", 2, [ep("10.1.1.3")], udp(["p13", 13])),
];
const multipleSubsetsIPsPorts = [
  makeSlice("ns1", "ep1", 1, [ep("10.1.1.1"), ep("10.1.1.2", true)], udp(["p11", 11], ["p12", 12])),
  makeSlice("ns1", "ep1", 2, [ep("10.1.1.3"), ep("10.1.1.4", true)], udp(["p13", 13], ["p14", 14])),
  makeSlice("ns2", "ep2", 1, [ep("10.2.2.1"), ep("10.2.2.2", true)], udp(["p21", 21], ["p22", 22])),
];
const complexBefore = [
  subset1(),
  null,
  makeSlice("ns2", "ep2", 1, [ep("10.2.2.2", true), ep("10.2.2.22", true)], udp(["p22", 22])),
  makeSlice("ns2", "ep2", 2, [ep("10.2.2.3", true)], udp(["p23", 23])),
  null,
  makeSlice("ns4", "ep4", 1, [ep("10.4.4.4", true), ep("10.4.4.5", true)], udp(["p44", 44])),
  makeSlice("ns4", "ep4", 2, [ep("10.4.4.6", true)], udp(["p45", 45])),
];
const complexAfter = [
  makeSlice("ns1", "ep1", 1, [ep("10.1.1.1"), ep("10.1.1.11")], udp(["p11", 11])),
  makeSlice("ns1", "ep1", 2, [ep("10.1.1.2")], udp(["p12", 12], ["p122", 122])),
  null,
  null,
  makeSlice("ns3", "ep3", 1, [ep("10.3.3.3")], udp(["p33", 33])),
  makeSlice("ns4", "ep4", 1, [ep("10.4.4.4", true)], udp(["p44", 44])),
  null,
];
const emptyEndpointSlices = [makeSlice("ns1", "ep1", 1, [], [])];

const cases: { name: string; previous: (EndpointSlice | null)[]; current: (EndpointSlice | null)[]; old: Expect; want: Expect }[] = [
  { name: "nothing", previous: [], current: [], old: {}, want: {} },
  { name: "no change, named port, local", previous: namedPortLocal, current: namedPortLocal, old: { "ns1/ep1:p11": [["10.1.1.1:11", true]] }, want: { "ns1/ep1:p11": [["10.1.1.1:11", true]] } },
  {
    name: "no change, multiple subsets",
    previous: multipleSubsets,
    current: multipleSubsets,
    old: { "ns1/ep1:p11": [["10.1.1.1:11", false]], "ns1/ep1:p12": [["10.1.1.2:12", false]] },
    want: { "ns1/ep1:p11": [["10.1.1.1:11", false]], "ns1/ep1:p12": [["10.1.1.2:12", false]] },
  },
  {
    name: "no change, multiple subsets, multiple ports, local",
    previous: multipleSubsetsMultiplePortsLocal,
    current: multipleSubsetsMultiplePortsLocal,
    old: { "ns1/ep1:p11": [["10.1.1.1:11", true]], "ns1/ep1:p12": [["10.1.1.1:12", true]], "ns1/ep1:p13": [["10.1.1.3:13", false]] },
    want: { "ns1/ep1:p11": [["10.1.1.1:11", true]], "ns1/ep1:p12": [["10.1.1.1:12", true]], "ns1/ep1:p13": [["10.1.1.3:13", false]] },
  },
  (() => {
    const m: Expect = {
      "ns1/ep1:p11": [["10.1.1.1:11", false], ["10.1.1.2:11", true]],
      "ns1/ep1:p12": [["10.1.1.1:12", false], ["10.1.1.2:12", true]],
      "ns1/ep1:p13": [["10.1.1.3:13", false], ["10.1.1.4:13", true]],
      "ns1/ep1:p14": [["10.1.1.3:14", false], ["10.1.1.4:14", true]],
      "ns2/ep2:p21": [["10.2.2.1:21", false], ["10.2.2.2:21", true]],
      "ns2/ep2:p22": [["10.2.2.1:22", false], ["10.2.2.2:22", true]],
    };
    return { name: "no change, multiple endpoints, subsets, IPs, and ports", previous: multipleSubsetsIPsPorts, current: multipleSubsetsIPsPorts, old: m, want: m };
  })(),
  { name: "add an Endpoints", previous: [null], current: namedPortLocal, old: {}, want: { "ns1/ep1:p11": [["10.1.1.1:11", true]] } },
  { name: "remove an Endpoints", previous: namedPortLocal, current: [null], old: { "ns1/ep1:p11": [["10.1.1.1:11", true]] }, want: {} },
  {
    name: "add an IP and port",
    previous: namedPort,
    current: namedPortsLocalNoLocal,
    old: { "ns1/ep1:p11": [["10.1.1.1:11", false]] },
    want: { "ns1/ep1:p11": [["10.1.1.1:11", false], ["10.1.1.2:11", true]], "ns1/ep1:p12": [["10.1.1.1:12", false], ["10.1.1.2:12", true]] },
  },
  {
    name: "remove an IP and port",
    previous: namedPortsLocalNoLocal,
    current: namedPort,
    old: { "ns1/ep1:p11": [["10.1.1.1:11", false], ["10.1.1.2:11", true]], "ns1/ep1:p12": [["10.1.1.1:12", false], ["10.1.1.2:12", true]] },
    want: { "ns1/ep1:p11": [["10.1.1.1:11", false]] },
  },
  {
    name: "add a subset",
    previous: [namedPort[0], null],
    current: multipleSubsetsWithLocal,
    old: { "ns1/ep1:p11": [["10.1.1.1:11", false]] },
    want: { "ns1/ep1:p11": [["10.1.1.1:11", false]], "ns1/ep1:p12": [["10.1.1.2:12", true]] },
  },
  {
    name: "remove a subset",
    previous: multipleSubsets,
    current: [namedPort[0], null],
    old: { "ns1/ep1:p11": [["10.1.1.1:11", false]], "ns1/ep1:p12": [["10.1.1.2:12", false]] },
    want: { "ns1/ep1:p11": [["10.1.1.1:11", false]] },
  },
  { name: "rename a port", previous: namedPort, current: namedPortRenamed, old: { "ns1/ep1:p11": [["10.1.1.1:11", false]] }, want: { "ns1/ep1:p11-2": [["10.1.1.1:11", false]] } },
  { name: "renumber a port", previous: namedPort, current: namedPortRenumbered, old: { "ns1/ep1:p11": [["10.1.1.1:11", false]] }, want: { "ns1/ep1:p11": [["10.1.1.1:22", false]] } },
  {
    name: "complex add and remove",
    previous: complexBefore,
    current: complexAfter,
    old: {
      "ns1/ep1:p11": [["10.1.1.1:11", false]],
      "ns2/ep2:p22": [["10.2.2.22:22", true], ["10.2.2.2:22", true]],
      "ns2/ep2:p23": [["10.2.2.3:23", true]],
      "ns4/ep4:p44": [["10.4.4.4:44", true], ["10.4.4.5:44", true]],
      "ns4/ep4:p45": [["10.4.4.6:45", true]],
    },
    want: {
      "ns1/ep1:p11": [["10.1.1.11:11", false], ["10.1.1.1:11", false]],
      "ns1/ep1:p12": [["10.1.1.2:12", false]],
      "ns1/ep1:p122": [["10.1.1.2:122", false]],
      "ns3/ep3:p33": [["10.3.3.3:33", false]],
      "ns4/ep4:p44": [["10.4.4.4:44", true]],
    },
  },
  { name: "change from 0 endpoint address to 1 unnamed port", previous: emptyEndpointSlices, current: namedPort, old: {}, want: { "ns1/ep1:p11": [["10.1.1.1:11", false]] } },
];

for (const tc of cases) {
  test(`TestUpdateEndpointsMap: ${tc.name}`, () => {
    assert.deepEqual(endpointsMap(tc.previous), tc.old, "before");
    assert.deepEqual(endpointsMap(tc.current), tc.want, "after");
  });
}
