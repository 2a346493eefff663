// Decoding the Kubernetes protobuf request bodies that kubectl 1.32+ sends for its built-in
// generators (`kubectl create configmap|secret|namespace|deployment|service ...`): the
// `k8s\0` envelope (runtime.Unknown) and, for the kinds those commands make, the fields they
// set, by upstream's generated.proto field numbers (pure). Fields not listed are dropped;
// other kinds are refused with 415, and the client must send JSON.

type FieldType = "string" | "int" | "bool" | "bytes" | "intOrString" | "time" | "quantity" | "mapStringString" | "mapStringBytes" | "mapStringQuantity" | { msg: string };
interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** A Go pointer field: its zero value is meaningful (replicas: 0), so it is kept. */
  pointer?: boolean;
}
type Schema = Record<number, Field>;

const f = (name: string, type: FieldType, repeated = false): Field => ({ name, type, repeated });
const ptr = (name: string, type: FieldType): Field => ({ name, type, pointer: true });
const m = (msg: string) => ({ msg });

const SCHEMAS: Record<string, Schema> = {
  ObjectMeta: {
    1: f("name", "string"),
    2: f("generateName", "string"),
    3: f("namespace", "string"),
    5: f("uid", "string"),
    6: f("resourceVersion", "string"),
    7: f("generation", "int"),
    8: f("creationTimestamp", "time"),
    11: f("labels", "mapStringString"),
    12: f("annotations", "mapStringString"),
    13: f("ownerReferences", m("OwnerReference"), true),
    14: f("finalizers", "string", true),
  },
  OwnerReference: { 1: f("kind", "string"), 3: f("name", "string"), 4: f("uid", "string"), 5: f("apiVersion", "string"), 6: ptr("controller", "bool"), 7: ptr("blockOwnerDeletion", "bool") },
  ConfigMap: { 1: f("metadata", m("ObjectMeta")), 2: f("data", "mapStringString"), 3: f("binaryData", "mapStringBytes"), 4: ptr("immutable", "bool") },
  Secret: { 1: f("metadata", m("ObjectMeta")), 2: f("data", "mapStringBytes"), 3: f("type", "string"), 4: f("stringData", "mapStringString"), 5: ptr("immutable", "bool") },
  Namespace: { 1: f("metadata", m("ObjectMeta")), 2: f("spec", m("NamespaceSpec")) },
  NamespaceSpec: { 1: f("finalizers", "string", true) },
  Deployment: { 1: f("metadata", m("ObjectMeta")), 2: f("spec", m("DeploymentSpec")) },
  DeploymentSpec: {
    1: ptr("replicas", "int"),
    2: f("selector", m("LabelSelector")),
    3: f("template", m("PodTemplateSpec")),
    4: f("strategy", m("DeploymentStrategy")),
    5: f("minReadySeconds", "int"),
    6: ptr("revisionHistoryLimit", "int"),
    7: f("paused", "bool"),
    9: ptr("progressDeadlineSeconds", "int"),
  },
  DeploymentStrategy: { 1: f("type", "string"), 2: f("rollingUpdate", m("RollingUpdateDeployment")) },
  RollingUpdateDeployment: { 1: f("maxUnavailable", "intOrString"), 2: f("maxSurge", "intOrString") },
  LabelSelector: { 1: f("matchLabels", "mapStringString"), 2: f("matchExpressions", m("LabelSelectorRequirement"), true) },
  LabelSelectorRequirement: { 1: f("key", "string"), 2: f("operator", "string"), 3: f("values", "string", true) },
  PodTemplateSpec: { 1: f("metadata", m("ObjectMeta")), 2: f("spec", m("PodSpec")) },
  PodSpec: {
    2: f("containers", m("Container"), true),
    3: f("restartPolicy", "string"),
    4: ptr("terminationGracePeriodSeconds", "int"),
    6: f("dnsPolicy", "string"),
    7: f("nodeSelector", "mapStringString"),
    8: f("serviceAccountName", "string"),
    10: f("nodeName", "string"),
    11: f("hostNetwork", "bool"),
    16: f("hostname", "string"),
    17: f("subdomain", "string"),
    19: f("schedulerName", "string"),
    20: f("initContainers", m("Container"), true),
  },
  Container: {
    1: f("name", "string"),
    2: f("image", "string"),
    3: f("command", "string", true),
    4: f("args", "string", true),
    5: f("workingDir", "string"),
    6: f("ports", m("ContainerPort"), true),
    7: f("env", m("EnvVar"), true),
    8: f("resources", m("ResourceRequirements")),
    13: f("terminationMessagePath", "string"),
    14: f("imagePullPolicy", "string"),
    20: f("terminationMessagePolicy", "string"),
  },
  ContainerPort: { 1: f("name", "string"), 2: f("hostPort", "int"), 3: f("containerPort", "int"), 4: f("protocol", "string"), 5: f("hostIP", "string") },
  EnvVar: { 1: f("name", "string"), 2: f("value", "string") },
  ResourceRequirements: { 1: f("limits", "mapStringQuantity"), 2: f("requests", "mapStringQuantity") },
  Service: { 1: f("metadata", m("ObjectMeta")), 2: f("spec", m("ServiceSpec")) },
  ServiceSpec: {
    1: f("ports", m("ServicePort"), true),
    2: f("selector", "mapStringString"),
    3: f("clusterIP", "string"),
    4: f("type", "string"),
    5: f("externalIPs", "string", true),
    7: f("sessionAffinity", "string"),
    8: f("loadBalancerIP", "string"),
    9: f("loadBalancerSourceRanges", "string", true),
    10: f("externalName", "string"),
    11: f("externalTrafficPolicy", "string"),
    12: f("healthCheckNodePort", "int"),
    13: f("publishNotReadyAddresses", "bool"),
    17: f("ipFamilyPolicy", "string"),
    18: f("clusterIPs", "string", true),
    19: f("ipFamilies", "string", true),
    20: ptr("allocateLoadBalancerNodePorts", "bool"),
    21: f("loadBalancerClass", "string"),
    22: f("internalTrafficPolicy", "string"),
  },
  ServicePort: { 1: f("name", "string"), 2: f("protocol", "string"), 3: f("port", "int"), 4: f("targetPort", "intOrString"), 5: f("nodePort", "int"), 6: f("appProtocol", "string") },
};

