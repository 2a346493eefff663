// The workload loops: Deployment -> ReplicaSets, ReplicaSet -> Pods, StatefulSet -> Pods,
// DaemonSet -> Pods. Each sync reads its caches, asks the pure plan what to do
// (deployment.ts, replicaset.ts, statefulset.ts, daemonset.ts) and writes the result.
import type { DaemonSet, Deployment, KubeObject, LabelSelector, Node, Pod, ReplicaSet, StatefulSet } from "../api/types.js";
import { isStatusError } from "../api/status.js";
import { canonicalJson } from "./hash.js";
import { ControllerContext, splitKey } from "./context.js";
import { objectKey, type Informer } from "./informer.js";
import { selectorMatches } from "./selector.js";
import { planDeployment, templatesEqualIgnoringHash, type DeploymentStatus } from "./deployment.js";
import { planReplicaSet } from "./replicaset.js";
import { ordinalOf, planStatefulSet } from "./statefulset.js";
import { planDaemonSet } from "./daemonset.js";
import { adopted, claim, controllerOf, released } from "./workload-util.js";

/**
 * The dependents `owner` controls after adopting matching orphans and releasing the ones its
 * selector no longer matches (both written through the API).
 */
async function claimed<T extends KubeObject>(ctx: ControllerContext, inf: Informer<T>, owner: KubeObject & { spec: { selector: LabelSelector } }, member: (o: T) => boolean = () => true): Promise<T[]> {
  const c = claim(owner, owner.spec.selector, inf.list(owner.metadata.namespace ?? "default").filter(member));
  const owned = [...c.owned];
  for (const o of c.adopt) {
    const r = await ctx.update(adopted(o, owner));
    if (r) owned.push(r);
  }
  for (const o of c.release) await ctx.update(released(o, owner));
  return owned;
}

/** Enqueues the controlling owner of `kind` when a dependent changes; for an orphan, every owner whose selector matches it. */
function enqueueOwner(q: { add(k: string): void }, kind: string, o: KubeObject, owners: { list(namespace?: string): (KubeObject & { spec: { selector: LabelSelector } })[] }): void {
  const ref = controllerOf(o);
  if (ref) {
    if (ref.kind === kind) q.add(`${o.metadata.namespace ?? "default"}/${ref.name}`);
    return;
  }
  if (o.metadata.deletionTimestamp) return;
  for (const owner of owners.list(o.metadata.namespace ?? "default")) {
    if (selectorMatches(owner.spec.selector, o.metadata.labels)) q.add(objectKey(owner));
  }
}

async function writeStatus<T extends KubeObject>(ctx: ControllerContext, obj: T, status: unknown): Promise<void> {
  if (canonicalJson(status) === canonicalJson(obj.status ?? {})) return;
  await ctx.updateStatus({ ...obj, status });
}

async function createPods(ctx: ControllerContext, owner: KubeObject, pods: Pod[]): Promise<void> {
  for (const p of pods) {
    try {
      await ctx.create(p);
      await ctx.event(owner, "Normal", "SuccessfulCreate", `Created pod: ${p.metadata.name}`, `${owner.kind.toLowerCase()}-controller`);
    } catch (e) {
      if (isStatusError(e, "AlreadyExists")) throw new Error(`pod ${p.metadata.name} already exists; retrying with a fresh view`);
      await ctx.event(owner, "Warning", "FailedCreate", `Error creating: ${e instanceof Error ? e.message : String(e)}`, `${owner.kind.toLowerCase()}-controller`);
      throw e;
    }
  }
}

async function deletePods(ctx: ControllerContext, owner: KubeObject, pods: Pod[]): Promise<void> {
  for (const p of pods) {
    await ctx.delete(p);
    await ctx.event(owner, "Normal", "SuccessfulDelete", `Deleted pod: ${p.metadata.name}`, `${owner.kind.toLowerCase()}-controller`);
  }
}

