// Server-side printing (meta.k8s.io/v1 Table) with the columns upstream's printers use,
// so `kubectl get` shows the familiar columns (pure).
import type { KubeObject } from "../api/types.js";
import type { ResourceType } from "../api/resources.js";

interface Column {
  name: string;
  type: "string" | "integer" | "date";
  format?: string;
  priority?: number;
  description: string;
}

/** True when the Accept header asks for a Table (kubectl get does). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** Upstream's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(o: KubeObject, now: number): string {
  const ts = o.metadata.creationTimestamp;
  return ts ? humanDuration(now - Date.parse(ts)) : "<unknown>";
}

const col = (name: string, type: Column["type"] = "string", priority = 0, format?: string): Column => ({ name, type, priority, format, description: name });
const NAME = col("Name", "string", 0, "name");
const AGE = col("Age", "string");

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function selectorString(sel: Record<string, string> | undefined): string {
  const parts = Object.entries(sel ?? {}).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(",") : "<none>";
}

function labelSelectorString(sel: Any | undefined): string {
  if (!sel) return "<none>";
  const parts = Object.entries((sel.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  for (const e of (sel.matchExpressions ?? []) as Any[]) {
    const op = String(e.operator);
    if (op === "Exists") parts.push(e.key);
    else if (op === "DoesNotExist") parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op === "In" ? "in" : "notin"} (${(e.values ?? []).join(",")})`);
  }
  return parts.length ? parts.join(",") : "<none>";
}

function moreList(items: string[], max = 3): string {
  if (items.length === 0) return "<none>";
  return items.length > max ? `${items.slice(0, max).join(",")} + ${items.length - max} more...` : items.join(",");
}

function containersAndImages(spec: Any | undefined): [string, string] {
  const cs = (spec?.template?.spec?.containers ?? []) as Any[];
  return [cs.map((c) => c.name).join(","), cs.map((c) => c.image ?? "").join(",")];
}

interface Printer {
  columns: Column[];
  cells(o: Any, now: number): (string | number)[];
}

const WORKLOAD_WIDE = [col("Containers", "string", 1), col("Images", "string", 1), col("Selector", "string", 1)];

const PRINTERS: Record<string, Printer> = {
  Namespace: { columns: [NAME, col("Status"), AGE], cells: (o, now) => [o.metadata.name, o.status?.phase ?? "", age(o as KubeObject, now)] },
  Node: {
    columns: [NAME, col("Status"), col("Roles"), AGE, col("Version"), col("Internal-IP", "string", 1), col("External-IP", "string", 1)],
    cells: (o, now) => {
      const ready = ((o.status?.conditions ?? []) as Any[]).find((c) => c.type === "Ready");
      let status = ready?.status === "True" ? "Ready" : ready ? "NotReady" : "Unknown";
      if (o.spec?.unschedulable) status += ",SchedulingDisabled";
      const roles = Object.keys(o.metadata.labels ?? {})
        .filter((k) => k.startsWith("node-role.kubernetes.io/"))
        .map((k) => k.slice("node-role.kubernetes.io/".length));
      const addr = (t: string) => ((o.status?.addresses ?? []) as Any[]).find((a) => a.type === t)?.address ?? "<none>";
      return [o.metadata.name, status, roles.length ? roles.join(",") : "<none>", age(o as KubeObject, now), o.status?.nodeInfo?.kubeletVersion ?? "", addr("InternalIP"), addr("ExternalIP")];
    },
  },
  Pod: {
    columns: [NAME, col("Ready"), col("Status"), col("Restarts", "string"), AGE, col("IP", "string", 1), col("Node", "string", 1), col("Nominated Node", "string", 1), col("Readiness Gates", "string", 1)],
    cells: (o, now) => {
      const cs = (o.status?.containerStatuses ?? []) as Any[];
      const total = (o.spec?.containers ?? []).length;
      const ready = cs.filter((c) => c.ready).length;
      const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
      const status = o.metadata.deletionTimestamp ? "Terminating" : o.status?.reason ?? o.status?.phase ?? "Unknown";
      return [o.metadata.name, `${ready}/${total}`, status, restarts, age(o as KubeObject, now), o.status?.podIP ?? "<none>", o.spec?.nodeName ?? "<none>", "<none>", "<none>"];
    },
  },
  Service: {
    columns: [NAME, col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"), AGE, col("Selector", "string", 1)],
    cells: (o, now) => {
      const type = o.spec?.type ?? "ClusterIP";
      const ports = ((o.spec?.ports ?? []) as Any[]).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? "TCP"}` : `${p.port}/${p.protocol ?? "TCP"}`));
      let ext: string;
      const extIPs = (o.spec?.externalIPs ?? []) as string[];
      if (type === "ExternalName") ext = o.spec?.externalName ?? "<none>";
      else if (type === "LoadBalancer") {
        const lb = ((o.status?.loadBalancer?.ingress ?? []) as Any[]).map((i) => i.ip ?? i.hostname).filter(Boolean);
        const all = [...lb, ...extIPs];
        ext = all.length ? all.join(",") : "<pending>";
      } else ext = extIPs.length ? extIPs.join(",") : "<none>";
      return [o.metadata.name, type, type === "ExternalName" ? "<none>" : o.spec?.clusterIP || "<none>", ext, ports.length ? ports.join(",") : "<none>", age(o as KubeObject, now), selectorString(o.spec?.selector)];
    },
  },
  Endpoints: {
    columns: [NAME, col("Endpoints"), AGE],
    cells: (o, now) => {
      const list: string[] = [];
      for (const s of (o.subsets ?? []) as Any[]) {
        const ports = (s.ports ?? []) as Any[];
        for (const a of (s.addresses ?? []) as Any[]) {
          if (ports.length === 0) list.push(a.ip);
          for (const p of ports) list.push(`${a.ip}:${p.port}`);
        }
      }
      return [o.metadata.name, moreList(list), age(o as KubeObject, now)];
    },
  },
  EndpointSlice: {
    columns: [NAME, col("AddressType"), col("Ports"), col("Endpoints"), AGE],
    cells: (o, now) => {
      const ports = ((o.ports ?? []) as Any[]).map((p) => String(p.port ?? "<unset>"));
      const addrs = ((o.endpoints ?? []) as Any[]).flatMap((e) => e.addresses ?? []);
      return [o.metadata.name, o.addressType ?? "", ports.length ? ports.join(",") : "<unset>", addrs.length ? moreList(addrs) : "<unset>", age(o as KubeObject, now)];
    },
  },
  ConfigMap: { columns: [NAME, col("Data", "integer"), AGE], cells: (o, now) => [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o as KubeObject, now)] },
  Secret: { columns: [NAME, col("Type"), col("Data", "integer"), AGE], cells: (o, now) => [o.metadata.name, o.type ?? "Opaque", Object.keys(o.data ?? {}).length, age(o as KubeObject, now)] },
  Deployment: {
    columns: [NAME, col("Ready"), col("Up-to-date", "integer"), col("Available", "integer"), AGE, ...WORKLOAD_WIDE],
    cells: (o, now) => {
      const [c, i] = containersAndImages(o.spec);
      return [o.metadata.name, `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, o.status?.updatedReplicas ?? 0, o.status?.availableReplicas ?? 0, age(o as KubeObject, now), c, i, labelSelectorString(o.spec?.selector)];
    },
  },
  ReplicaSet: {
    columns: [NAME, col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), AGE, ...WORKLOAD_WIDE],
    cells: (o, now) => {
      const [c, i] = containersAndImages(o.spec);
      return [o.metadata.name, o.spec?.replicas ?? 1, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0, age(o as KubeObject, now), c, i, labelSelectorString(o.spec?.selector)];
    },
  },
  StatefulSet: {
    columns: [NAME, col("Ready"), AGE, col("Containers", "string", 1), col("Images", "string", 1)],
    cells: (o, now) => {
      const [c, i] = containersAndImages(o.spec);
      return [o.metadata.name, `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, age(o as KubeObject, now), c, i];
    },
  },
  DaemonSet: {
    columns: [NAME, col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), col("Up-to-date", "integer"), col("Available", "integer"), col("Node Selector"), AGE, ...WORKLOAD_WIDE],
    cells: (o, now) => {
      const [c, i] = containersAndImages(o.spec);
      const s = o.status ?? {};
      return [o.metadata.name, s.desiredNumberScheduled ?? 0, s.currentNumberScheduled ?? 0, s.numberReady ?? 0, s.updatedNumberScheduled ?? 0, s.numberAvailable ?? 0, selectorString(o.spec?.template?.spec?.nodeSelector), age(o as KubeObject, now), c, i, labelSelectorString(o.spec?.selector)];
    },
  },
  Ingress: {
    columns: [NAME, col("Class"), col("Hosts"), col("Address"), col("Ports"), AGE],
    cells: (o, now) => {
      const hosts = ((o.spec?.rules ?? []) as Any[]).map((r) => r.host).filter(Boolean);
      const addr = ((o.status?.loadBalancer?.ingress ?? []) as Any[]).map((i) => i.ip ?? i.hostname).filter(Boolean);
      return [o.metadata.name, o.spec?.ingressClassName ?? "<none>", hosts.length ? hosts.join(",") : "*", addr.join(","), (o.spec?.tls ?? []).length ? "80, 443" : "80", age(o as KubeObject, now)];
    },
  },
  IngressClass: {
    columns: [NAME, col("Controller"), col("Parameters"), AGE],
    cells: (o, now) => {
      const p = o.spec?.parameters;
      return [o.metadata.name, o.spec?.controller ?? "", p ? `${p.kind}.${p.apiGroup ?? ""}/${p.name}`.replace("./", "/") : "<none>", age(o as KubeObject, now)];
    },
  },
  NetworkPolicy: { columns: [NAME, col("Pod-Selector"), AGE], cells: (o, now) => [o.metadata.name, labelSelectorString(o.spec?.podSelector).replace("<none>", ""), age(o as KubeObject, now)] },
  Event: {
    columns: [col("Last Seen"), col("Type"), col("Reason"), col("Object"), col("Message")],
    cells: (o, now) => {
      const last = o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
      const io = o.involvedObject ?? {};
      return [last ? humanDuration(now - Date.parse(last)) : "<unknown>", o.type ?? "", o.reason ?? "", `${String(io.kind ?? "").toLowerCase()}/${io.name ?? ""}`, o.message ?? ""];
    },
  },
};

const DEFAULT_PRINTER: Printer = { columns: [NAME, AGE], cells: (o, now) => [o.metadata.name, age(o as KubeObject, now)] };

function rowObject(o: KubeObject, includeObject: string | null): unknown {
  if (includeObject === "None") return undefined;
  if (includeObject === "Object") return o;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata };
}

export function toTable(t: ResourceType, items: KubeObject[], resourceVersion: string, includeObject: string | null = null, now = Date.now()): unknown {
  const p = PRINTERS[t.kind] ?? DEFAULT_PRINTER;
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: p.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? "", description: c.description, priority: c.priority ?? 0 })),
    rows: items.map((o) => {
      let cells: (string | number)[];
      try {
        cells = p.cells(o as Any, now);
      } catch {
        cells = DEFAULT_PRINTER.cells(o as Any, now);
      }
      const row: Record<string, unknown> = { cells };
      const obj = rowObject(o, includeObject);
      if (obj) row.object = obj;
      return row;
    }),
  };
}

/** The object of a watch event when kubectl watches with `as=Table`: a one-row Table without column definitions. */
export function watchEventTable(t: ResourceType, o: KubeObject): KubeObject {
  const tab = toTable(t, [o], o.metadata.resourceVersion ?? "") as Record<string, unknown>;
  return tab as unknown as KubeObject;
}
