// Shared by kernel tests: skip with a printed reason when not root, unique lab names.
import { execFileSync } from "node:child_process";

export function kernelSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "kernel test needs root (it builds network namespaces); run as root to include it";
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
  } catch {
    return "kernel test needs iproute2 with netns support";
  }
  return undefined;
}

let counter = 0;
/** A lab name unique to this process and call, short enough for the lab's 16-character limit. */
export function uniqueLabName(tag: string): string {
  counter++;
  return `t${(process.pid % 100000).toString(36)}${tag}${counter}`.slice(0, 16);
}
