// validateObject: the API server's validation for every kind kube-netlab serves, dispatched
// by kind (the rules live in validation/<area>.ts). Call it on a defaulted object
// (applyDefaults), as the API server validates after defaulting; pass `old` for an update.
import type {
  ConfigMap,
  DaemonSet,
  Deployment,
  EndpointSlice,
  Endpoints,
  Event,
  Ingress,
  IngressClass,
  KubeObject,
  Namespace,
  NetworkPolicy,
  Node,
  Pod,
  ReplicaSet,
  Secret,
  Service,
  StatefulSet,
} from "./types.js";
import { OMIT_VALUE, type FieldError } from "./field-errors.js";
import { typeErrors } from "./schema.js";
import { resourceForKind } from "./resources.js";
import { validateService, validateServiceUpdate } from "./validation/service.js";
import { validatePod, validatePodUpdate } from "./validation/pod.js";
import { validateDaemonSet, validateDeployment, validateReplicaSet, validateStatefulSet, validateWorkloadUpdate } from "./validation/apps.js";
import { validateIngress, validateIngressClass, validateNetworkPolicy } from "./validation/networking.js";
import {
  validateConfigMap,
  validateEndpointSlice,
  validateEndpoints,
  validateEvent,
  validateGeneric,
  validateNamespace,
  validateNode,
  validateSecret,
} from "./validation/core.js";
import { validateObjectMetaUpdate } from "./validation/meta.js";

/**
 * Field errors of `obj` (an update when `old` is given). JSON type mismatches (which the API
 * server refuses while decoding) come back as FieldValueTypeInvalid errors before any rule
 * runs, so the rules only ever see well-typed objects; nothing here throws.
 */
export function validateObject(obj: KubeObject, old?: KubeObject): FieldError[] {
  if (!obj || typeof obj !== "object") return [{ type: "FieldValueRequired", field: "", detail: "an object is required" }];
  const types = typeErrors(obj, obj.apiVersion, obj.kind);
  if (types.length) return types.map((t) => ({ type: "FieldValueTypeInvalid" as const, field: t.field, value: OMIT_VALUE, detail: t.message }));
  try {
    return validateByKind(obj, old);
  } catch (e) {
    // A shape no rule expected (a bug of ours): report it instead of crashing the caller.
    return [{ type: "InternalError", field: "", detail: (e as Error).message }];
  }
}

function validateByKind(obj: KubeObject, old?: KubeObject): FieldError[] {
  switch (obj.kind) {
    case "Service":
      return old ? validateServiceUpdate(obj as Service, old as Service) : validateService(obj as Service);
    case "Pod":
      return old ? validatePodUpdate(obj as Pod, old as Pod) : validatePod(obj as Pod);
    case "Deployment":
      return old ? validateWorkloadUpdate(obj as Deployment, old as Deployment, validateDeployment) : validateDeployment(obj as Deployment);
    case "ReplicaSet":
      return old ? validateWorkloadUpdate(obj as ReplicaSet, old as ReplicaSet, validateReplicaSet) : validateReplicaSet(obj as ReplicaSet);
    case "StatefulSet":
      return old ? validateWorkloadUpdate(obj as StatefulSet, old as StatefulSet, validateStatefulSet) : validateStatefulSet(obj as StatefulSet);
    case "DaemonSet":
      return old ? validateWorkloadUpdate(obj as DaemonSet, old as DaemonSet, validateDaemonSet) : validateDaemonSet(obj as DaemonSet);
  }
  const errs = old ? validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata ?? {}) : [];
  switch (obj.kind) {
    case "Ingress":
      return [...errs, ...validateIngress(obj as Ingress, !old)];
    case "IngressClass":
      return [...errs, ...validateIngressClass(obj as IngressClass, old as IngressClass | undefined)];
    case "NetworkPolicy":
      return [...errs, ...validateNetworkPolicy(obj as NetworkPolicy)];
    case "Namespace":
      return [...errs, ...validateNamespace(obj as Namespace)];
    case "Node":
      return [...errs, ...validateNode(obj as Node)];
    case "ConfigMap":
      return [...errs, ...validateConfigMap(obj as ConfigMap)];
    case "Secret":
      return [...errs, ...validateSecret(obj as Secret)];
    case "Event":
      return [...errs, ...validateEvent(obj as Event)];
    case "Endpoints":
      return [...errs, ...validateEndpoints(obj as Endpoints)];
    case "EndpointSlice": {
      const more: FieldError[] = [];
      if (old && (old as EndpointSlice).addressType !== (obj as EndpointSlice).addressType) {
        more.push({ type: "FieldValueInvalid", field: "addressType", value: (obj as EndpointSlice).addressType, detail: "field is immutable" });
      }
      return [...errs, ...more, ...validateEndpointSlice(obj as EndpointSlice)];
    }
  }
  return [...errs, ...validateGeneric(obj, resourceForKind(obj.kind)?.namespaced ?? true)];
}
