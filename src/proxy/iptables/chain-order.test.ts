// The nat table's chains come in plain string order (KUBE-* first) however their names are
// stored: endpoint chains sorted as numbers from their hashes, other chains by string, and
// names that share a hash prefix ordered by the full name. Checked against a string sort.
import { test } from "node:test";
import assert from "node:assert/strict";
import { planProxy } from "../plan.js";
import { renderIptables } from "./render.js";
import { makeService, makeSlice, restoreOrderProblems, testInput } from "../test-fixtures.js";
import { extChain, fwChain, sepChain, svcChain, svlChain } from "../hash.js";

function natDeclarations(text: string): string[] {
  const nat = text.slice(text.indexOf("*nat\n"));
  return nat.split("\n").filter((l) => l.startsWith(":")).map((l) => l.slice(1, l.indexOf(" ")));
}

test("nat chains are declared in string order, KUBE-* first, whatever the kind of name", () => {
  const services = [];
  const slices = [];
  for (let i = 0; i < 300; i++) {
    services.push(makeService("ns", `s${i}`, (s) => {
      s.spec.clusterIP = `10.96.1.${i % 250}`;
      s.spec.ports = [{ name: "p", port: 80, protocol: "TCP", nodePort: i % 3 === 0 ? 30000 + i : undefined }];
      if (i % 3 === 0) s.spec.type = "NodePort";
      if (i % 5 === 0) s.spec.externalTrafficPolicy = "Local";
    }));
    slices.push(makeSlice("ns", `s${i}`, 1, [0, 1, 2].map((j) => ({ addresses: [`10.1.${i % 250}.${j}`], nodeName: j === 0 ? "test-node" : "other" })), [{ name: "p", port: 8080, protocol: "TCP" }]));
  }
  const plan = planProxy(testInput(services, slices));
  // Stale chains to delete: names sharing the first 6 hash characters (the numeric sort
  // key) with each other, non-base32 "hashes", other KUBE-* names and non-KUBE names.
  const deleteChains = [
    "KUBE-SEP-AAAAAAZZZZZZZZZZ", "KUBE-SEP-AAAAAA2222222222", "KUBE-SEP-AAAAAAAAAAAAAAAA", "KUBE-SEP-777777AAAAAAAAAA",
    "KUBE-SVC-2222222222222222", "KUBE-SEP-aaaaaaaaaaaaaaaa", "KUBE-SEP-SHORT", "KUBE-FW-ZZZZZZZZZZZZZZZZ", "KUBE-EXT-ZZZZZZZZZZZZZZZZ1",
    "KUBE-MARK-DROP", "KUBE-A", "KUBE-ZZZ", "KUBE-", "custom-chain", "ZZZ", "KUBE", "kube-lower",
  ];
  const text = renderIptables(plan, { deleteChains });
  const got = natDeclarations(text);
  assert.deepEqual(got.slice(0, 2), ["KUBE-NODEPORTS", "KUBE-SERVICES"]);
  const rest = got.slice(2);
  const kube = rest.filter((n) => n.startsWith("KUBE-")).sort();
  const other = rest.filter((n) => !n.startsWith("KUBE-")).sort();
  assert.deepEqual(rest, [...kube, ...other]);
  assert.ok(rest.filter((n) => n.startsWith("KUBE-SEP-")).length > 600);
  for (const c of deleteChains) assert.ok(rest.includes(c), c);
  // kube-proxy's own order has the same chains and rules, stale ones included.
  assert.deepEqual(restoreOrderProblems(plan, { deleteChains }), []);
  // Each chain's rules follow the declarations in the same order.
  const natText = text.slice(text.indexOf("*nat\n"));
  const ruleOrder = [...new Set(natText.split("\n").filter((l) => l.startsWith("-A ")).map((l) => l.split(" ")[1]))];
  assert.deepEqual(ruleOrder, got.filter((n) => ruleOrder.includes(n)));
});

