// Helpers the workload controllers share: owner references and Pods made from a template,
// as upstream's controller.GetPodFromTemplate builds them.
import type { KubeObject, LabelSelector, OwnerReference, Pod, PodTemplateSpec } from "../api/types.js";
import { naturalCompare } from "./pod-util.js";
import { selectorMatches } from "./selector.js";

export function controllerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? "", uid: owner.metadata.uid ?? "", controller: true, blockOwnerDeletion: true };
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((o) => o.controller);
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(obj);
  return !!ref && !!owner.metadata.uid && ref.uid === owner.metadata.uid;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function podFromTemplate(
  template: PodTemplateSpec,
  owner: KubeObject,
  name: string,
  generateName: string | undefined,
  extraLabels: Record<string, string> = {},
): Pod {
  const labels = { ...(template.metadata?.labels ?? {}), ...extraLabels };
  const metadata: Pod["metadata"] = { name, namespace: owner.metadata.namespace ?? "default", labels };
  if (generateName) metadata.generateName = generateName;
  if (template.metadata?.annotations && Object.keys(template.metadata.annotations).length) metadata.annotations = { ...template.metadata.annotations };
  if (template.metadata?.finalizers?.length) metadata.finalizers = [...template.metadata.finalizers];
  metadata.ownerReferences = [controllerRef(owner)];
  return { apiVersion: "v1", kind: "Pod", metadata, spec: clone(template.spec) };
}

/** upstream's intstr.GetScaledValueFromIntOrPercent: "25%" of total, rounded up or down. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean, dflt: number | string): number {
  const x = v ?? dflt;
  if (typeof x === "number") return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) {
    const n = Number(x);
    return Number.isInteger(n) ? n : 0;
  }
  const raw = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

export function byName(a: KubeObject, b: KubeObject): number {
  return naturalCompare(a.metadata.name ?? "", b.metadata.name ?? "");
}

/** Creation order: timestamp, then name (offline runs share one timestamp). */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return byName(a, b);
}

export interface Claim<T extends KubeObject> {
  /** Controlled by the owner and still selected. */
  owned: T[];
  /** Orphans the selector matches: to get the owner's controller reference. */
  adopt: T[];
  /** Controlled by the owner but no longer selected: to lose the reference. */
  release: T[];
}

/**
 * upstream ControllerRefManager: an owner adopts matching orphans and releases dependents
 * its selector no longer matches. Objects being deleted are neither adopted nor released;
 * a deleted owner adopts nothing.
 */
export function claim<T extends KubeObject>(owner: KubeObject, selector: LabelSelector, candidates: T[]): Claim<T> {
  const out: Claim<T> = { owned: [], adopt: [], release: [] };
  const ns = owner.metadata.namespace ?? "default";
  for (const o of candidates) {
    if ((o.metadata.namespace ?? "default") !== ns) continue;
    const ref = controllerOf(o);
    const matches = selectorMatches(selector, o.metadata.labels);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches || o.metadata.deletionTimestamp) out.owned.push(o);
      else out.release.push(o);
    } else if (matches && !o.metadata.deletionTimestamp && !owner.metadata.deletionTimestamp) {
      out.adopt.push(o);
    }
  }
  return out;
}

/** `obj` with the owner's controller reference added. */
export function adopted<T extends KubeObject>(obj: T, owner: KubeObject): T {
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: [...(obj.metadata.ownerReferences ?? []), controllerRef(owner)] } };
}

/** `obj` without the owner's reference. */
export function released<T extends KubeObject>(obj: T, owner: KubeObject): T {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
  const metadata = { ...obj.metadata, ownerReferences: refs };
  if (refs.length === 0) delete (metadata as { ownerReferences?: unknown }).ownerReferences;
  return { ...obj, metadata };
}
