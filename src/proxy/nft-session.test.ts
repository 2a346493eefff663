import { test } from "node:test";
import assert from "node:assert/strict";
import { createScratchNetns, deleteNetns, inNetns, kernelSkipReason } from "./kernel-check.js";
import { sessionLine, splitAtMarker, startNftSession, MAX_SESSION_TRANSACTION } from "./nft-session.js";
import { planProxy } from "./plan.js";
import { renderNftables } from "./nftables/render.js";
import { planNftablesUpdate } from "./changes.js";
import { serviceChainNames } from "./nftables/model.js";
import { makeService, makeSlice, testInput } from "./test-fixtures.js";

test("sessionLine joins a script into one transaction line and refuses what would break it", () => {
  assert.equal(sessionLine("add chain ip t a\n\nadd rule ip t a accept\n"), "add chain ip t a; add rule ip t a accept");
  assert.equal(sessionLine("\n"), "");
  assert.throws(() => sessionLine("add chain ip t a # note\nadd rule ip t a accept"), /"#" is not allowed/);
  assert.throws(() => sessionLine("add rule ip t a accept\n".repeat(MAX_SESSION_TRANSACTION / 10)), /use nft -f/);
});

test("splitAtMarker waits for the marker's caret line and keeps what came before", () => {
  const m = "netlab-session-marker-1-1";
  const err = "Error: Could not process rule: No such file or directory\nadd rule ip t x accept\n              ^\n";
  const mark = `Error: syntax error, unexpected newline, expecting string\n${m}\n`;
  assert.equal(splitAtMarker(err + mark, m), undefined); // caret line not there yet
  assert.deepEqual(splitAtMarker(err + mark + "     ^\nnext", m), { output: err, rest: "next" });
  assert.deepEqual(splitAtMarker(mark + "     ^\n", m), { output: "", rest: "" });
  assert.equal(splitAtMarker(err, m), undefined);
});

const skip = kernelSkipReason(["ip", "nft", "nsenter"]);
if (skip) console.log(`# nft session kernel test skipped: ${skip}`);

function input(endpoints: string[]) {
  const services = [makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "172.30.0.41"; s.spec.ports = [{ name: "p80", port: 80, protocol: "TCP" }]; })];
  const slices = [makeSlice("ns1", "svc1", 1, endpoints.map((ip) => ({ addresses: [ip] })), [{ name: "p80", port: 80, protocol: "TCP" }])];
  return testInput(services, slices);
}

test("nft session applies transactions in a scratch namespace, atomically, and survives a failed one", { skip }, async (t) => {
  const ns = createScratchNetns();
  const before = planProxy(input(["10.180.0.1", "10.180.0.2"]));
  const after = planProxy(input(["10.180.0.2", "10.180.0.3"]));
  const session = startNftSession({ netns: ns, timeoutMs: 20_000 });
  t.after(async () => {
    await session.close();
    deleteNetns(ns);
  });

  await session.apply(renderNftables(before));
  const chain = serviceChainNames(before.services[0]).svc;
  // The chain picks from its endpoints in a shared map (endpoint-maps.ts): the table shows both.
  const list = () => {
    const r = inNetns(ns, "nft", ["list", "table", "ip", "kube-proxy"]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.match(inNetns(ns, "nft", ["list", "chain", "ip", "kube-proxy", chain]).stdout, /dnat ip to numgen random mod 2 offset \d+ map @endpoints-/);
  assert.match(list(), /: 10\.180\.0\.1 \. 80\b/);

  const u = planNftablesUpdate(before, after, { changed: ["ns1/svc1"] });
  assert.ok(u.script);
  await session.apply(u.script);
  assert.match(list(), /: 10\.180\.0\.3 \. 80\b/);
  assert.doesNotMatch(list(), /: 10\.180\.0\.1 \. 80\b/);

  // One bad command: nothing of the transaction is applied, the error names it, the session goes on.
  await assert.rejects(session.apply(`add chain ip kube-proxy session-probe\nadd rule ip kube-proxy no-such-chain accept\n`), /No such file or directory/);
  assert.notEqual(inNetns(ns, "nft", ["list", "chain", "ip", "kube-proxy", "session-probe"]).status, 0);
  await session.apply(planNftablesUpdate(after, before, { changed: ["ns1/svc1"] }).script);
  assert.match(list(), /: 10\.180\.0\.1 \. 80\b/);

  await session.close();
  assert.equal(session.closed, true);
  await assert.rejects(session.apply("add chain ip kube-proxy late"), /closed/);
});
