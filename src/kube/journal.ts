// The change journal: everything kloop changes in a cluster outside an apply (dev patches,
// intercept routing, created namespaces, paused GitOps reconciliation, debugger patches) is
// recorded here before it is changed, with a data-only undo plan. Ctrl-C, the next run after a
// crash or `kill -9`, purge and the dashboard all undo through restore(), so no engine imports
// another engine to put its changes back.
//
// How to build on it:
//   1. Compute the undo plan, then `await record({client, stateDir}, {kind, key, app, describe, undo})`
//      BEFORE changing the cluster. It is written atomically (tmp + rename) to
//      .kloop/journal/<kind>-<key>.json, one file per record, so processes never lose each
//      other's records. Recording the same kind + key again replaces the record (a re-patch
//      after a rebuild, or filling in a created object's uid once it is known).
//   2. Change the cluster. Put the previous value in the change too when others must see it
//      (e.g. an annotation holding the original), and guard the undo with `test` ops on what you
//      set, so a change someone made since is left alone.
//   3. Undo: `restore(ctx, selector)`: {owner} (Ctrl-C: this process's records), {orphans}
//      (records whose process is gone: call it when your command starts), {app} (purge of some
//      apps, the dashboard), {all} (full purge); narrowed by `kind`, `until`, `environment`.
//      Only records made on the client's cluster (API server URL) are considered. It undoes, then
//      forgets, newest first. forget() drops a record whose change is gone by other means.
// Undo plans are data: `patches` (JSON-patch ops sent with field manager kloop; a patch whose
// `test` op fails, or whose object is gone, is skipped as "changed since") and `delete` (objects
// by API path, with the uid as precondition; `ifEmpty` keeps a namespace that holds objects kloop
// did not apply, says so, and forgets it). Records with `until: 'purge'` (created namespaces) outlive their process and
// are undone only by {all} or {app}.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { KloopError } from '../errors.ts';
import { alive } from '../process/alive.ts';
import { FIELD_MANAGER } from './apply.ts';
import { ApiError, isNotFound, type KubeClient } from './client.ts';
import type { RestMapper } from './discovery.ts';
import type { KubeObject } from './types.ts';

export { FIELD_MANAGER };

export interface Owner {
  pid: number;
  host: string;
}

