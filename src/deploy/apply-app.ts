// Deploying one app's rendered objects: compare with the inventory (skip when nothing changed and
// everything still exists), record the inventory first, apply (namespaces and CRDs first), prune
// what left the config, then wait for readiness.
import pLimit from 'p-limit';
import { KloopError } from '../errors.ts';
import { applyObject } from '../kube/apply.ts';
import type { KubeClient } from '../kube/client.ts';
import { deleteEntry } from '../kube/delete.ts';
import type { RestMapper } from '../kube/discovery.ts';
import { type Inventory, type InventoryEntry, objectHash, pendingEntries, planInventory } from '../kube/inventory.ts';
import { describeRef, type KubeObject, refKey, refOf } from '../kube/types.ts';
import { failureLines, formatDuration, waitForGone, waitForReady } from '../kube/wait.ts';
import { log } from '../log/logger.ts';
import { projectSelector, withKloopLabels } from './labels.ts';
import type { Progress } from './progress.ts';

export interface ClusterSession {
  client: KubeClient;
  mapper: RestMapper;
  inventory: Inventory;
  project: string;
  environment: string;
  /** uids of the project's live objects per kind and namespace, listed once per deploy */
  existing: Map<string, Promise<Set<string>>>;
}

export interface AppDeployOptions {
  force: boolean;
  wait: boolean;
  timeoutMs: number;
  progress: Progress;
}

export interface AppResult {
  /** "applied": something was applied; "unchanged": the apply was skipped; "removed": the app left kloop.yaml and was pruned */
  status: 'applied' | 'unchanged' | 'removed';
  applied: string[];
  unchanged: string[];
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
 * Whether every recorded object still exists, matched by uid. One LIST per kind and namespace for
 * the whole deploy (all apps of the project share it), so a no-op of 20 apps costs a few requests.
 */
async function allExist(session: ClusterSession, entries: InventoryEntry[]): Promise<boolean> {
  const results = await Promise.all(
    entries.map(async (e) => {
      const resource = await session.mapper.resolve(e);
      const namespace = resource.namespaced ? e.namespace : undefined;
      const key = `${resource.group}/${resource.resource}/${namespace ?? ''}`;
      let list = session.existing.get(key);
      if (!list) {
        list = session.client
          .request<{ items?: KubeObject[] }>({
            path: session.mapper.path(resource, namespace),
            query: { labelSelector: projectSelector(session.project, session.environment) },
          })
          .then(
            (l) =>
              new Set((l.items ?? []).filter((o) => !o.metadata.deletionTimestamp).map((o) => o.metadata.uid ?? '')),
          );
        session.existing.set(key, list);
      }
      return Boolean(e.uid && (await list).has(e.uid));
    }),
  );
  return results.every(Boolean);
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
  const desired: InventoryEntry[] = objects.map((o) => ({ ...refOf(o), hash: objectHash(o) }));
  const recorded = inventory.entries(app);
  const plan = planInventory(recorded, desired);
  const result: AppResult = { status: 'applied', applied: [], unchanged: [], pruned: [], leftAlone: [] };

  if (plan.changed.length === 0 && plan.prune.length === 0 && (await allExist(session, plan.unchanged))) {
    result.status = 'unchanged';
    result.unchanged = objects.map(name);
    progress.update(app, 'unchanged', `${objects.length} objects as applied before; apply skipped`);
  } else {
    progress.update(
      app,
      'applying',
      `${objects.length} objects${plan.prune.length ? `, pruning ${plan.prune.length}` : ''}`,
    );
    // Recorded before anything is applied: a crash from here on leaves purge a complete list.
    const known = new Map([...plan.unchanged, ...plan.changed].map((e) => [refKey(e), e]));
    await inventory.save(app, pendingEntries(recorded, [...known.values()]));

    const uids = new Map<string, string>();
    const apply = async (obj: KubeObject) => {
      const live = await applyObject(client, mapper, obj, { force: options.force });
      if (live.metadata?.uid) uids.set(refKey(refOf(obj)), live.metadata.uid);
      result.applied.push(name(obj));
    };
    const first = objects.filter(isFirst);
    const rest = objects.filter((o) => !isFirst(o));
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
      desired.map((e) => ({ ...e, uid: uids.get(refKey(e)) ?? known.get(refKey(e))?.uid })),
    );
  }

  if (options.wait) {
    if (result.status !== 'unchanged') progress.update(app, 'rolling out', 'waiting for readiness');
    const failures = await waitForReady(client, mapper, objects, {
      timeoutMs: options.timeoutMs,
      settleMs: result.status === 'unchanged' ? 0 : undefined,
      onProgress: (ref, message, ready) => {
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
