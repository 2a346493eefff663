import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIptablesRestore, splitWords, compileIptablesRule } from "./iptables/parse.js";
import { parseNft, tokenize } from "./nftables/parse.js";
import { traceIptables, traceNftables } from "./evaluate.js";

test("splitWords keeps quoted comments whole", () => {
  assert.deepEqual(splitWords('-A X -m comment --comment "a b: c" -j Y'), ["-A", "X", "-m", "comment", "--comment", "a b: c", "-j", "Y"]);
});

test("iptables parse errors name the line", () => {
  const r = parseIptablesRestore("*nat\n:A - [0:0]\nbogus line\nCOMMIT\n");
  assert.deepEqual(r.errors, [{ line: 3, message: 'unsupported line: "bogus line"' }]);
  assert.throws(() => compileIptablesRule(["--frobnicate", "1"], "x"), /unsupported option "--frobnicate"/);
  // Addresses of either family are parsed (IPv6 ones not just checked for their characters).
  for (const bad of ["fd00::/200", "fd00:::1", "fd00::zz/64", "10.0.0.0/33", "10.0.0.256", "10.0.0.0/8/8"]) assert.throws(() => compileIptablesRule(["-s", bad, "-j", "ACCEPT"], "x"), new RegExp(`bad address "${bad}"`), bad);
  compileIptablesRule(["-s", "fd00::/64", "-j", "ACCEPT"], "x");
  compileIptablesRule(["!", "-d", "10.0.0.0/8", "-j", "ACCEPT"], "x");
  assert.throws(() => traceIptables("*nat\n-A KUBE-SERVICES -j NOWHERE\nCOMMIT\n", { src: "1.1.1.1", dst: "2.2.2.2", dport: 1, origin: "pod" }), /missing chain nat\/NOWHERE/);
});

test("nft parse applies transactions and rejects what it does not know", () => {
  const st = parseNft([
    "add table ip kube-proxy\nadd chain ip kube-proxy a\nadd map ip kube-proxy m { type ipv4_addr . inet_proto . inet_service : verdict ; }\nadd element ip kube-proxy m { 10.0.0.1 . tcp . 80 comment \"x\" : goto a, 10.0.0.2 . udp . 53 : drop }\n",
    "delete element ip kube-proxy m { 10.0.0.2 . udp . 53 }\n",
  ]);
  assert.deepEqual([...st.sets.get("m")!], [["10.0.0.1 . tcp . 80", "goto a"]]);
  assert.throws(() => parseNft(["add table ip kube-proxy\nadd rule ip kube-proxy nope accept\n"]), /nft line 2: no chain nope/);
  assert.throws(
    () => traceNftables("add table ip kube-proxy\nadd chain ip kube-proxy c { type nat hook prerouting priority -100 ; }\nadd rule ip kube-proxy c frob 1\n", { src: "1.1.1.1", dst: "2.2.2.2", dport: 1, origin: "pod" }),
    /unsupported expression at "frob 1"/,
  );
  // A bad CIDR is refused, not taken as matching nothing ("!=" with it matched every packet).
  const pre = "add table ip6 kube-proxy\nadd chain ip6 kube-proxy c { type nat hook prerouting priority -100 ; }\n";
  const pkt = { src: "fd00:10::2", dst: "fd00:172:30::41", dport: 80, origin: "pod" as const };
  for (const rule of ["ip6 saddr != fd00::/200 drop", "ip6 saddr != { fd00:10::/64, fd00::/200 } drop", "ip6 saddr 10.0.0.0/33 drop"]) {
    assert.throws(() => traceNftables(`${pre}add rule ip6 kube-proxy c ${rule}\n`, pkt), /bad address "(fd00::\/200|10\.0\.0\.0\/33)"/, rule);
  }
  assert.equal(traceNftables(`${pre}add rule ip6 kube-proxy c ip6 saddr != fd00:10::/64 drop\n`, pkt).verdict, "NONE");
  assert.equal(traceNftables(`${pre}add rule ip6 kube-proxy c ip6 saddr != { fd00:11::/64, fd00:12::/64 } drop\n`, pkt).verdict, "DROP");
  assert.deepEqual(tokenize('ip saddr != { 1.2.3.0/24, 5.6.7.8 } drop comment "a b"'), ["ip", "saddr", "!=", "{", "1.2.3.0/24", ",", "5.6.7.8", "}", "drop", "comment", '"a b"']);
});

