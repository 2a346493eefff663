#!/usr/bin/env node
// The `netlab` command. Each subcommand lives in cli/commands/<name>.ts and exports
// `run(argv): Promise<number>` (the exit code); this file only dispatches.
import { cliErrorText } from "./output.js";

interface CommandEntry {
  module: string;
  summary: string;
}

const COMMANDS: Record<string, CommandEntry> = {
  up: { module: "up", summary: "build a lab from manifests and keep it running" },
  down: { module: "down", summary: "remove a lab and everything it made" },
  status: { module: "status", summary: "show a running lab" },
  exec: { module: "exec", summary: "run a command inside a Pod, node, external or lan" },
  config: { module: "config", summary: "change a running lab's settings (proxy-mode)" },
  doctor: { module: "doctor", summary: "check this machine (and install what is missing with --fix)" },
  apiserver: { module: "apiserver", summary: "run the API server with the controllers alone" },
  validate: { module: "validate", summary: "validate manifests offline" },
  render: { module: "render", summary: "compute what a cluster would do: cluster|iptables|nftables|dns|env|resolv|nginx" },
  trace: { module: "trace", summary: "follow a packet through a node's service rules" },
  dns: { module: "dns", summary: "serve cluster DNS for a set of manifests (dns serve)" },
  apply: { module: "apply", summary: "create or update objects from files" },
  get: { module: "get", summary: "list or show objects" },
  delete: { module: "delete", summary: "delete objects" },
  scale: { module: "scale", summary: "set a workload's replicas" },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(w)}  ${c.summary}`);
  return `Usage: netlab COMMAND [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'netlab COMMAND --help' for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`netlab: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  const mod = (await import(`./commands/${entry.module}.js`)) as { run(argv: string[]): Promise<number> };
  return mod.run(rest);
}

// `netlab status | head`: a closed pipe ends the command quietly, as it does for other tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

// Commands let their input errors (bad flags, manifests, --config, --node) propagate: this is
// the one place that prints them as `error: ...` with exit status 1.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(cliErrorText(err, !!process.env.NETLAB_DEBUG));
    process.exitCode = 1;
  },
);
