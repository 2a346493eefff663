// Test helper process for the kill -9 durability test: writes ConfigMaps in a burst and
// reports each acknowledged write on stdout (synchronously, so an ack is never buffered
// behind the kill). Usage: node durability-child.js DBPATH COUNT
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
for (let i = 0; i < count; i++) {
  const name = `cm-${i}`;
  store.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data: { i: String(i) } });
  writeSync(1, `ack ${name}\n`);
}
store.close();
