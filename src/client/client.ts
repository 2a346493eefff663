// The one interface every component uses to talk to the API. The in-process client (the
// registry inside the daemon) and the HTTPS client implement it identically, so a controller,
// agent or proxy can run inside the daemon or against any Kubernetes API server.
import type { KubeList, KubeObject, WatchEvent } from "../api/types.js";

export interface ObjectKey {
  /** Upstream kind, e.g. "Service" (see api/resources.ts). */
  kind: string;
  namespace?: string;
  name: string;
}

export interface ListOptions {
  namespace?: string; // omitted: all namespaces
  labelSelector?: string; // upstream syntax: "a=b,c!=d,e in (f,g),!h"
  fieldSelector?: string; // "metadata.name=x,spec.nodeName=n"
}

export interface WatchOptions extends ListOptions {
  /** Start after this resourceVersion; omitted: the current state arrives first as ADDED events. */
  resourceVersion?: string;
  /** Send BOOKMARK events carrying the current resourceVersion. */
  allowWatchBookmarks?: boolean;
}

export interface WriteOptions {
  /** dryRun=All: validate, default and allocate, but store nothing. */
  dryRun?: boolean;
  fieldManager?: string;
}

export interface DeleteOptions extends WriteOptions {
  /** Precondition: only delete this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
  /** "Background" (default) | "Foreground" | "Orphan": what happens to dependents. */
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  /** Pods: seconds the kubelet has to stop the containers (default the Pod's terminationGracePeriodSeconds); 0 deletes at once. */
  gracePeriodSeconds?: number;
}

export interface Watch {
  /** Stops the watch; no event is delivered after it returns. */
  stop(): void;
  /** Resolves when the watch ends (stopped, server closed it, or an error such as Expired). */
  done: Promise<void>;
}

export type WatchHandler = (event: WatchEvent) => void;

export interface Client {
  create<T extends KubeObject>(obj: T, opts?: WriteOptions): Promise<T>;
  get<T extends KubeObject>(key: ObjectKey): Promise<T>;
  list<T extends KubeObject>(kind: string, opts?: ListOptions): Promise<KubeList<T>>;
  /** Replaces the object; metadata.resourceVersion, when set, must match (else Conflict). Status is ignored for kinds with a status subresource. */
  update<T extends KubeObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /** Writes only .status (the /status subresource). */
  updateStatus<T extends KubeObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /** JSON merge patch (RFC 7386). */
  patch<T extends KubeObject>(key: ObjectKey, mergePatch: unknown, opts?: WriteOptions & { subresource?: "status" }): Promise<T>;
  delete<T extends KubeObject>(key: ObjectKey, opts?: DeleteOptions): Promise<T>;
  /** Events arrive in resourceVersion order. An ERROR event carries a Status (e.g. 410 Expired). */
  watch(kind: string, opts: WatchOptions, handler: WatchHandler): Watch;
}
