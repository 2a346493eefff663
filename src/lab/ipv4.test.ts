// The lab's CIDRs parse as strictly as the allocators' (cluster/ipv4.ts parseCidr4).
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatCidr4 } from "../cluster/ipv4.js";
import { parseCidr } from "./ipv4.js";

test("parseCidr: the network of a decimal prefix; anything else is refused by name", () => {
  assert.equal(formatCidr4(parseCidr("10.1.2.3/16")), "10.1.0.0/16");
  assert.equal(formatCidr4(parseCidr("0.0.0.0/0")), "0.0.0.0/0");
  // Number() took these as 16, 10, 16 and 0.
  for (const bad of ["10.0.0.0/0x10", "10.0.0.0/1e1", "10.0.0.0/ 16", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/16/1", "10.0.0.0", "10.0.0/8", "10.0.0.256/8"]) {
    assert.throws(() => parseCidr(bad), { message: `invalid CIDR "${bad}"` }, bad);
  }
});
