// apps/v1 workloads (pkg/apis/apps/validation): selector required and matching the template
// labels, replicas non-negative, the template validated as a Pod spec under spec.template.
import type { DaemonSet, Deployment, IntOrString, LabelSelector, PodTemplateSpec, ReplicaSet, StatefulSet } from "../types.js";
import { GoValue, goStringMap, invalid, notSupported, required, forbidden, type FieldError } from "../field-errors.js";
import { labelSelectorAsSelector, matchesSelector, validateLabelSelector } from "../labels.js";
import { isValidPercent } from "./percent.js";
import { nameIsDNSSubdomain, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from "./meta.js";
import { validatePodTemplateSpec } from "./pod.js";

/**
 * A *metav1.LabelSelector as upstream's error text shows it: the pointer implements
 * fmt.Stringer (generated protobuf String()), so apimachinery prints that form.
 */
function goLabelSelector(sel: LabelSelector): GoValue {
  const ml = Object.keys(sel.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${sel.matchLabels![k]},`)
    .join("");
  const me = (sel.matchExpressions ?? [])
    .map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(" ")}],},`)
    .join("");
  return new GoValue(`&LabelSelector{MatchLabels:map[string]string{${ml}},MatchExpressions:[]LabelSelectorRequirement{${me}},}`);
}

type WorkloadKind = "deployment" | "replicaset" | "statefulset" | "daemonset";

/**
 * Selector + template checks shared by the workloads, with each kind's upstream quirks:
 * ReplicaSet reuses the Deployment wording, StatefulSet reports an unparsable selector with
 * no detail, and DaemonSet does not require a selector (a missing one matches no labels).
 */
function validateSelectorAndTemplate(selector: LabelSelector | undefined, template: PodTemplateSpec | undefined, kind: WorkloadKind): FieldError[] {
  const errs: FieldError[] = [];
  const present = selector !== undefined && selector !== null && typeof selector === "object";
  if (!present) {
    if (kind !== "daemonset") errs.push(required("spec.selector", ""));
  } else {
    errs.push(...validateLabelSelector(selector, "spec.selector"));
    if (kind !== "daemonset" && Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
      const word = kind === "replicaset" ? "deployment" : kind;
      errs.push(invalid("spec.selector", goLabelSelector(selector), `empty selector is invalid for ${word}`));
    }
  }
  let sel: ReturnType<typeof labelSelectorAsSelector> | undefined;
  try {
    sel = labelSelectorAsSelector(selector);
  } catch {
    sel = undefined;
  }
  if (sel === undefined && kind !== "daemonset") {
    errs.push(invalid("spec.selector", goLabelSelector(selector ?? {}), kind === "statefulset" ? "" : "invalid label selector"));
    if (kind !== "statefulset") return errs;
  }
  if (!template || typeof template !== "object") {
    errs.push(required("spec.template", ""));
    return errs;
  }
  const labels = template.metadata?.labels;
  // A nil selector matches nothing (DaemonSet); an empty one restricts nothing.
  const mismatch = sel === null ? kind === "daemonset" : sel !== undefined && sel.length > 0 && !matchesSelector(sel, labels);
  if (mismatch) errs.push(invalid("spec.template.metadata.labels", goStringMap(labels), "`selector` does not match template `labels`"));
  if (kind === "daemonset" && present && Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
    errs.push(invalid("spec.selector", goLabelSelector(selector), "empty selector is invalid for daemonset"));
  }
  errs.push(...validatePodTemplateSpec(template, "spec.template"));
  const rp = template.spec?.restartPolicy;
  if (rp && rp !== "Always") errs.push(notSupported("spec.template.spec.restartPolicy", rp, ["Always"]));
  return errs;
}

function intOrPercent(v: IntOrString | undefined, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") {
    // IntOrString prints through its String() method: unquoted.
    return isValidPercent(v).map((m) => invalid(path, new GoValue(v), m));
  }
  return validateNonnegative(v, path);
}

