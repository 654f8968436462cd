// Deploying one app's rendered objects: compare with the inventory (when nothing changed, apply only
// the objects that drifted in the cluster since the last deploy), record the inventory first, apply
// (namespaces and CRDs first), prune what left the config, then wait for readiness.
import pLimit from 'p-limit';
import { KloopError } from '../errors.ts';
import { applyObject } from '../kube/apply.ts';
import type { KubeClient } from '../kube/client.ts';
import { deleteEntry } from '../kube/delete.ts';
import type { RestMapper } from '../kube/discovery.ts';
import { changedBy, type DriftKind, driftOf, recordLive } from '../kube/drift.ts';
import {
  type DeployRecord,
  type Inventory,
  type InventoryEntry,
  objectHash,
  pendingEntries,
  planInventory,
} from '../kube/inventory.ts';
import { readiness } from '../kube/readiness.ts';
import { describeRef, type KubeObject, refKey, refOf } from '../kube/types.ts';
import { failureLines, formatDuration, waitForGone, waitForReady } from '../kube/wait.ts';
import { emit } from '../log/events.ts';
import { log } from '../log/logger.ts';
import { projectSelector, withKloopLabels } from './labels.ts';
import type { Progress } from './progress.ts';

export interface ClusterSession {
  client: KubeClient;
  mapper: RestMapper;
  inventory: Inventory;
  project: string;
  environment: string;
  /** the project's live objects per kind and namespace, by uid, listed once per deploy */
  existing: Map<string, Promise<Map<string, KubeObject>>>;
}

export interface AppDeployOptions {
  force: boolean;
  wait: boolean;
  timeoutMs: number;
  progress: Progress;
  /** what this deploy is made from, recorded with the inventory when the app is applied */
  record?: DeployRecord;
}

export interface AppResult {
  /** "applied": something was applied; "unchanged": the apply was skipped; "removed": the app left kloop.yaml and was pruned */
  status: 'applied' | 'unchanged' | 'removed';
  applied: string[];
  unchanged: string[];
  /** objects re-applied because they were changed or deleted in the cluster since the last deploy */
  drifted: string[];
  pruned: string[];
  /** objects found in the inventory whose name now belongs to an object kloop did not apply */
  leftAlone: string[];
}

const isFirst = (o: KubeObject) =>
  (o.apiVersion === 'v1' && o.kind === 'Namespace') ||
  (o.apiVersion.startsWith('apiextensions.k8s.io/') && o.kind === 'CustomResourceDefinition');

const name = (e: InventoryEntry | KubeObject) =>
  describeRef('metadata' in e ? refOf(e as KubeObject) : (e as InventoryEntry));

/**
 * The project's live objects of one kind and namespace, by uid: one LIST per kind and namespace
 * for the whole deploy (all apps of the project share it), so a no-op of 20 apps costs a few requests.
 */
async function liveObjects(session: ClusterSession, entry: InventoryEntry): Promise<Map<string, KubeObject>> {
  const resource = await session.mapper.resolve(entry);
  const namespace = resource.namespaced ? entry.namespace : undefined;
  const key = `${resource.group}/${resource.resource}/${namespace ?? ''}`;
  let list = session.existing.get(key);
  if (!list) {
    // items of a LIST carry no apiVersion and kind on a real cluster
    const apiVersion = entry.group ? `${entry.group}/${entry.version}` : entry.version;
    list = session.client
      .request<{ items?: KubeObject[] }>({
        path: session.mapper.path(resource, namespace),
        query: { labelSelector: projectSelector(session.project, session.environment) },
      })
      .then(
        (l) =>
          new Map(
            (l.items ?? [])
              .filter((o) => !o.metadata.deletionTimestamp)
              .map((o) => [o.metadata.uid ?? '', { ...o, apiVersion, kind: entry.kind }]),
          ),
      );
    session.existing.set(key, list);
  }
  return list;
}

export interface Drifted {
  object: KubeObject;
  kind: DriftKind;
  by: string[];
}

/** The unchanged objects the cluster no longer holds as kloop applied them, and the live ones. */
export async function findDrift(
  session: ClusterSession,
  unchanged: readonly InventoryEntry[],
  objects: ReadonlyMap<string, KubeObject>,
): Promise<{ drifted: Drifted[]; live: Map<string, KubeObject> }> {
  const drifted: Drifted[] = [];
  const live = new Map<string, KubeObject>();
  await Promise.all(
    unchanged.map(async (e) => {
      const object = objects.get(refKey(e))!;
      const found = (await liveObjects(session, e)).get(e.uid ?? '');
      if (found) live.set(refKey(e), found);
      const kind = driftOf(e, found, object);
      if (kind) drifted.push({ object, kind, by: kind === 'changed' && found ? changedBy(found) : [] });
    }),
  );
  return { drifted, live };
}

