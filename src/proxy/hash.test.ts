import { test } from "node:test";
import assert from "node:assert/strict";
import { base32, iptablesHash, iptablesHashesWithPrefix, svcChain, sepChain, nftServiceBase, nftEndpointBase } from "./hash.js";
import { formatFixed10, probability } from "./probability.js";
import { servicePortNameString, joinHostPort } from "./service-port-name.js";

test("base32 matches RFC 4648 test vectors (unpadded)", () => {
  const enc = (s: string) => base32(new TextEncoder().encode(s));
  assert.equal(enc("f"), "MY");
  assert.equal(enc("fo"), "MZXQ");
  assert.equal(enc("foo"), "MZXW6");
  assert.equal(enc("foobar"), "MZXW6YTBOI");
});

test("chain names match UPSTREAM.md check values", () => {
  for (const [spn, proto, want] of [
    ["default/kubernetes:https", "tcp", "KUBE-SVC-NPX46M4PTMTKRN6Y"],
    ["kube-system/kube-dns:dns", "udp", "KUBE-SVC-TCOU7JCQXEZGVUNU"],
    ["kube-system/kube-dns:dns-tcp", "tcp", "KUBE-SVC-ERIFXISQEP7F7OF4"],
    ["ns1/svc1:p80", "tcp", "KUBE-SVC-XPGD46QRK7WJZT7O"],
  ]) assert.equal(svcChain(spn, proto), want);
  assert.equal(sepChain("ns1/svc1:p80", "tcp", "10.180.0.1:80"), "KUBE-SEP-SXIVWICOYRO3J4NJ");
});

test("endpoint chain hashes in bulk are the hashes of the whole names, ASCII or not, short or long", () => {
  assert.deepEqual(iptablesHashesWithPrefix("ns1/svc1:p80tcp", ["10.180.0.1:80"]), ["SXIVWICOYRO3J4NJ"]);
  const suffixes = ["10.0.0.1:80", "[fd00::1]:8080", "", "ü:1", "x".repeat(2000), "10.0.0.2:80"];
  for (const prefix of ["ns/svc:httptcp", "nß/svc:httptcp", "p".repeat(1020), ""]) {
    assert.deepEqual(iptablesHashesWithPrefix(prefix, suffixes), suffixes.map((s) => iptablesHash(prefix + s)), `prefix ${prefix.slice(0, 20)}`);
  }
  assert.deepEqual(iptablesHashesWithPrefix("a", []), []);
});

test("nftables chain bases as upstream's examples", () => {
  assert.equal(nftServiceBase("ns1", "svc1", "tcp", "p80"), "ULMVA6XW-ns1/svc1/tcp/p80");
  assert.equal(nftEndpointBase("ns1", "svc1", "tcp", "p80", "10.180.0.1", 80), "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80");
});

test("servicePortName and endpoint strings", () => {
  assert.equal(servicePortNameString({ namespace: "ns", name: "a", port: "" }), "ns/a");
  assert.equal(servicePortNameString({ namespace: "ns", name: "a", port: "http" }), "ns/a:http");
  assert.equal(joinHostPort("fd00::1", 80), "[fd00::1]:80");
});

test("probabilities print like Go's %0.10f (ties to even)", () => {
  const cases: [number, string][] = [
    [1, "1.0000000000"],
    [2, "0.5000000000"],
    [3, "0.3333333333"],
    [4, "0.2500000000"],
    [6, "0.1666666667"],
    [7, "0.1428571429"],
    [2048, "0.0004882812"],
    [1024, "0.0009765625"],
    [4096, "0.0002441406"],
  ];
  for (const [n, want] of cases) assert.equal(probability(n), want, `1/${n}`);
  assert.equal((1 / 2048).toFixed(10), "0.0004882813"); // why we do not use toFixed
  assert.equal(formatFixed10(0.5), "0.5000000000");
});

test("fast prefix equals the full base32 digest", async () => {
  const { sha256Base32Prefix, sha256Base32 } = await import("./hash.js");
  for (let n = 0; n < 300; n++) {
    const s = "x".repeat(n) + "ns1/svc1:p80tcp10.180.0.1:80".slice(0, n % 29);
    assert.equal(sha256Base32Prefix(s, 16), sha256Base32(s).slice(0, 16));
    assert.equal(sha256Base32Prefix(s, 8), sha256Base32(s).slice(0, 8));
  }
});

test("prefixes agree with node:crypto on random and non-ASCII input, fresh and remembered", async () => {
  const { sha256Base32Prefix, sha256Base32, clearChainNameCache } = await import("./hash.js");
  clearChainNameCache();
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(rnd() * 200);
    let s = "";
    for (let j = 0; j < len; j++) s += String.fromCharCode(32 + Math.floor(rnd() * 95));
    const want = sha256Base32(s).slice(0, 16);
    assert.equal(sha256Base32Prefix(s, 16), want, JSON.stringify(s));
    assert.equal(sha256Base32Prefix(s, 16), want, `remembered ${JSON.stringify(s)}`);
    assert.equal(sha256Base32Prefix(s, 8), want.slice(0, 8), `remembered ${JSON.stringify(s)}`);
  }
  for (const s of ["ns/sv\u00e9:p80tcp", "\u{1F600}", "ns/\u4e2d:p\u00ff10.0.0.1:80"]) assert.equal(sha256Base32Prefix(s, 16), sha256Base32(s).slice(0, 16));
});
