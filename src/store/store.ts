// The storage interface the registry writes through. SQLite implements it today
// (sqlite-store.ts); an etcd backend can implement the same contract later without the
// registry, controllers or API server noticing.
import type { KubeObject, WatchEvent } from "../api/types.js";

/** Predicate over objects; built by the caller from label/field selectors. */
export type ObjectFilter = (obj: KubeObject) => boolean;

export interface StoreListOptions {
  /** Omitted: every namespace. "" addresses cluster-scoped objects. */
  namespace?: string;
  filter?: ObjectFilter;
}

export interface StoreList {
  items: KubeObject[];
  /** The store's resourceVersion when the list was read. */
  resourceVersion: string;
}

export interface StoreWatchOptions extends StoreListOptions {
  /**
   * Replay events after this resourceVersion, then follow. Omitted or "0": current objects
   * arrive first as ADDED. Too old (no longer in the event history): one ERROR event with a
   * 410 Expired Status, then the watch ends.
   */
  resourceVersion?: string;
}

export interface StoreWatch {
  stop(): void;
}

export interface StoreUpdateOptions {
  /** Keep generation as is even when spec changed (status writes never bump it anyway). */
  keepGeneration?: boolean;
}

export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

/**
 * Object storage with Kubernetes semantics: a global, monotonically increasing
 * resourceVersion; uid, creationTimestamp and generation assigned here; optimistic
 * concurrency; watch with replay. A write is durable once sync() resolves.
 * Errors are StatusErrors (AlreadyExists, NotFound, Conflict, Expired).
 */
export interface Store {
  /** Stores a new object (metadata.name set); fills uid, creationTimestamp, generation, resourceVersion. */
  create(obj: KubeObject): KubeObject;
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
  list(kind: string, opts?: StoreListOptions): StoreList;
  /** Serialized objects as stored, for callers that only forward JSON (the REST list fast path). */
  listRaw(kind: string, opts?: { namespace?: string }): { items: string[]; resourceVersion: string };
  /**
   * Replaces an object. When obj.metadata.resourceVersion is set it must equal the stored one
   * (else Conflict). uid and creationTimestamp are kept; generation is bumped when anything
   * outside metadata and status changed.
   */
  update(obj: KubeObject, opts?: StoreUpdateOptions): KubeObject;
  delete(kind: string, namespace: string, name: string, pre?: DeletePreconditions): KubeObject;
  watch(kind: string, opts: StoreWatchOptions, handler: (ev: WatchEvent) => void): StoreWatch;
  /** The resourceVersion of the latest write. */
  currentResourceVersion(): string;
  /**
   * Resolves when every write made so far is durable (writes are group-committed: a write
   * returns at once, is visible to reads at once, and reaches disk and watchers shortly
   * after). Acknowledge a write to anyone outside only after this resolves.
   */
  sync(): Promise<void>;
  close(): void;
}
