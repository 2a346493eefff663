// Readiness probes as the kubelet runs them: httpGet and tcpSocket from the node's network
// namespace to the Pod's IP, exec inside the Pod's namespace. Each probe is one short,
// time-bounded command run through the kernel edge (curl, bash's /dev/tcp, the program).
import type { Container, IntOrString, Pod, Probe } from "../api/types.js";
import type { Runner } from "../lab/exec.js";

export interface ProbeTarget {
  /** Namespace the kubelet probes from (the node's). */
  nodeNetns: string;
  /** The Pod's namespace (exec probes). */
  podNetns: string;
  podIP: string;
  env: { name: string; value: string }[];
}

/** A named port resolves against the container's ports, as the kubelet does. */
export function resolveProbePort(port: IntOrString, container: Container): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** The command for one probe run, or an error message when the probe cannot be run. */
export function probeCommand(probe: Probe, container: Container, t: ProbeTarget): { cmd: string; args: string[]; timeoutMs: number } | { error: string } {
  const timeout = Math.max(1, probe.timeoutSeconds ?? 1);
  if (probe.httpGet) {
    const port = resolveProbePort(probe.httpGet.port, container);
    if (!port) return { error: `invalid httpGet port ${JSON.stringify(probe.httpGet.port)}` };
    const host = probe.httpGet.host || t.podIP;
    const scheme = (probe.httpGet.scheme ?? "HTTP").toLowerCase();
    const path = probe.httpGet.path?.startsWith("/") ? probe.httpGet.path : `/${probe.httpGet.path ?? ""}`;
    const url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}${path}`;
    // The kubelet counts 200-399 as success and does not verify HTTPS certificates.
    return { cmd: "nsenter", args: [`--net=/run/netns/${t.nodeNetns}`, "--", "curl", "-ks", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", String(timeout), "-A", "kube-probe/1.33", url], timeoutMs: timeout * 1000 + 2000 };
  }
  if (probe.tcpSocket) {
    const port = resolveProbePort(probe.tcpSocket.port, container);
    if (!port) return { error: `invalid tcpSocket port ${JSON.stringify(probe.tcpSocket.port)}` };
    const host = probe.tcpSocket.host || t.podIP;
    return { cmd: "nsenter", args: [`--net=/run/netns/${t.nodeNetns}`, "--", "timeout", String(timeout), "bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`], timeoutMs: timeout * 1000 + 2000 };
  }
  if (probe.exec) {
    if (!probe.exec.command?.length) return { error: "exec probe without a command" };
    const env = t.env.map((e) => `${e.name}=${e.value}`);
    return { cmd: "ip", args: ["netns", "exec", t.podNetns, "timeout", String(timeout), "env", ...env, ...probe.exec.command], timeoutMs: timeout * 1000 + 2000 };
  }
  return { error: "probe has no handler (httpGet, tcpSocket or exec)" };
}

export async function runProbe(r: Runner, probe: Probe, container: Container, t: ProbeTarget): Promise<boolean> {
  const c = probeCommand(probe, container, t);
  if ("error" in c) return false;
  const res = await r.run(c.cmd, c.args, { timeoutMs: c.timeoutMs });
  if (probe.httpGet) {
    const code = Number(res.stdout.trim());
    return res.code === 0 && code >= 200 && code < 400;
  }
  return res.code === 0;
}

/**
 * Runs a readiness probe on its schedule and reports transitions (successThreshold /
 * failureThreshold consecutive results). Stops with stop().
 */
export function startReadinessProber(r: Runner, pod: Pod, container: Container, t: ProbeTarget, onChange: (ready: boolean) => void): { stop(): void } {
  const probe = container.readinessProbe!;
  const period = Math.max(1, probe.periodSeconds ?? 10) * 1000;
  const successThreshold = Math.max(1, probe.successThreshold ?? 1);
  const failureThreshold = Math.max(1, probe.failureThreshold ?? 3);
  let ready = false;
  let streak = 0;
  let lastResult: boolean | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    const ok = await runProbe(r, probe, container, t).catch(() => false);
    if (stopped) return;
    streak = ok === lastResult ? streak + 1 : 1;
    lastResult = ok;
    // Before the first success the Pod is unready already; one failure counts once it was ready.
    if (ok && !ready && streak >= successThreshold) {
      ready = true;
      onChange(true);
    } else if (!ok && ready && streak >= failureThreshold) {
      ready = false;
      onChange(false);
    }
    timer = setTimeout(tick, period);
  };
  timer = setTimeout(tick, Math.max(0, probe.initialDelaySeconds ?? 0) * 1000);
  void pod;
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
