import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterIPAllocator } from "./cluster-ip.js";
import { NodePortAllocator } from "./node-port.js";
import { AllocationError } from "./allocation-error.js";

const refuses = (fn: () => unknown, message: string) =>
  assert.throws(fn, (e: unknown) => e instanceof AllocationError && e.message === message);

test("ClusterIP: first address, range and taken errors with upstream's text, release", () => {
  const a = new ClusterIPAllocator("10.96.0.0/12", { mode: "sequential" });
  assert.equal(a.firstAddress(), "10.96.0.1");
  a.allocate("10.96.0.1");
  refuses(() => a.allocate("10.96.0.1"), "provided IP is already allocated");
  refuses(() => a.allocate("1.1.1.1"), "the provided IP (1.1.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12");
  refuses(() => a.allocate("10.96.0.0"), "the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12");
  refuses(() => a.allocate("10.111.255.255"), "the provided IP (10.111.255.255) is not in the valid range. The range of valid IPs is 10.96.0.0/12");
  a.allocate("10.111.255.254");
  // Dynamic picks avoid the low band (upstream's static range for explicit requests).
  assert.equal(a.allocateNext(), "10.96.1.1");
  assert.equal(a.allocateNext(), "10.96.1.2");
  a.release("10.96.0.1");
  assert.equal(a.isAllocated("10.96.0.1"), false);
});

test("ClusterIP: a small range fills up, then says so", () => {
  const a = new ClusterIPAllocator("192.168.0.0/30", { mode: "sequential" });
  assert.deepEqual([a.allocateNext(), a.allocateNext()].sort(), ["192.168.0.1", "192.168.0.2"]);
  assert.throws(() => a.allocateNext(), (e: unknown) => e instanceof AllocationError && e.why === "full");
});

test("ClusterIP: a range that is no IPv4 CIDR is refused, naming it", () => {
  for (const bad of ["10.96.0.0", "10.96.0.0/33", "10.96.0.0/0x10", "10.96.0.0/1e1", "10.96.0.0/ 12", "fd00::/112"]) {
    assert.throws(() => new ClusterIPAllocator(bad), new RegExp(`invalid CIDR "${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" \\(want an IPv4 network such as 10.96.0.0/12\\)`), bad);
  }
});

test("ClusterIP: random picks are reproducible with a seed and spread without one", () => {
  const pick = (seed?: number) => {
    const a = new ClusterIPAllocator("10.96.0.0/12", seed === undefined ? {} : { seed });
    return [a.allocateNext(), a.allocateNext(), a.allocateNext()];
  };
  assert.deepEqual(pick(7), pick(7));
  assert.notDeepEqual(pick(7), pick(8));
});

test("NodePort: range and taken errors with upstream's text; the whole range is usable", () => {
  const p = new NodePortAllocator("30000-32767", { mode: "sequential" });
  p.allocate(30001);
  refuses(() => p.allocate(30001), "provided port is already allocated");
  refuses(() => p.allocate(80), "provided port is not in the valid range. The range of valid ports is 30000-32767");
  refuses(() => p.allocate(32768), "provided port is not in the valid range. The range of valid ports is 30000-32767");
  const first = p.allocateNext();
  assert.ok(first >= 30086, `dynamic ports start above the static band (got ${first})`);
  const small = new NodePortAllocator("30000-30003", { mode: "sequential" });
  const got = [small.allocateNext(), small.allocateNext(), small.allocateNext(), small.allocateNext()].sort();
  assert.deepEqual(got, [30000, 30001, 30002, 30003]);
  assert.throws(() => small.allocateNext(), (e: unknown) => e instanceof AllocationError && e.why === "full");
  small.release(30002);
  assert.equal(small.allocateNext(), 30002);
  assert.throws(() => new NodePortAllocator("32767-30000"), /invalid port range/);
});