function percentOrInt(v: IntOrString | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

export function validateDeployment(d: Deployment): FieldError[] {
  const errs = validateObjectMeta(d.metadata, true, nameIsDNSSubdomain);
  const s = d.spec;
  if (!s || typeof s !== "object") return [...errs, required("spec.selector", ""), required("spec.template", "")];
  errs.push(...validateNonnegative(s.replicas, "spec.replicas"));
  errs.push(...validateSelectorAndTemplate(s.selector, s.template, "deployment"));
  const st = s.strategy;
  if (st) {
    if (st.type === "Recreate") {
      if (st.rollingUpdate) errs.push(forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
    } else if (st.type === "RollingUpdate") {
      const ru = st.rollingUpdate;
      if (!ru) errs.push(required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil"));
      else {
        errs.push(...intOrPercent(ru.maxUnavailable, "spec.strategy.rollingUpdate.maxUnavailable"));
        errs.push(...intOrPercent(ru.maxSurge, "spec.strategy.rollingUpdate.maxSurge"));
        const mu = percentOrInt(ru.maxUnavailable);
        const ms = percentOrInt(ru.maxSurge);
        if (mu === 0 && ms === 0) errs.push(invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
        if (typeof ru.maxUnavailable === "string" && mu !== undefined && mu > 100) {
          errs.push(invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable, "must not be greater than 100%"));
        }
      }
    } else if (st.type) {
      errs.push(notSupported("spec.strategy.type", st.type, ["Recreate", "RollingUpdate"]));
    }
  }
  errs.push(...validateNonnegative(s.minReadySeconds, "spec.minReadySeconds"));
  errs.push(...validateNonnegative(s.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  if (s.progressDeadlineSeconds !== undefined) {
    errs.push(...validateNonnegative(s.progressDeadlineSeconds, "spec.progressDeadlineSeconds"));
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
      errs.push(invalid("spec.progressDeadlineSeconds", s.progressDeadlineSeconds, "must be greater than minReadySeconds"));
    }
  }
  return errs;
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const errs = validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain);
  const s = rs.spec;
  if (!s || typeof s !== "object") return [...errs, required("spec.selector", ""), required("spec.template", "")];
  errs.push(...validateNonnegative(s.replicas, "spec.replicas"));
  errs.push(...validateNonnegative(s.minReadySeconds, "spec.minReadySeconds"));
  // Upstream reuses the Deployment wording here.
  errs.push(...validateSelectorAndTemplate(s.selector, s.template, "deployment"));
  return errs;
}

export function validateStatefulSet(ss: StatefulSet): FieldError[] {
  const errs = validateObjectMeta(ss.metadata, true, nameIsDNSSubdomain);
  const s = ss.spec;
  if (!s || typeof s !== "object") return [...errs, required("spec.selector", ""), required("spec.template", "")];
  if (s.podManagementPolicy && s.podManagementPolicy !== "OrderedReady" && s.podManagementPolicy !== "Parallel") {
    errs.push(invalid("spec.podManagementPolicy", s.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  } else if (!s.podManagementPolicy) {
    errs.push(required("spec.podManagementPolicy", ""));
  }
  const us = s.updateStrategy;
  if (us?.type === "OnDelete") {
    if (us.rollingUpdate) errs.push(invalid("spec.updateStrategy.rollingUpdate", "OnDelete", "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (us?.type === "RollingUpdate") {
    if (us.rollingUpdate) errs.push(...validateNonnegative(us.rollingUpdate.partition, "spec.updateStrategy.rollingUpdate.partition"));
  } else if (us?.type) {
    errs.push(invalid("spec.updateStrategy", us.type, "must be 'RollingUpdate' or 'OnDelete'"));
  } else {
    errs.push(required("spec.updateStrategy", ""));
  }
  errs.push(...validateNonnegative(s.replicas, "spec.replicas"));
  errs.push(...validateSelectorAndTemplate(s.selector, s.template, "statefulset"));
  if (s.serviceName) {
    // Pods are named `<name>-<ordinal>` under the governing service's domain.
    for (const m of nameIsDNSSubdomain(s.serviceName, false)) errs.push(invalid("spec.serviceName", s.serviceName, m));
  }
  return errs;
}

export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const errs = validateObjectMeta(ds.metadata, true, nameIsDNSSubdomain);
  const s = ds.spec;
  if (!s || typeof s !== "object") return [...errs, required("spec.selector", ""), required("spec.template", "")];
  errs.push(...validateSelectorAndTemplate(s.selector, s.template, "daemonset"));
  const us = s.updateStrategy;
  if (us?.type === "RollingUpdate" && us.rollingUpdate) {
    errs.push(...intOrPercent(us.rollingUpdate.maxUnavailable, "spec.updateStrategy.rollingUpdate.maxUnavailable"));
    errs.push(...intOrPercent(us.rollingUpdate.maxSurge, "spec.updateStrategy.rollingUpdate.maxSurge"));
  } else if (us?.type && us.type !== "OnDelete" && us.type !== "RollingUpdate") {
    errs.push(notSupported("spec.updateStrategy.type", us.type, ["OnDelete", "RollingUpdate"]));
  }
  return errs;
}

/**
 * Update rules: the selector of a Deployment, ReplicaSet or DaemonSet is immutable in apps/v1;
 * a StatefulSet may only change replicas, ordinals, template, updateStrategy,
 * persistentVolumeClaimRetentionPolicy and minReadySeconds.
 */
export function validateWorkloadUpdate<T extends Deployment | ReplicaSet | StatefulSet | DaemonSet>(obj: T, old: T, validate: (o: T) => FieldError[]): FieldError[] {
  const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
  if (obj.kind === "StatefulSet") {
    const strip = (x: StatefulSet) => {
      const spec = { ...((x.spec ?? {}) as unknown as Record<string, unknown>) };
      for (const k of ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"]) delete spec[k];
      return canonical(spec);
    };
    if (strip(obj as StatefulSet) !== strip(old as StatefulSet)) {
      errs.push(
        forbidden(
          "spec",
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  } else if (canonical(labelSelectorAsSelectorSafe(obj.spec?.selector)) !== canonical(labelSelectorAsSelectorSafe(old.spec?.selector))) {
    errs.push(invalid("spec.selector", goLabelSelector(obj.spec?.selector ?? {}), "field is immutable"));
  }
  return [...errs, ...validate(obj)];
}

/** JSON with sorted keys, so that key order does not count as a change. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));
}

function labelSelectorAsSelectorSafe(sel: LabelSelector | undefined) {
  try {
    return labelSelectorAsSelector(sel);
  } catch {
    return "invalid";
  }
}
