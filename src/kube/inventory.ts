// What kloop applied, per project and environment, kept in the cluster (a ConfigMap), so prune and
// purge act on exactly that and never on an object kloop did not apply. Entries are written
// *before* objects are applied: a crash mid-deploy still leaves purge a complete list.
import { createHash } from 'node:crypto';
import { KloopError } from '../errors.ts';
import { applyObject } from './apply.ts';
import { ApiError, isNotFound, type KubeClient } from './client.ts';
import type { RestMapper } from './discovery.ts';
import { type KubeObject, type ObjectRef, refKey } from './types.ts';

export interface InventoryEntry extends ObjectRef {
  /** set once the apply returned the object; absent while the apply is pending */
  uid?: string;
  /** hash of the body kloop applied */
  hash: string;
  /** the object's resourceVersion when kloop last applied it (see drift.ts) */
  rv?: string;
  /** hash of the live object at the paths kloop applied, taken from the apply's response */
  live?: string;
}

/** What the last deploy that applied an app was made from (kloop status shows it). */
export interface DeployRecord {
  /** ISO time the apply finished */
  at: string;
  /** user@host that ran it */
  by?: string;
  kloopVersion?: string;
  /** images: entries the app's objects use → the reference deployed */
  images: Record<string, string>;
  /** the project's git commit, and whether the tree had uncommitted changes */
  source?: { commit?: string; dirty?: boolean; subject?: string };
}

export interface InventoryPlan {
  /** desired objects whose hash equals the recorded one */
  unchanged: InventoryEntry[];
  /** desired objects that are new or differ from what was recorded */
  changed: InventoryEntry[];
  /** recorded objects that left the config */
  prune: InventoryEntry[];
}

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = stable((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** Hash of what is applied: key order does not matter, any value does. */
export function objectHash(obj: KubeObject): string {
  return createHash('sha256')
    .update(JSON.stringify(stable(obj)))
    .digest('hex')
    .slice(0, 20);
}

/** Compares what an app renders now with what its inventory recorded. */
export function planInventory(recorded: readonly InventoryEntry[], desired: readonly InventoryEntry[]): InventoryPlan {
  const before = new Map(recorded.map((e) => [refKey(e), e]));
  const wanted = new Set(desired.map((e) => refKey(e)));
  const unchanged: InventoryEntry[] = [];
  const changed: InventoryEntry[] = [];
  for (const e of desired) {
    const old = before.get(refKey(e));
    if (old && old.hash === e.hash && old.uid) unchanged.push({ ...e, uid: old.uid, rv: old.rv, live: old.live });
    else changed.push(old?.uid && old.version === e.version ? { ...e, uid: old.uid } : e);
  }
  const prune = recorded.filter((e) => !wanted.has(refKey(e)));
  return { unchanged, changed, prune };
}

/** Entries recorded before the apply: what is about to be applied plus what may still be pruned. */
export function pendingEntries(
  recorded: readonly InventoryEntry[],
  desired: readonly InventoryEntry[],
): InventoryEntry[] {
  const wanted = new Set(desired.map((e) => refKey(e)));
  return [...desired, ...recorded.filter((e) => !wanted.has(refKey(e)))];
}

export function inventoryName(project: string, environment: string): string {
  return `kloop-inventory-${project}-${environment}`.slice(0, 253);
}

const APP_PREFIX = 'app.';
const DEPLOYED_PREFIX = 'deployed.';

export function encodeInventory(
  apps: ReadonlyMap<string, readonly InventoryEntry[]>,
  deployed: ReadonlyMap<string, DeployRecord> = new Map(),
): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [app, entries] of [...apps].sort(([a], [b]) => a.localeCompare(b)))
    data[`${APP_PREFIX}${app}`] = JSON.stringify(entries.map((e) => stable(e)));
  for (const [app, record] of [...deployed].sort(([a], [b]) => a.localeCompare(b)))
    if (apps.has(app)) data[`${DEPLOYED_PREFIX}${app}`] = JSON.stringify(stable(record));
  return data;
}