test("endpoint chain names remembered from an earlier render follow changes to the plan", () => {
  const services = [0, 1].map((i) => makeService("ns", `s${i}`, (s) => { s.spec.clusterIP = `10.96.2.${i}`; s.spec.ports = [{ name: "p", port: 80, protocol: "TCP" }]; }));
  const slices = [0, 1].map((i) => makeSlice("ns", `s${i}`, 1, [{ addresses: [`10.2.${i}.1`] }, { addresses: [`10.2.${i}.2`] }], [{ name: "p", port: 8080, protocol: "TCP" }]));
  const plan = planProxy(testInput(services, slices));
  const first = renderIptables(plan);
  assert.equal(renderIptables(plan), first);
  // The same service port object with a changed endpoint: a new SEP chain name.
  const sp = plan.services[0];
  const old = sp.reachableEndpoints[1];
  sp.reachableEndpoints[1] = { ...old, ip: "10.2.0.9", endpoint: "10.2.0.9:8080" };
  const changed = renderIptables(plan);
  const fresh = renderIptables(planProxy(testInput(services, [makeSlice("ns", "s0", 1, [{ addresses: ["10.2.0.1"] }, { addresses: ["10.2.0.9"] }], [{ name: "p", port: 8080, protocol: "TCP" }]), slices[1]])));
  assert.notEqual(changed, first);
  assert.equal(changed, fresh);
});

test("endpoint chains of a non-ASCII service name (invalid, but possible offline) keep their text and place", () => {
  // ns/sé comes after ns/s1 and before ns/t2: its SEP text lands between ASCII ones in the render's buffer.
  const names = ["s1", "sé", "t2"];
  const services = names.map((n, i) => makeService("ns", n, (s) => { s.spec.clusterIP = `10.96.3.${i}`; s.spec.ports = [{ name: "p", port: 80, protocol: "TCP" }]; }));
  const slices = names.map((n, i) => makeSlice("ns", n, 1, [{ addresses: [`10.3.${i}.1`] }, { addresses: [`10.3.${i}.2`] }], [{ name: "p", port: 8080, protocol: "TCP" }]));
  const plan = planProxy(testInput(services, slices));
  const text = renderIptables(plan);
  const declared = natDeclarations(text).filter((n) => n.startsWith("KUBE-SEP-"));
  assert.equal(declared.length, 6);
  assert.deepEqual(restoreOrderProblems(plan), []);
  for (const [i, n] of names.entries()) {
    for (const j of [1, 2]) {
      const sep = sepChain(`ns/${n}:p`, "tcp", `10.3.${i}.${j}:8080`);
      assert.ok(declared.includes(sep), sep);
      assert.ok(text.includes(`-A ${sep} -m comment --comment ns/${n}:p -s 10.3.${i}.${j} -j KUBE-MARK-MASQ\n-A ${sep} -m comment --comment ns/${n}:p -m tcp -p tcp -j DNAT --to-destination 10.3.${i}.${j}:8080\n`), sep);
    }
    // The service's own chains, which also name it in comments.
    const svc = svcChain(`ns/${n}:p`, "tcp");
    const [sep1, sep2] = [1, 2].map((j) => sepChain(`ns/${n}:p`, "tcp", `10.3.${i}.${j}:8080`));
    assert.ok(text.includes(`-A KUBE-SERVICES -m comment --comment "ns/${n}:p cluster IP" -m tcp -p tcp -d 10.96.3.${i} --dport 80 -j ${svc}\n`), svc);
    assert.ok(
      text.includes(
        `-A ${svc} -m comment --comment "ns/${n}:p -> 10.3.${i}.1:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep1}\n-A ${svc} -m comment --comment "ns/${n}:p -> 10.3.${i}.2:8080" -j ${sep2}\n`,
      ),
      svc,
    );
  }
});

