// Which Ingresses this controller serves. An Ingress names its class by spec.ingressClassName
// or (deprecated, still common) the kubernetes.io/ingress.class annotation; one with neither
// belongs to the cluster's default IngressClass, as upstream's DefaultIngressClass admission
// plugin would have assigned it.
import type { Ingress, IngressClass } from "../api/types.js";

/** spec.controller of the IngressClasses we implement. */
export const CONTROLLER_NAME = "netlab.dev/ingress-nginx";
/** The class name the seed's Ingresses use (as ingress-nginx's --ingress-class default). */
export const DEFAULT_CLASS_NAME = "nginx";
export const INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class";
export const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";

export interface ClassConfig {
  /** Our controller value in IngressClass.spec.controller. */
  controller: string;
  /** Our own class name: served even when no IngressClass object of that name exists (offline render). */
  className: string;
}

export const DEFAULT_CLASS_CONFIG: Readonly<ClassConfig> = { controller: CONTROLLER_NAME, className: DEFAULT_CLASS_NAME };

export type ClassSource = "spec" | "annotation" | "default" | "none";

export interface ClassDecision {
  served: boolean;
  /** The class the Ingress belongs to ("" when it has none and there is no single default). */
  className: string;
  source: ClassSource;
  reason: string;
}

/**
 * The default IngressClass: the one annotated is-default-class "true". With more than one,
 * upstream's admission refuses classless Ingresses, so there is no default at all.
 */
export function defaultIngressClass(classes: readonly IngressClass[]): IngressClass | undefined {
  const defaults = classes.filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true");
  return defaults.length === 1 ? defaults[0] : undefined;
}

function ours(name: string, classes: readonly IngressClass[], cfg: ClassConfig): { served: boolean; reason: string } {
  const cls = classes.find((c) => c.metadata.name === name);
  if (cls) {
    const served = cls.spec?.controller === cfg.controller;
    return { served, reason: served ? `IngressClass "${name}" names controller ${cfg.controller}` : `IngressClass "${name}" belongs to controller ${cls.spec?.controller ?? "(none)"}` };
  }
  const served = name === cfg.className;
  return { served, reason: served ? `class "${name}" is this controller's class` : `no IngressClass "${name}"` };
}

export function classifyIngress(ing: Ingress, classes: readonly IngressClass[], cfg: ClassConfig = DEFAULT_CLASS_CONFIG): ClassDecision {
  const specName = ing.spec?.ingressClassName;
  if (specName) return { className: specName, source: "spec", ...ours(specName, classes, cfg) };
  const ann = ing.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (ann !== undefined && ann !== "") return { className: ann, source: "annotation", ...ours(ann, classes, cfg) };
  const def = defaultIngressClass(classes);
  if (!def) return { served: false, className: "", source: "none", reason: "no class and no single default IngressClass" };
  const served = def.spec?.controller === cfg.controller;
  return {
    served,
    className: def.metadata.name ?? "",
    source: "default",
    reason: served ? `default IngressClass "${def.metadata.name}" is ours` : `default IngressClass "${def.metadata.name}" belongs to another controller`,
  };
}

export function servedIngresses(ingresses: readonly Ingress[], classes: readonly IngressClass[], cfg: ClassConfig = DEFAULT_CLASS_CONFIG): Ingress[] {
  return ingresses.filter((i) => classifyIngress(i, classes, cfg).served);
}

/** The IngressClass object the lab creates for this controller. */
export function ourIngressClass(cfg: ClassConfig = DEFAULT_CLASS_CONFIG, isDefault = false): IngressClass {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: cfg.className, ...(isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } } : {}) },
    spec: { controller: cfg.controller },
  };
}