/** Kinds whose protobuf bodies we can read. */
export const PROTOBUF_KINDS = new Set(["ConfigMap", "Secret", "Namespace", "Deployment", "Service"]);

export class ProtobufError extends Error {
  override name = "ProtobufError";
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufError("truncated varint");
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new ProtobufError("varint too long");
    }
  }
  bytes(): Buffer {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new ProtobufError("truncated length-delimited field");
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
}

/** Raw fields of a message: field number -> list of [wire type, value]. */
function fields(buf: Buffer): Map<number, { wire: number; v: bigint | Buffer }[]> {
  const r = new Reader(buf);
  const out = new Map<number, { wire: number; v: bigint | Buffer }[]>();
  while (!r.done) {
    const key = Number(r.varint());
    const no = key >>> 3;
    const wire = key & 7;
    let v: bigint | Buffer;
    if (wire === 0) v = r.varint();
    else if (wire === 2) v = r.bytes();
    else {
      r.skip(wire);
      continue;
    }
    const list = out.get(no) ?? [];
    list.push({ wire, v });
    out.set(no, list);
  }
  return out;
}

const str = (v: bigint | Buffer) => (Buffer.isBuffer(v) ? v.toString("utf8") : String(v));
const int = (v: bigint | Buffer) => (typeof v === "bigint" ? Number(BigInt.asIntN(64, v)) : 0);

function mapEntry(v: bigint | Buffer): [string, Buffer] {
  const e = fields(v as Buffer);
  const k = e.get(1)?.[0]?.v;
  const val = e.get(2)?.[0]?.v;
  return [k ? str(k) : "", Buffer.isBuffer(val) ? val : Buffer.alloc(0)];
}

function value(type: FieldType, v: bigint | Buffer): unknown {
  switch (type) {
    case "string":
      return str(v);
    case "int":
      return int(v);
    case "bool":
      return typeof v === "bigint" ? v !== 0n : false;
    case "bytes":
      return Buffer.isBuffer(v) ? v.toString("base64") : "";
    case "intOrString": {
      const x = fields(v as Buffer);
      const t = x.get(1)?.[0]?.v;
      if (t !== undefined && int(t) === 1) return str(x.get(3)?.[0]?.v ?? Buffer.alloc(0));
      return int(x.get(2)?.[0]?.v ?? 0n);
    }
    case "time": {
      const x = fields(v as Buffer);
      const secs = int(x.get(1)?.[0]?.v ?? 0n);
      return new Date(secs * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    }
    case "quantity":
      return str(fields(v as Buffer).get(1)?.[0]?.v ?? Buffer.alloc(0));
    default:
      if (typeof type === "object") return decodeMessage(type.msg, v as Buffer);
      return undefined;
  }
}

function decodeMessage(name: string, buf: Buffer): Record<string, unknown> {
  const schema = SCHEMAS[name];
  const out: Record<string, unknown> = {};
  for (const [no, list] of fields(buf)) {
    const fd = schema[no];
    if (!fd) continue;
    if (fd.type === "mapStringString" || fd.type === "mapStringBytes" || fd.type === "mapStringQuantity") {
      const mp: Record<string, string> = {};
      for (const { v } of list) {
        const [k, raw] = mapEntry(v);
        mp[k] = fd.type === "mapStringBytes" ? raw.toString("base64") : fd.type === "mapStringQuantity" ? str(fields(raw).get(1)?.[0]?.v ?? Buffer.alloc(0)) : raw.toString("utf8");
      }
      out[fd.name] = mp;
    } else if (fd.repeated) {
      // Packed repeated scalars do not occur in the fields listed (all strings or messages).
      out[fd.name] = list.map(({ v }) => value(fd.type, v));
    } else {
      const v = value(fd.type, list[list.length - 1].v);
      // Go marshals non-pointer zero values; JSON (omitempty) leaves them out.
      if (!fd.pointer && (v === "" || v === 0 || v === false || v === ZERO_TIME)) continue;
      out[fd.name] = v;
    }
  }
  return out;
}

const ZERO_TIME = "1970-01-01T00:00:00Z";
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a `k8s\0` protobuf body into the JSON object it stands for. Throws ProtobufError. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError("not a Kubernetes protobuf body (missing k8s\\0 magic)");
  const unknown = fields(body.subarray(4));
  const typeMeta = fields((unknown.get(1)?.[0]?.v as Buffer) ?? Buffer.alloc(0));
  const apiVersion = str(typeMeta.get(1)?.[0]?.v ?? Buffer.alloc(0));
  const kind = str(typeMeta.get(2)?.[0]?.v ?? Buffer.alloc(0));
  const raw = unknown.get(2)?.[0]?.v;
  if (!PROTOBUF_KINDS.has(kind)) throw new ProtobufError(`protobuf bodies of kind ${JSON.stringify(kind)} are not supported`);
  if (!Buffer.isBuffer(raw)) throw new ProtobufError("protobuf body without raw object");
  return { apiVersion, kind, ...decodeMessage(kind, raw) };
}
