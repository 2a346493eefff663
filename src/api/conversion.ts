// Conversion of the Ingress versions that came before networking.k8s.io/v1 (extensions/v1beta1
// and networking.k8s.io/v1beta1) to v1, as the API server converts them on the way in:
// serviceName/servicePort -> service.name + port.number|name, backend -> defaultBackend, and a
// pathType left empty gets v1beta1's default ImplementationSpecific.
import type { IngressBackend, KubeObject } from "./types.js";
import { CONVERTED_VERSIONS } from "./resources.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function convertBackend(b: unknown): IngressBackend | unknown {
  if (!isObj(b)) return b;
  const out: Obj = {};
  for (const [k, v] of Object.entries(b)) if (k !== "serviceName" && k !== "servicePort") out[k] = v;
  if (b.serviceName !== undefined || b.servicePort !== undefined) {
    const port: Obj = {};
    const sp = b.servicePort;
    // IntOrString: a string is a port name, a number a port number.
    if (typeof sp === "number") port.number = sp;
    else if (typeof sp === "string") port.name = sp;
    out.service = { name: b.serviceName ?? "", port };
  }
  return out;
}

/** True when `apiVersion/kind` is an older version that converts to a served one. */
export function isConvertedVersion(apiVersion: string, kind: string): boolean {
  return `${apiVersion}/${kind}` in CONVERTED_VERSIONS;
}

/** Converts an object in a convertible older version; returns other objects unchanged. */
export function convertToServedVersion(o: KubeObject): KubeObject {
  const target = CONVERTED_VERSIONS[`${o.apiVersion}/${o.kind}`];
  if (!target) return o;
  if (o.kind === "Ingress") return convertIngressV1beta1(o, target);
  return { ...o, apiVersion: target };
}

function convertIngressV1beta1(o: KubeObject, apiVersion: string): KubeObject {
  const copy = structuredClone(o) as KubeObject;
  copy.apiVersion = apiVersion;
  const spec = copy.spec;
  if (!isObj(spec)) return copy;
  const newSpec: Obj = {};
  for (const [k, v] of Object.entries(spec)) {
    if (k === "backend") newSpec.defaultBackend = convertBackend(v);
    else newSpec[k] = v;
  }
  if (Array.isArray(newSpec.rules)) {
    for (const rule of newSpec.rules) {
      if (!isObj(rule) || !isObj(rule.http) || !Array.isArray(rule.http.paths)) continue;
      rule.http.paths = rule.http.paths.map((p: unknown) => {
        if (!isObj(p)) return p;
        const np: Obj = { ...p, backend: convertBackend(p.backend) };
        if (np.pathType === undefined || np.pathType === null || np.pathType === "") np.pathType = "ImplementationSpecific";
        return np;
      });
    }
  }
  copy.spec = newSpec;
  return copy;
}
