// Test helper process for the kill -9 durability test: writes ConfigMaps in a burst (batches
// of 8 sharing a group commit) and reports each write on stdout once store.sync() said it is
// durable (synchronously, so an ack is never buffered behind the kill).
// Usage: node durability-child.js DBPATH COUNT
import { writeSync } from "node:fs";
import { openSqliteStore } from "./sqlite-store.js";

const [path, countArg] = process.argv.slice(2);
if (!path) {
  process.stderr.write("usage: durability-child DBPATH COUNT\n");
  process.exit(2);
}
const store = openSqliteStore(path);
const count = Number(countArg ?? "100000");
writeSync(1, "ready\n");
for (let i = 0; i < count; i += 8) {
  const names: string[] = [];
  for (let k = i; k < Math.min(count, i + 8); k++) {
    const name = `cm-${k}`;
    store.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data: { i: String(k) } });
    names.push(name);
  }
  await store.sync();
  writeSync(1, names.map((n) => `ack ${n}\n`).join(""));
}
store.close();