export function startReplicaSetController(ctx: ControllerContext): void {
  const rss = ctx.informers.for<ReplicaSet>("ReplicaSet");
  const pods = ctx.informers.for<Pod>("Pod");
  const q = ctx.queue("replicaset", async (key) => {
    const { namespace, name } = splitKey(key);
    const rs = rss.get(namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const plan = planReplicaSet(rs, await claimed(ctx, pods, rs), ctx.random, ctx.now());
    await createPods(ctx, rs, plan.create);
    await deletePods(ctx, rs, plan.delete);
    if (plan.create.length || plan.delete.length) {
      q.add(key); // recompute status from the new set of Pods
      return;
    }
    await writeStatus(ctx, rs, plan.status);
    if (plan.recheckAfterMs !== undefined) ctx.addAfter(q, key, plan.recheckAfterMs);
  });
  rss.on((t, rs) => t !== "delete" && q.add(objectKey(rs)));
  pods.on((_t, p) => enqueueOwner(q, "ReplicaSet", p, rss));
}

export function startDeploymentController(ctx: ControllerContext): void {
  const deployments = ctx.informers.for<Deployment>("Deployment");
  const rss = ctx.informers.for<ReplicaSet>("ReplicaSet");
  const q = ctx.queue("deployment", async (key) => {
    const { namespace, name } = splitKey(key);
    const d = deployments.get(namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const plan = planDeployment(d, await claimed(ctx, rss, d), ctx.now());
    if (plan.create) {
      try {
        await ctx.create(plan.create);
        await ctx.event(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${plan.create.metadata.name} to ${plan.create.spec.replicas ?? 1}`, "deployment-controller");
      } catch (e) {
        if (!isStatusError(e, "AlreadyExists")) throw e;
        // Hash collision: a ReplicaSet of that name with another template (upstream bumps collisionCount).
        const other = await ctx.client.get<ReplicaSet>({ kind: "ReplicaSet", namespace, name: plan.create.metadata.name ?? "" }).catch(() => undefined);
        if (other && controllerOf(other)?.uid === d.metadata.uid && templatesEqualIgnoringHash(other.spec.template, d.spec.template)) {
          rss.observe(other);
        } else {
          const st = (d.status ?? {}) as DeploymentStatus;
          await ctx.updateStatus({ ...d, status: { ...st, collisionCount: (st.collisionCount ?? 0) + 1 } });
        }
        q.add(key);
        return;
      }
    }
    for (const rs of plan.update) {
      const before = rss.get(rs.metadata.namespace, rs.metadata.name ?? "");
      const r = await ctx.update(rs);
      const from = before?.spec.replicas ?? 1;
      const to = rs.spec.replicas ?? 1;
      if (r && from !== to) await ctx.event(d, "Normal", "ScalingReplicaSet", `Scaled ${to > from ? "up" : "down"} replica set ${rs.metadata.name} to ${to} from ${from}`, "deployment-controller");
    }
    for (const rs of plan.delete) await ctx.delete(rs);
    let current = d;
    const ann = d.metadata.annotations ?? {};
    if (Object.entries(plan.annotations).some(([k, v]) => ann[k] !== v)) {
      const r = await ctx.update({ ...d, metadata: { ...d.metadata, annotations: { ...ann, ...plan.annotations } } });
      if (!r) return;
      current = r;
    }
    await writeStatus(ctx, current, plan.status);
  });
  deployments.on((t, d) => t !== "delete" && q.add(objectKey(d)));
  rss.on((_t, rs) => enqueueOwner(q, "Deployment", rs, deployments));
}

export function startStatefulSetController(ctx: ControllerContext): void {
  const sets = ctx.informers.for<StatefulSet>("StatefulSet");
  const pods = ctx.informers.for<Pod>("Pod");
  const q = ctx.queue("statefulset", async (key) => {
    const { namespace, name } = splitKey(key);
    const sts = sets.get(namespace, name);
    if (!sts || sts.metadata.deletionTimestamp) return;
    // A StatefulSet only claims Pods named as its members (upstream isMemberOf).
    const plan = planStatefulSet(sts, await claimed(ctx, pods, sts, (p) => ordinalOf(sts, p) !== undefined));
    await createPods(ctx, sts, plan.create);
    await deletePods(ctx, sts, plan.delete);
    if (plan.create.length || plan.delete.length) {
      q.add(key);
      return;
    }
    await writeStatus(ctx, sts, plan.status);
  });
  sets.on((t, s) => t !== "delete" && q.add(objectKey(s)));
  pods.on((_t, p) => enqueueOwner(q, "StatefulSet", p, sets));
}

export function startDaemonSetController(ctx: ControllerContext): void {
  const sets = ctx.informers.for<DaemonSet>("DaemonSet");
  const pods = ctx.informers.for<Pod>("Pod");
  const nodes = ctx.informers.for<Node>("Node");
  const q = ctx.queue("daemonset", async (key) => {
    const { namespace, name } = splitKey(key);
    const ds = sets.get(namespace, name);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const plan = planDaemonSet(ds, nodes.list(), await claimed(ctx, pods, ds), ctx.random);
    await createPods(ctx, ds, plan.create);
    await deletePods(ctx, ds, plan.delete);
    if (plan.create.length || plan.delete.length) {
      q.add(key);
      return;
    }
    await writeStatus(ctx, ds, plan.status);
  });
  sets.on((t, s) => t !== "delete" && q.add(objectKey(s)));
  pods.on((_t, p) => enqueueOwner(q, "DaemonSet", p, sets));
  nodes.on(() => {
    for (const s of sets.list()) q.add(objectKey(s));
  });
}
