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

test("parseKubeconfig: a server that is not an https:// URL is named with its cluster", () => {
  for (const server of ["not a url", "localhost:6443", "http://127.0.0.1:6443"]) {
    const text = renderKubeconfig({ name: "lab", server, caPem: "CA", token: "t" });
    assert.throws(() => parseKubeconfig(text, noFiles), { message: `kubeconfig: cluster "lab": server ${JSON.stringify(server)} is not an https:// URL (want https://HOST:PORT)` });
  }
  const missing = renderKubeconfig({ name: "lab", server: "https://x", caPem: "CA", token: "t" }).replace(/^\s+server: .*\n/m, "");
  assert.throws(() => parseKubeconfig(missing, noFiles), { message: 'kubeconfig: cluster "lab" has no server' });
});
