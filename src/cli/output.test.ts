import { test } from "node:test";
import assert from "node:assert/strict";
import { cliErrorText, UsageError } from "./output.js";

test("cliErrorText: input errors as 'error: ...', programming errors said to be a bug, the stack only with debug", () => {
  assert.equal(cliErrorText(new UsageError("--node is required"), false), "error: --node is required\n");
  assert.equal(cliErrorText("plain", false), "error: plain\n");
  assert.equal(cliErrorText(new TypeError("x.y is undefined"), false), "internal error: x.y is undefined (a bug in netlab, not in the input; NETLAB_DEBUG=1 prints where)\n");
  const withStack = cliErrorText(new TypeError("x.y is undefined"), true);
  assert.match(withStack, /^internal error: x\.y is undefined \(a bug in netlab, not in the input\)\nTypeError: x\.y is undefined\n\s+at /);
});

test("cliErrorText: Node's coded TypeErrors (input it checked, such as a URL) are not called bugs", () => {
  let invalidURL: unknown;
  try {
    new URL("https://[bad");
  } catch (e) {
    invalidURL = e;
  }
  assert.ok(invalidURL instanceof TypeError);
  assert.equal(cliErrorText(invalidURL, false), "error: Invalid URL\n");
});