test("order restore: chain lines in descending name order, then the rules as kube-proxy's sync writes them, stale chains deleted before the NodePorts jump", () => {
  const port = { name: "p", port: 80, protocol: "TCP" as const };
  const services = [
    makeService("ns", "a", (s) => { s.spec.type = "NodePort"; s.spec.clusterIP = "10.96.4.1"; s.spec.externalTrafficPolicy = "Local"; s.spec.ports = [{ ...port, nodePort: 30001 }]; }),
    makeService("ns", "b", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.clusterIP = "10.96.4.2";
      s.spec.ports = [{ ...port, nodePort: 30002 }];
      s.spec.loadBalancerSourceRanges = ["203.0.113.0/25"];
      s.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
    }),
    makeService("ns", "c", (s) => { s.spec.clusterIP = "10.96.4.3"; s.spec.ports = [port]; }),
  ];
  const eps = { a: ["10.4.0.1", "10.4.0.2"], b: ["10.4.1.1"], c: ["10.4.2.1"] };
  const slices = Object.entries(eps).map(([n, ips]) => makeSlice("ns", n, 1, ips.map((ip, i) => ({ addresses: [ip], nodeName: i === 0 ? "test-node" : "other" })), [{ ...port, port: 8080 }]));
  const plan = planProxy(testInput(services, slices));
  const stale = "KUBE-SEP-AAAAAAAAAAAAAAAA";
  const text = renderIptables(plan, { order: "restore", deleteChains: [stale] });
  const nat = text.slice(text.indexOf("*nat\n")).split("\n");
  const sep = (n: keyof typeof eps) => eps[n].map((ip) => sepChain(`ns/${n}:p`, "tcp", `${ip}:8080`));
  const h = (f: (spn: string, p: string) => string, n: string) => f(`ns/${n}:p`, "tcp");
  const declared = [
    "KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ",
    h(extChain, "a"), h(svcChain, "a"), h(svlChain, "a"), ...sep("a"),
    h(extChain, "b"), h(fwChain, "b"), h(svcChain, "b"), ...sep("b"),
    h(svcChain, "c"), ...sep("c"),
    stale,
  ];
  assert.deepEqual(natDeclarations(text), declared.sort().reverse());
  const rules = nat.filter((l) => l.startsWith("-"));
  assert.deepEqual(rules.slice(0, 4).map((l) => l.split(" ")[1]), ["KUBE-POSTROUTING", "KUBE-POSTROUTING", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"]);
  // Each service's rules together, its top-level ones first.
  const owner = (l: string) => /ns\/(\w):p/.exec(l)?.[1] ?? Object.keys(eps).find((n) => [h(extChain, n), h(fwChain, n), h(svcChain, n), h(svlChain, n), ...sep(n as keyof typeof eps)].includes(l.split(" ")[1]));
  const owners = rules.slice(4, -2).map(owner);
  assert.deepEqual([...new Set(owners)], ["a", "b", "c"]);
  assert.deepEqual(owners, [...owners].sort());
  // Within a service, syncProxyRules' order: its top-level jumps, the ClusterIP masquerade
  // rule, the external and firewall chains, the policy chains' endpoint choice, then the
  // endpoint chains.
  const kind = (l: string) => /^-A KUBE-(SERVICES|NODEPORTS) /.test(l) ? "top" : /^-A KUBE-(SVC|SVL|EXT|FW|SEP)-/.exec(l)![1].toLowerCase();
  const sequence = (n: string) => rules.slice(4, -2).filter((l, i) => owners[i] === n).map(kind).filter((k, i, all) => k !== all[i - 1]);
  assert.deepEqual(sequence("a"), ["top", "svc", "ext", "svc", "svl", "sep"]);
  assert.deepEqual(sequence("b"), ["top", "svc", "ext", "fw", "svc", "sep"]);
  assert.deepEqual(sequence("c"), ["top", "svc", "sep"]);
  assert.equal(rules.at(-2), `-X ${stale}`);
  assert.match(rules.at(-1)!, /^-A KUBE-SERVICES .* -j KUBE-NODEPORTS$/);
  assert.deepEqual(restoreOrderProblems(plan, { deleteChains: [stale] }), []);
});