test("nft: numgen vmap (upstream's anonymous form) branches uniformly", () => {
  const text = [
    "add table ip kube-proxy",
    "add chain ip kube-proxy pre { type nat hook prerouting priority -100 ; }",
    "add chain ip kube-proxy e0",
    "add chain ip kube-proxy e1",
    "add chain ip kube-proxy e2",
    "add rule ip kube-proxy pre ip daddr 10.96.0.1 tcp dport 443 numgen random mod 3 vmap { 0 : goto e0, 1 : goto e1, 2 : goto e2 }",
    "add rule ip kube-proxy e0 meta l4proto tcp dnat to 10.0.0.1:6443",
    "add rule ip kube-proxy e1 meta l4proto tcp dnat to 10.0.0.2:6443",
    "add rule ip kube-proxy e2 meta l4proto tcp dnat to 10.0.0.3:6443",
  ].join("\n");
  const r = traceNftables(text, { src: "10.244.1.5", dst: "10.96.0.1", dport: 443, origin: "pod" });
  assert.equal(r.verdict, "DNAT");
  assert.deepEqual(r.destinations, ["10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.3:6443"]);
  for (const p of r.probabilities) assert.ok(Math.abs(p - 1 / 3) < 1e-9);
  const miss = traceNftables(text, { src: "10.244.1.5", dst: "10.96.0.1", dport: 443, proto: "udp", origin: "pod" });
  assert.equal(miss.verdict, "NONE");
});

test("nft: dnat through a numgen-keyed endpoint map branches over the keys offset .. offset+n-1; a missing key NATs nothing", () => {
  const head = [
    "add table ip kube-proxy",
    "add chain ip kube-proxy pre { type nat hook prerouting priority -100 ; }",
    "add chain ip kube-proxy svc",
    "add map ip kube-proxy endpoints-tcp-07 { typeof numgen random mod 1 : ip daddr . tcp dport ; }",
    "add rule ip kube-proxy pre ip daddr 10.96.0.1 tcp dport 443 goto svc",
    "add rule ip kube-proxy svc meta l4proto tcp dnat ip addr . port to numgen random mod 3 offset 4096 map @endpoints-tcp-07",
  ];
  const pkt = { src: "10.244.1.5", dst: "10.96.0.1", dport: 443, origin: "pod" as const };
  const full = [...head, "add element ip kube-proxy endpoints-tcp-07 { 4095 : 10.9.9.9 . 1, 4096 : 10.0.0.1 . 6443, 4097 : 10.0.0.2 . 6443, 4098 : 10.0.0.3 . 6443, 4099 : 10.9.9.9 . 1 }"].join("\n");
  const r = traceNftables(full, pkt);
  assert.equal(r.verdict, "DNAT");
  assert.deepEqual(r.destinations, ["10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.3:6443"]);
  for (const p of r.probabilities) assert.ok(Math.abs(p - 1 / 3) < 1e-9);
  // nft's listing form ("dnat ip to ...") reads the same.
  assert.deepEqual(traceNftables(full.replace("dnat ip addr . port to", "dnat ip to"), pkt).destinations, r.destinations);
  const partial = traceNftables([...head, "add element ip kube-proxy endpoints-tcp-07 { 4096 : 10.0.0.1 . 6443 }"].join("\n"), pkt);
  assert.deepEqual(partial.destinations, ["10.0.0.1:6443"]);
  assert.ok(Math.abs(partial.probabilities[0] - 1 / 3) < 1e-9);
  assert.equal(partial.paths.filter((p) => p.verdict === "NONE").reduce((a, p) => a + p.probability, 0).toFixed(6), (2 / 3).toFixed(6));
  const v6 = traceNftables(
    [
      "add table ip6 kube-proxy",
      "add chain ip6 kube-proxy pre { type nat hook prerouting priority -100 ; }",
      "add map ip6 kube-proxy endpoints-tcp-00 { typeof numgen random mod 1 : ip6 daddr . tcp dport ; }",
      "add rule ip6 kube-proxy pre meta l4proto tcp dnat ip6 addr . port to numgen random mod 1 map @endpoints-tcp-00",
      "add element ip6 kube-proxy endpoints-tcp-00 { 0 : fd00::5 . 80 }",
    ].join("\n"),
    { src: "fd00::9", dst: "fd00:96::1", dport: 80, origin: "pod" },
  );
  assert.deepEqual(v6.destinations, ["[fd00::5]:80"]);
  assert.throws(() => traceNftables(head.join("\n").replace("mod 3", "mod 0"), pkt), /bad numgen modulus "0"/);
  assert.throws(() => traceNftables(head.join("\n").replace("@endpoints-tcp-07", "@nope"), pkt), /no map nope/);
});