export type PatchOp = { op: 'test' | 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** JSON-patch ops for one object, applied in one request (all or nothing). */
export interface GuardedPatch {
  /** API path of the object, e.g. /apis/apps/v1/namespaces/shop/deployments/web */
  path: string;
  ops: PatchOp[];
}

export interface Removal {
  path: string;
  /** delete only the object with this uid (a namesake created since is left alone) */
  uid?: string;
  /** without a uid (recorded before the object existed): delete it only while it carries these labels */
  labels?: Record<string, string>;
  /** namespaces: keep it when it holds objects kloop did not apply */
  ifEmpty?: boolean;
  /** with ifEmpty: objects that do not count, as `kind/name` (e.g. `configmap/kloop-inventory-x`) */
  ignore?: string[];
}

export interface UndoPlan {
  patches?: GuardedPatch[];
  delete?: Removal[];
}

export interface JournalRecord {
  /** the API server the change was made on; other clusters' records are left alone */
  cluster: string;
  /** the environment, for changes that belong to one (created namespaces) */
  environment?: string;
  /** what changed: 'dev-patch', 'intercept', 'namespace', 'gitops-pause', ... */
  kind: string;
  /** unique within the kind, e.g. `shop/deployment/web` */
  key: string;
  owner: Owner;
  /** the app the change belongs to (purge of that app undoes it); absent: the project's */
  app?: string;
  /** the dev target, when the change is one target's */
  target?: string;
  /** 'session' (default): undone when its process ends; 'purge': kept until purged */
  until: 'session' | 'purge';
  /** how a user reads it: `deployment/web in shop` */
  describe: string;
  /** how a notice says what was done to it: `patched`, `intercepted`, `paused` */
  changed?: string;
  undo: UndoPlan;
  /** anything the recording feature wants back (e.g. the original values) */
  data?: unknown;
  at: string;
}

export type RecordInput = Omit<JournalRecord, 'owner' | 'at' | 'until' | 'cluster'> & {
  until?: JournalRecord['until'];
  owner?: Owner;
};

interface Narrowing {
  kind?: string;
  until?: JournalRecord['until'];
  /** records of this environment or of none */
  environment?: string;
}

export type Selector =
  | ({ owner: Owner } & Narrowing)
  | ({ orphans: true } & Omit<Narrowing, 'until'>)
  | ({ app: string } & Narrowing)
  | ({ all: true } & Narrowing);

/** Where records live (the project's state dir) and the cluster they are made on. */
export interface JournalContext {
  client: KubeClient;
  stateDir: string;
}

export interface RestoreContext extends JournalContext {
  /** needed for `ifEmpty` removals (to list what a namespace holds) */
  mapper?: RestMapper;
  /** one line per record put back, or kept (e.g. a namespace something else moved into) */
  onNotice?: (message: string) => void;
}

/** Escapes one JSON-pointer token (RFC 6901): `kloop.dev/x` → `kloop.dev~1x`. */
export function pointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function annotationPath(name: string): string {
  return `/metadata/annotations/${pointer(name)}`;
}

/** The op that makes `metadata.annotations` exist (JSON patch cannot add into a missing map). */
export function ensureAnnotations(obj: KubeObject): PatchOp[] {
  return obj.metadata.annotations ? [] : [{ op: 'add', path: '/metadata/annotations', value: {} }];
}

/** Ops that remove a field whether or not it is there (add creates or replaces it; then remove). */
export function removeField(fieldPath: string): PatchOp[] {
  return [
    { op: 'add', path: fieldPath, value: null },
    { op: 'remove', path: fieldPath },
  ];
}

/** Sends JSON-patch ops to one object with kloop's field manager (a later apply takes the fields back). */
export async function jsonPatch(client: KubeClient, apiPath: string, ops: readonly PatchOp[]): Promise<void> {
  await client.request({
    method: 'PATCH',
    path: apiPath,
    query: { fieldManager: FIELD_MANAGER },
    contentType: 'application/json-patch+json',
    body: ops,
  });
}

/** This process, as records name their owner. */
export function self(): Owner {
  return { pid: process.pid, host: hostname() };
}

const DIR = 'journal';
const dir = (stateDir: string) => path.join(stateDir, DIR);
const fileName = (kind: string, key: string) => `${`${kind}-${key}`.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`;
export const recordFile = (stateDir: string, r: Pick<JournalRecord, 'kind' | 'key'>) =>
  path.join(dir(stateDir), fileName(r.kind, r.key));

// Records this process wrote: a pid reused after a crash (pid 1 in a container) is not their owner.
const mine = new Set<string>();

/** Writes the record (atomically) before the change it describes; returns it. */
export async function record(ctx: JournalContext, input: RecordInput): Promise<JournalRecord> {
  const { stateDir } = ctx;
  const rec: JournalRecord = {
    cluster: ctx.client.server,
    ...input,
    owner: input.owner ?? self(),
    until: input.until ?? 'session',
    at: new Date().toISOString(),
  };
  const file = recordFile(stateDir, rec);
  await mkdir(dir(stateDir), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(rec, null, 2)}\n`);
  await rename(tmp, file);
  if (rec.owner.pid === process.pid && rec.owner.host === hostname()) mine.add(file);
  return rec;
}

/** Drops a record without undoing it (its change is gone by other means). */
export async function forget(stateDir: string, r: Pick<JournalRecord, 'kind' | 'key'>): Promise<void> {
  const file = recordFile(stateDir, r);
  mine.delete(file);
  await rm(file, { force: true });
}

/** Every record, oldest first; unreadable files are skipped (a crash cannot leave half a record). */
export async function records(stateDir: string): Promise<JournalRecord[]> {
  let names: string[];
  try {
    names = (await readdir(dir(stateDir))).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: JournalRecord[] = [];
  for (const n of names) {
    try {
      const r = JSON.parse(await readFile(path.join(dir(stateDir), n), 'utf8')) as JournalRecord;
      if (r && typeof r.kind === 'string' && typeof r.key === 'string' && r.undo) out.push(r);
    } catch {
      // a file that vanished meanwhile (restored by another process) or is not a record
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

/** Whether the record's process is gone (records of another machine are never orphans here). */
export function orphaned(r: JournalRecord, stateDir: string): boolean {
  if (r.owner.host !== hostname()) return false;
  if (r.owner.pid === process.pid) return !mine.has(recordFile(stateDir, r));
  return !alive(r.owner.pid);
}

function selects(r: JournalRecord, s: Selector, ctx: JournalContext): boolean {
  const { stateDir } = ctx;
  if (r.cluster !== ctx.client.server) return false;
  if (s.kind && r.kind !== s.kind) return false;
  if (s.environment && r.environment && r.environment !== s.environment) return false;
  if ('orphans' in s) return r.until === 'session' && orphaned(r, stateDir);
  if ('until' in s && s.until && r.until !== s.until) return false;
  if ('owner' in s) return r.owner.pid === s.owner.pid && r.owner.host === s.owner.host;
  if ('app' in s) return r.app === s.app;
  return true;
}

/** Undoes and forgets the selected records, newest first; returns those put back. */
export async function restore(ctx: RestoreContext, selector: Selector): Promise<JournalRecord[]> {
  const chosen = (await records(ctx.stateDir)).filter((r) => selects(r, selector, ctx)).reverse();
  const restored: JournalRecord[] = [];
  const failures: KloopError[] = [];
  for (const r of chosen) {
    try {
      const outcome = await undo(ctx, r.undo, r.describe);
      await forget(ctx.stateDir, r);
      if (outcome === 'restored') restored.push(r);
    } catch (error) {
      failures.push(
        new KloopError(`cannot restore ${r.describe} (${r.kind}): ${(error as Error).message}`, {
          hint: `it stays recorded in ${recordFile(ctx.stateDir, r)}; the next kloop dev, intercept or purge tries again`,
          cause: error,
        }),
      );
    }
  }
  if (failures.length) {
    const [first, ...rest] = failures;
    if (!rest.length) throw first;
    throw new KloopError(first!.message, { hint: first!.hint, details: rest.map((f) => f.message), cause: first });
  }
  return restored;
}

/** Undoes one record (the one a command made itself) and forgets it. */
export async function restoreRecord(ctx: RestoreContext, r: JournalRecord): Promise<void> {
  await undo(ctx, r.undo, r.describe);
  await forget(ctx.stateDir, r);
}

/**
 * Carries out an undo plan. 'kept': an object to delete was kept because it holds objects kloop
 * did not apply (a notice says so; the user deletes it when they are no longer needed).
 */
export async function undo(ctx: RestoreContext, plan: UndoPlan, describe = 'a change'): Promise<'restored' | 'kept'> {
  for (const p of plan.patches ?? []) {
    try {
      await jsonPatch(ctx.client, p.path, p.ops);
    } catch (error) {
      // gone, or a guard failed: changed since by someone else (a redeploy); theirs now
      if (isNotFound(error) || (error instanceof ApiError && error.code === 422)) continue;
      throw error;
    }
  }
  let outcome: 'restored' | 'kept' = 'restored';
  for (const d of plan.delete ?? []) {
    let uid = d.uid;
    if (!uid && d.labels) {
      try {
        const live = await ctx.client.request<KubeObject>({ path: d.path });
        const labels = live.metadata.labels ?? {};
        if (!Object.entries(d.labels).every(([k, v]) => labels[k] === v)) continue; // not the one kloop made
        uid = live.metadata.uid;
      } catch (error) {
        if (isNotFound(error)) continue;
        throw error;
      }
    }
    if (d.ifEmpty) {
      const others = await foreignObjects(ctx, d);
      if (others.length) {
        ctx.onNotice?.(
          `${describe} (created by kloop) is kept: it holds objects kloop did not apply (${others.join(', ')}); delete it yourself when they are no longer needed`,
        );
        outcome = 'kept';
        continue;
      }
    }
    try {
      await ctx.client.request({
        method: 'DELETE',
        path: d.path,
        query: { gracePeriodSeconds: d.ifEmpty ? undefined : 0 },
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: 'Background',
          ...(uid ? { preconditions: { uid } } : {}),
        },
      });
    } catch (error) {
      // gone already, or (409: the uid precondition failed) a namesake kloop did not create
      if (isNotFound(error) || (error instanceof ApiError && error.code === 409)) continue;
      throw error;
    }
  }
  return outcome;
}

// Objects every namespace has, or that follow from others (and go with them).
const AUTOMATIC = new Set(['/events', 'events.k8s.io/events', '/endpoints', 'discovery.k8s.io/endpointslices']);
const isAutomatic = (kind: string, name: string) =>
  (kind === 'ServiceAccount' && name === 'default') || (kind === 'ConfigMap' && name === 'kube-root-ca.crt');

/** Up to three objects in the namespace at `d.path` that do not go with it. */
async function foreignObjects(ctx: RestoreContext, d: Removal): Promise<string[]> {
  const { client, mapper } = ctx;
  if (!mapper) throw new Error('restoring a namespace needs the REST mapper');
  const namespace = decodeURIComponent(d.path.split('/').pop() ?? '');
  const ignore = new Set(d.ignore ?? []);
  const seen = new Set<string>();
  const found: string[] = [];
  for (const r of await mapper.all()) {
    const key = `${r.group}/${r.resource}`;
    if (!r.namespaced || AUTOMATIC.has(key) || seen.has(key)) continue;
    seen.add(key);
    let items: KubeObject[] = [];
    try {
      items = (await client.request<{ items?: KubeObject[] }>({ path: mapper.path(r, namespace) })).items ?? [];
    } catch {
      continue; // not listable (e.g. a subresource-only kind): nothing to keep the namespace for
    }
    for (const o of items) {
      const name = o.metadata.name ?? '';
      const ref = `${r.kind.toLowerCase()}/${name}`;
      // objects with an owner go with it (a ReplicaSet of a deleted Deployment is being collected)
      if (isAutomatic(r.kind, name) || ignore.has(ref) || o.metadata.ownerReferences?.length) continue;
      if (o.metadata.deletionTimestamp) continue;
      found.push(ref);
      if (found.length >= 3) return found;
    }
  }
  return found;
}
