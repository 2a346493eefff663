// CoreDNS kubernetes/autopath_test.go (TestAutoPath) and the autopath plugin's walk through the server.
import { test } from "node:test";
import assert from "node:assert/strict";
import dnsPacket, { type DecodedPacket } from "dns-packet";
import type { ZoneOptions } from "./answer.js";
import { autoPathBase, autoPathSearch, cnamer } from "./autopath.js";
import { DnsRecords } from "./records.js";
import { startDnsServer } from "./server.js";
import { corednsCluster, namespace, pod } from "./fixtures.test-util.js";

test("autopath_test.go TestAutoPath: the Pod's search path; host-network Pods told apart by the question's namespace", () => {
  const r = DnsRecords.fromObjects(
    [namespace("testns"), namespace("other"), pod("testns", "client", "10.240.0.1"), pod("testns", "host-a", "10.16.0.1"), pod("other", "host-b", "10.16.0.1")],
    { implicitNamespaces: false },
  );
  const o: ZoneOptions = { zone: "interwebs.test.", podsMode: "verified", nsIPs: [] };
  const path = (ns: string) => [`${ns}.svc.interwebs.test`, "svc.interwebs.test", "interwebs.test", "custom", ""];
  const cases: [string, string, string[] | null][] = [
    ["svc1.testns.svc.interwebs.test.testns.svc.interwebs.test.", "10.240.0.1", path("testns")],
    ["svc1.testns.svc.interwebs.test.", "10.240.0.1", path("testns")],
    ["example.com.testns.svc.interwebs.test.", "10.240.0.1", path("testns")],
    ["example.com.other.svc.interwebs.test.", "10.16.0.1", path("other")],
    ["example.com.svc.interwebs.test.", "10.240.0.1", path("testns")],
    ["example.other.svc.interwebs.test.", "10.240.0.1", path("testns")],
    ["example.testns.svc.interwebs.test.", "10.240.0.1", path("testns")],
    ["example.other.svc.interwebs.test.", "10.16.0.1", path("other")],
    // Host-network Pods and a question without a namespace of theirs: no autopath (not the first query).
    ["example.com.svc.interwebs.test.", "10.16.0.1", null],
    // No Pod at that address, a name outside the zone, or pods not verified: none either.
    ["svc1.testns.svc.interwebs.test.", "10.9.9.9", null],
    ["example.com.", "10.240.0.1", null],
  ];
  for (const [q, ip, want] of cases) assert.deepEqual(autoPathSearch(r, o, q, ip, ["custom."]), want, `${q} from ${ip}`);
  assert.equal(autoPathSearch(r, { ...o, podsMode: "insecure" }, "svc1.testns.svc.interwebs.test.", "10.240.0.1"), null);
  // firstInSearchPath: only names below the first element are walked.
  assert.equal(autoPathBase("Svc1.testns.svc.interwebs.test.TestNs.svc.interwebs.test.", path("testns")), "Svc1.testns.svc.interwebs.test");
  assert.equal(autoPathBase("svc1.testns.svc.interwebs.test.", path("testns")), "svc1");
  assert.equal(autoPathBase("svc1.other.svc.interwebs.test.", path("testns")), null);
  // The first element itself is in the search path but has no base (CoreDNS: SERVFAIL).
  assert.equal(autoPathBase("TestNs.svc.interwebs.test.", path("testns")), "");
  assert.equal(autoPathBase("svc.interwebs.test.", path("testns")), null);
  // cnamer: a CNAME from the asked name to the first record of another name, its TTL.
  assert.deepEqual(cnamer([{ name: "a.b", type: "A", ttl: 7, class: "IN", data: "1.2.3.4" }], "a.b.ns.svc.z."), [
    { name: "a.b.ns.svc.z", type: "CNAME", ttl: 7, class: "IN", data: "a.b" },
    { name: "a.b", type: "A", ttl: 7, class: "IN", data: "1.2.3.4" },
  ]);
});