function driftLine(app: string, drifted: readonly Drifted[]): string {
  const n = drifted.length;
  return `${app}: ${n} object${n === 1 ? '' : 's'} changed in the cluster since the last deploy; re-applied`;
}

function driftDetail(d: Drifted): string {
  if (d.kind === 'deleted') return `${name(d.object)}: deleted; created again`;
  if (d.kind === 'unrecorded') return `${name(d.object)}: no live state recorded yet; applied to record it`;
  return `${name(d.object)}: changed${d.by.length ? ` by ${d.by.join(', ')}` : ''}; kloop's fields restored`;
}

/** Deletes recorded objects (never one kloop did not apply) and waits until they are gone. */
export async function pruneEntries(
  session: ClusterSession,
  app: string,
  entries: readonly InventoryEntry[],
  timeoutMs: number,
): Promise<{ pruned: string[]; leftAlone: string[] }> {
  const out = { pruned: [] as string[], leftAlone: [] as string[] };
  const deleted: InventoryEntry[] = [];
  for (const entry of entries) {
    const outcome = await deleteEntry(session.client, session.mapper, entry, session.project);
    emit({ type: 'apply', app, object: name(entry), result: outcome === 'foreign' ? 'left-alone' : 'pruned' });
    if (outcome === 'foreign') out.leftAlone.push(name(entry));
    else {
      out.pruned.push(name(entry));
      if (outcome === 'deleted') deleted.push(entry);
    }
  }
  const stuck = await waitForGone(session.client, session.mapper, deleted, timeoutMs);
  if (stuck.length)
    log.warn(
      `app ${app}: still deleting after ${formatDuration(timeoutMs)}: ${stuck.map((r) => describeRef(r)).join(', ')}`,
    );
  for (const f of out.leftAlone)
    log.warn(`app ${app}: ${f} was not applied by kloop (another object has its name); left alone`);
  return out;
}

