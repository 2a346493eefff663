// Reading a kubeconfig: what a broken one says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseKubeconfig, renderKubeconfig } from "./kubeconfig.js";

const noFiles = (p: string): string => {
  throw new Error(`unexpected read of ${p}`);
};

test("parseKubeconfig: the current context's server, CA and token", () => {
  const text = renderKubeconfig({ name: "netlab", server: "https://127.0.0.1:6443", caPem: "CA", token: "t0k", namespace: "ns1" });
  assert.deepEqual(parseKubeconfig(text, noFiles), { server: "https://127.0.0.1:6443", caPem: "CA", token: "t0k", namespace: "ns1", insecure: false });
});

test("parseKubeconfig: a server that is not a URL is named with its cluster", () => {
  const text = renderKubeconfig({ name: "lab", server: "not a url", caPem: "CA", token: "t" });
  assert.throws(() => parseKubeconfig(text, noFiles), { message: 'kubeconfig: cluster "lab": server "not a url" is not a URL (want https://HOST:PORT)' });
  const missing = renderKubeconfig({ name: "lab", server: "https://x", caPem: "CA", token: "t" }).replace(/^\s+server: .*\n/m, "");
  assert.throws(() => parseKubeconfig(missing, noFiles), { message: 'kubeconfig: cluster "lab" has no server' });
});