test("autopath through the server: a Pod's first search-path query is answered for the name that exists, with a CNAME", async () => {
  // The client Pod is at 127.0.0.1, where this test's queries come from.
  const objects = [...corednsCluster(), pod("testns", "client", "127.0.0.1"), pod("other", "client2", "127.0.0.2")];
  const s = await startDnsServer({ objects, listen: "127.0.0.1:0", podsMode: "verified", autopath: true });
  const ask = async (name: string, type: string, client?: string): Promise<DecodedPacket & { rcode?: string }> =>
    dnsPacket.decode((await s.handle(dnsPacket.encode({ type: "query", id: 1, questions: [{ name, type: type as "A" }] }), false, client))!);
  const lines = (p: DecodedPacket) => (p.answers ?? []).map((a) => `${a.name} ${a.type} ${String((a as { data?: unknown }).data)}`);
  try {
    const first = "svc1.testns.svc.cluster.local.testns.svc.cluster.local";
    const a = await ask(first, "A", "127.0.0.1");
    assert.equal(a.rcode, "NOERROR");
    assert.equal(a.questions?.[0].name, first);
    assert.deepEqual(lines(a), [`${first} CNAME svc1.testns.svc.cluster.local`, "svc1.testns.svc.cluster.local A 10.0.0.1"]);
    // Asked again by the Pod: from the answer cache (kept under the Pod's namespace).
    const hits = s.stats.cacheHits;
    assert.deepEqual(lines(await ask(first, "A", "127.0.0.1")), lines(a));
    assert.equal(s.stats.cacheHits, hits + 1);
    // A Pod of another namespace does not get that answer: its search path does not start there.
    assert.equal((await ask(first, "A", "127.0.0.2")).rcode, "NXDOMAIN");
    // "svc1" alone from the Pod: found in the Pod's own namespace at the first element, no CNAME needed.
    assert.deepEqual(lines(await ask("svc1.testns.svc.cluster.local", "A", "127.0.0.1")), ["svc1.testns.svc.cluster.local A 10.0.0.1"]);
    // The same question from an address that is no Pod is not walked (and not served from the Pod's answer).
    assert.equal((await ask(first, "A", "10.9.9.9")).rcode, "NXDOMAIN");
    // The walk's last name ("nothing") is outside the zone and there is no upstream: CoreDNS's
    // next plugin fails (no next plugin), and autopath answers SERVFAIL. (With an upstream: below.)
    assert.equal((await ask("nothing.testns.svc.cluster.local", "A", "127.0.0.1")).rcode, "SERVFAIL");
    // The Pod asking for its first search element itself: CoreDNS's autopath cannot trim it and
    // answers SERVFAIL (with the question); from an address that is no Pod it is answered as usual.
    const bare = await ask("testns.svc.cluster.local", "A", "127.0.0.1");
    assert.equal(bare.rcode, "SERVFAIL");
    assert.equal(bare.questions?.[0].name, "testns.svc.cluster.local");
    assert.notEqual((await ask("testns.svc.cluster.local", "A", "10.9.9.9")).rcode, "SERVFAIL");
    // Over the socket the client address is the sender's.
    const viaSocket = await new Promise<Buffer>((resolve, reject) => {
      import("node:dgram").then(({ default: dgram }) => {
        const c = dgram.createSocket("udp4");
        const t = setTimeout(() => (c.close(), reject(new Error("timeout"))), 2000);
        c.on("message", (m) => (clearTimeout(t), c.close(), resolve(m)));
        c.send(dnsPacket.encode({ type: "query", id: 2, questions: [{ name: first, type: "A" }] }), s.udpAddress!.port, "127.0.0.1");
      }, reject);
    });
    assert.deepEqual(lines(dnsPacket.decode(viaSocket)), [`${first} CNAME svc1.testns.svc.cluster.local`, "svc1.testns.svc.cluster.local A 10.0.0.1"]);
  } finally {
    await s.close();
  }
});

test("autopath through the server with an upstream: a name found nowhere is the first element's NXDOMAIN; one found upstream gets the CNAME", async () => {
  const dgram = (await import("node:dgram")).default;
  // An upstream that knows www.example.com (A 192.0.2.1) and nothing else (NXDOMAIN).
  const up = dgram.createSocket("udp4");
  up.on("message", (m, r) => {
    const q = dnsPacket.decode(m);
    const known = q.questions![0].name.toLowerCase() === "www.example.com";
    const answers = known ? [{ name: "www.example.com", type: "A" as const, ttl: 60, class: "IN" as const, data: "192.0.2.1" }] : [];
    up.send(dnsPacket.encode({ type: "response", id: q.id, flags: known ? 0 : 3, questions: q.questions, answers }), r.port, r.address);
  });
  await new Promise<void>((r) => up.bind(0, "127.0.0.1", () => r()));
  const s = await startDnsServer({ objects: [...corednsCluster(), pod("testns", "client", "127.0.0.1")], listen: "127.0.0.1:0", podsMode: "verified", autopath: true, upstream: `127.0.0.1:${(up.address() as { port: number }).port}` });
  const ask = async (name: string): Promise<DecodedPacket & { rcode?: string }> =>
    dnsPacket.decode((await s.handle(dnsPacket.encode({ type: "query", id: 1, questions: [{ name, type: "A" }] }), false, "127.0.0.1"))!);
  try {
    const nx = await ask("nothing.testns.svc.cluster.local");
    assert.equal(nx.rcode, "NXDOMAIN");
    assert.deepEqual(nx.answers, []);
    const www = await ask("www.example.com.testns.svc.cluster.local");
    assert.equal(www.rcode, "NOERROR");
    assert.deepEqual(
      www.answers?.map((a) => `${a.name} ${a.type} ${String((a as { data?: unknown }).data)}`),
      ["www.example.com.testns.svc.cluster.local CNAME www.example.com", "www.example.com A 192.0.2.1"],
    );
    // A walk that took an upstream answer stays out of the answer cache (kept until objects
    // change): asked again, it is walked again (the upstream's answer then from the forwarder's cache).
    const hits = s.stats.cacheHits;
    assert.deepEqual((await ask("www.example.com.testns.svc.cluster.local")).answers?.length, 2);
    assert.equal(s.stats.cacheHits, hits);
  } finally {
    await s.close();
    up.close();
  }
});