export async function deployApp(
  session: ClusterSession,
  app: string,
  rendered: readonly KubeObject[],
  options: AppDeployOptions,
): Promise<AppResult> {
  const { client, mapper, inventory, progress } = { ...session, progress: options.progress };
  const objects = rendered.map((o) => withKloopLabels(o as KubeObject, session.project, app, session.environment));
  const byKey = new Map(objects.map((o) => [refKey(refOf(o)), o]));
  const desired: InventoryEntry[] = objects.map((o) => ({ ...refOf(o), hash: objectHash(o) }));
  const recorded = inventory.entries(app);
  const plan = planInventory(recorded, desired);
  const result: AppResult = {
    status: 'applied',
    applied: [],
    unchanged: [],
    drifted: [],
    pruned: [],
    leftAlone: [],
  };

  // Unchanged inputs: apply only what the cluster no longer holds as kloop applied it.
  let toApply = objects;
  let drift: Drifted[] = [];
  let live = new Map<string, KubeObject>();
  if (plan.changed.length === 0 && plan.prune.length === 0) {
    ({ drifted: drift, live } = await findDrift(session, plan.unchanged, byKey));
    const again = new Set(drift.map((d) => d.object));
    toApply = objects.filter((o) => again.has(o));
  }
  // kloop applied these before: re-applying them takes its fields back from whoever changed them
  const forced = new Set(drift.map((d) => d.object));
  // objects whose pods are new: created, or with a pod template that changed (not a drifted replicas)
  const rollouts = new Set<KubeObject>();
  const reported = drift.filter((d) => d.kind !== 'unrecorded');

  if (toApply.length === 0) {
    result.status = 'unchanged';
    result.unchanged = objects.map(name);
    progress.update(app, 'unchanged', `${objects.length} objects as applied before; apply skipped`);
  } else {
    if (reported.length) {
      log.warn(driftLine(app, reported));
      for (const d of reported) {
        log.info(`  ${driftDetail(d)}`);
        emit({ type: 'drift', app, object: name(d.object), kind: d.kind, by: d.by });
      }
      result.drifted = reported.map((d) => name(d.object));
    }
    progress.update(
      app,
      'applying',
      `${toApply.length} objects${plan.prune.length ? `, pruning ${plan.prune.length}` : ''}`,
    );
    // Recorded before anything is applied: a crash from here on leaves purge a complete list.
    // An object about to be created again has no uid yet.
    const recreated = new Set(drift.filter((d) => d.kind === 'deleted').map((d) => refKey(refOf(d.object))));
    const known = new Map(
      [...plan.unchanged, ...plan.changed].map((e) => [
        refKey(e),
        recreated.has(refKey(e)) ? { ...e, uid: undefined } : e,
      ]),
    );
    await inventory.save(app, pendingEntries(recorded, [...known.values()]));

    const applied = new Map<string, InventoryEntry>();
    const apply = async (obj: KubeObject) => {
      const key = refKey(refOf(obj));
      const returned = await applyObject(client, mapper, obj, { force: options.force || forced.has(obj) });
      const before = live.get(key);
      if (!before || JSON.stringify(before.spec?.template) !== JSON.stringify(returned.spec?.template))
        rollouts.add(obj);
      if (returned.metadata?.uid) applied.set(key, recordLive(known.get(key)!, returned, obj));
      result.applied.push(name(obj));
      emit({ type: 'apply', app, object: name(obj), result: 'applied' });
    };
    const first = toApply.filter(isFirst);
    const rest = toApply.filter((o) => !isFirst(o));
    await Promise.all(first.map(apply));
    const crds = first.filter((o) => o.kind === 'CustomResourceDefinition');
    if (crds.length) {
      const failures = await waitForReady(client, mapper, crds, { timeoutMs: 60_000 });
      if (failures.length)
        throw new KloopError(`app ${app}: custom resource definitions not established`, {
          details: failureLines(failures),
        });
      await mapper.refresh();
    }
    const limit = pLimit(8);
    const errors: unknown[] = [];
    await Promise.all(rest.map((o) => limit(() => apply(o).catch((e) => errors.push(e)))));
    if (errors.length === 1 && errors[0] instanceof KloopError) {
      const e = errors[0];
      throw new KloopError(`app ${app}: ${e.message}`, { details: [...e.details], hint: e.hint, cause: e.cause });
    }
    if (errors.length) {
      const firstError = errors[0];
      throw new KloopError(`app ${app}: ${errors.length} objects could not be applied`, {
        details: errors.flatMap((e) => [
          e instanceof Error ? e.message : String(e),
          ...(e instanceof KloopError ? e.details.map((d) => `  ${d}`) : []),
        ]),
        hint: firstError instanceof KloopError ? firstError.hint : undefined,
      });
    }

    // Prune what left the config, by uid: a same-named object kloop did not apply is left alone.
    if (plan.prune.length) {
      const pruned = await pruneEntries(session, app, plan.prune, options.timeoutMs);
      result.pruned.push(...pruned.pruned);
      result.leftAlone.push(...pruned.leftAlone);
    }
    await inventory.save(
      app,
      desired.map((e) => applied.get(refKey(e)) ?? known.get(refKey(e)) ?? e),
      options.record,
    );
    result.unchanged = objects.filter((o) => !toApply.includes(o)).map(name);
  }

  if (options.wait) {
    // Objects not applied now are ready already when their live state says so: no watch needed.
    const reapplied = new Set(toApply);
    const pending = objects.filter((o) => {
      if (reapplied.has(o)) return true;
      const current = live.get(refKey(refOf(o)));
      return !current || !readiness(current).ready;
    });
    if (result.status !== 'unchanged') progress.update(app, 'rolling out', 'waiting for readiness');
    const failures = await waitForReady(client, mapper, pending, {
      timeoutMs: options.timeoutMs,
      // a new rollout must stay ready a moment; restored replicas or labels start no new pods
      settleMs: pending.some((o) => rollouts.has(o)) ? undefined : 0,
      onProgress: (ref, message, ready) => {
        emit({ type: 'readiness', app, object: describeRef(ref), ready, message });
        if (!ready) progress.update(app, 'rolling out', `${describeRef(ref)}: ${message}`);
      },
    });
    if (failures.length) {
      throw new KloopError(`app ${app} is not ready: ${failures.map((f) => describeRef(f.ref)).join(', ')}`, {
        details: failureLines(failures),
        hint: 'fix the cause above and run kloop deploy again',
      });
    }
  }
  progress.update(
    app,
    result.status === 'unchanged' ? 'unchanged' : 'ready',
    result.status === 'unchanged'
      ? 'apply skipped'
      : `${result.applied.length} applied${result.pruned.length ? `, ${result.pruned.length} pruned` : ''}`,
  );
  return result;
}