/** The deploy records of an inventory's data; a damaged one is skipped (it only informs). */
export function decodeDeployRecords(data: Record<string, string> | undefined): Map<string, DeployRecord> {
  const out = new Map<string, DeployRecord>();
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!key.startsWith(DEPLOYED_PREFIX)) continue;
    try {
      out.set(key.slice(DEPLOYED_PREFIX.length), JSON.parse(value) as DeployRecord);
    } catch {}
  }
  return out;
}

export function decodeInventory(
  data: Record<string, string> | undefined,
  where: string,
): Map<string, InventoryEntry[]> {
  const apps = new Map<string, InventoryEntry[]>();
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!key.startsWith(APP_PREFIX)) continue;
    try {
      apps.set(key.slice(APP_PREFIX.length), JSON.parse(value) as InventoryEntry[]);
    } catch {
      throw new KloopError(`the inventory ${where} is damaged: key ${key} is not JSON`, {
        hint: `delete the key (kubectl edit configmap) and redeploy; objects it listed must then be removed by hand`,
      });
    }
  }
  return apps;
}

export interface Inventory {
  readonly namespace: string;
  readonly name: string;
  /** apps that have an inventory entry list */
  apps(): string[];
  entries(app: string): InventoryEntry[];
  /** what the last deploy that applied the app was made from */
  deployed(app: string): DeployRecord | undefined;
  /** Records an app's entries (empty list: forget the app) and writes the whole inventory. */
  save(app: string, entries: InventoryEntry[], deployed?: DeployRecord): Promise<void>;
  /** Deletes the inventory object (after a full purge). */
  remove(): Promise<void>;
}

export interface InventoryIdentity {
  project: string;
  environment: string;
  namespace: string;
}

export async function openInventory(client: KubeClient, mapper: RestMapper, id: InventoryIdentity): Promise<Inventory> {
  const name = inventoryName(id.project, id.environment);
  const where = `configmap ${name} in namespace ${id.namespace}`;
  const path = `/api/v1/namespaces/${encodeURIComponent(id.namespace)}/configmaps/${encodeURIComponent(name)}`;
  let apps = new Map<string, InventoryEntry[]>();
  let deployed = new Map<string, DeployRecord>();
  try {
    const cm = await client.request<KubeObject>({ path });
    apps = decodeInventory(cm.data, where);
    deployed = decodeDeployRecords(cm.data);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  // Parallel app deploys save through one chain, so no write loses another's entries.
  let chain: Promise<void> = Promise.resolve();

  async function write(): Promise<void> {
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: id.namespace,
        labels: {
          'kloop.dev/project': id.project,
          'kloop.dev/environment': id.environment,
          'kloop.dev/inventory': 'true',
        },
      },
      data: encodeInventory(apps, deployed),
    };
    try {
      await applyObject(client, mapper, body, { force: true });
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      if (!(cause instanceof ApiError && cause.code === 404)) throw error;
      // the namespace itself is missing: create it, then write
      await applyObject(client, mapper, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: id.namespace, labels: { 'kloop.dev/project': id.project } },
      });
      await applyObject(client, mapper, body, { force: true });
    }
  }

  return {
    namespace: id.namespace,
    name,
    apps: () => [...apps.keys()],
    entries: (app) => [...(apps.get(app) ?? [])],
    deployed: (app) => deployed.get(app),
    save(app, entries, record) {
      chain = chain.then(async () => {
        if (entries.length) apps.set(app, entries);
        else apps.delete(app);
        if (record) deployed.set(app, record);
        if (!entries.length) deployed.delete(app);
        await write();
      });
      return chain;
    },
    async remove() {
      await chain;
      apps.clear();
      try {
        await client.request({ method: 'DELETE', path });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}
