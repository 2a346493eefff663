import { test } from "node:test";
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import { answerExternal } from "./external-dns.js";

const zone = { names: new Map([["my.database.example.com", "203.0.113.10"]]) };
const ask = (name: string, type: "A" | "AAAA" = "A") => dnsPacket.decode(answerExternal(zone, dnsPacket.encode({ id: 7, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }] }))!);

test("the internet's DNS answers the names it knows, case-insensitively; NXDOMAIN otherwise", () => {
  const a = ask("My.Database.Example.com");
  assert.equal(a.id, 7);
  assert.equal((a as { rcode?: string }).rcode, "NOERROR");
  assert.deepEqual(a.answers?.map((x) => [x.name, x.type, (x as { data: string }).data]), [["My.Database.Example.com", "A", "203.0.113.10"]]);
  assert.equal(ask("my.database.example.com", "AAAA").answers?.length, 0);
  assert.equal((ask("nope.example.com") as { rcode?: string }).rcode, "NXDOMAIN");
  assert.equal(answerExternal(zone, Buffer.from("garbage")), null);
});
