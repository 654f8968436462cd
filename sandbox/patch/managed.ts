// managedFields bookkeeping: Update operations take ownership of the fields they change,
// server-side apply owns exactly what it sent, reports conflicts and removes what it stopped sending.
import type { KubeObject } from '../contract.ts';
import { ApiError } from '../server/errors.ts';
import { describePath, type FieldValues, flatten, fromFieldsV1, removePath, toFieldsV1 } from './fields.ts';
import { structuredMerge } from './strategic.ts';

export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

interface Owned {
  entry: ManagedEntry;
  fields: Set<string>;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function load(object: KubeObject | undefined): Owned[] {
  const entries = (object?.metadata.managedFields ?? []) as ManagedEntry[];
  return entries.map((entry) => ({ entry, fields: fromFieldsV1(entry.fieldsV1) }));
}

function store(owned: Owned[]): ManagedEntry[] {
  return owned
    .filter((o) => o.fields.size > 0)
    .map((o) => ({ ...o.entry, fieldsV1: toFieldsV1([...o.fields].sort()) }));
}

function sameEntry(e: ManagedEntry, manager: string, operation: string, subresource: string | undefined): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');
}

/** Ownership after a create/update/patch by `manager`: it owns every field whose value it changed. */
export function recordUpdate(
  old: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  builtin: boolean,
  subresource?: 'status',
): void {
  const withStatus = subresource === 'status';
  const before: FieldValues = old ? flatten(old, builtin, withStatus) : new Map();
  const after = flatten(next, builtin, withStatus);
  const changed = new Set<string>();
  for (const [path, value] of after) if (before.get(path) !== value) changed.add(path);
  const removed = [...before.keys()].filter((p) => !after.has(p));
  const owned = load(old);
  for (const o of owned) {
    for (const p of removed) o.fields.delete(p);
    for (const p of changed) o.fields.delete(p);
  }
  if (changed.size > 0) {
    let mine = owned.find((o) => sameEntry(o.entry, manager, 'Update', subresource));
    if (!mine) {
      mine = {
        entry: {
          manager,
          operation: 'Update',
          apiVersion: next.apiVersion,
          time: now(),
          fieldsType: 'FieldsV1',
          fieldsV1: {},
          ...(subresource ? { subresource } : {}),
        },
        fields: new Set(),
      };
      owned.push(mine);
    }
    mine.entry = { ...mine.entry, time: now(), apiVersion: next.apiVersion };
    for (const p of changed) mine.fields.add(p);
  }
  next.metadata.managedFields = store(owned);
}

/**
 * Server-side apply of `applied` onto `live` (undefined when creating). Returns the merged
 * object with managedFields set; throws 409 Conflict listing fields other managers own.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  manager: string,
  force: boolean,
  builtin: boolean,
  subresource?: 'status',
): KubeObject {
  const withStatus = subresource === 'status';
  const appliedFields = flatten(applied, builtin, withStatus);
  const liveFields: FieldValues = live ? flatten(live, builtin, withStatus) : new Map();
  const owned = load(live);
  const mine = owned.find((o) => sameEntry(o.entry, manager, 'Apply', subresource));

  const conflicts = new Map<string, string[]>();
  // Like the API server's lastAppliedManager: an object kubectl applied client-side can move to
  // server-side apply without conflicts with the client-side applier.
  const upgrading = live?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] !== undefined;
  for (const o of owned) {
    if (o === mine) continue;
    const yields = upgrading && o.entry.manager === 'kubectl-client-side-apply';
    for (const [path, value] of appliedFields) {
      if (!o.fields.has(path) || path.endsWith('"."]')) continue;
      if (liveFields.get(path) === value) continue;
      if (force || yields) o.fields.delete(path);
      else {
        const label =
          o.entry.operation === 'Apply'
            ? `conflict with "${o.entry.manager}"`
            : `conflict with "${o.entry.manager}" using ${o.entry.apiVersion}`;
        conflicts.set(label, [...(conflicts.get(label) ?? []), path]);
      }
    }
  }
  if (conflicts.size > 0) throw conflictError(conflicts);

  const base = structuredClone(live ?? { apiVersion: applied.apiVersion, kind: applied.kind, metadata: {} });
  // Fields this manager applied before, sends no more, and nobody else owns: removed. As
  // structured-merge-diff does since kubernetes#99037 (EnsureNamedFieldsAreMembers), a struct
  // field the manager no longer sends goes whole, with the subfields the server defaulted in it
  // (a dropped readinessProbe leaves no periodSeconds behind), unless something under it is
  // still applied or owned by another manager. metadata is left out of that climb: the
  // sandbox's controllers write annotations without managedFields.
  if (mine) {
    const others = owned.filter((o) => o !== mine).flatMap((o) => [...o.fields].map((p) => JSON.parse(p) as string[]));
    const applied = [...appliedFields.keys()].map((p) => JSON.parse(p) as string[]);
    const under = (paths: string[][], prefix: string[]) =>
      paths.some((p) => p.length >= prefix.length && prefix.every((e, i) => p[i] === e));
    for (const path of mine.fields) {
      if (appliedFields.has(path)) continue;
      if (owned.some((o) => o !== mine && o.fields.has(path))) continue;
      let target = JSON.parse(path) as string[];
      if (target.at(-1) === '.') target = target.slice(0, -1);
      while (target.length > 2 && target[0] !== 'f:metadata' && target[target.length - 2]!.startsWith('f:')) {
        const parent = target.slice(0, -1);
        if (under(applied, parent) || under(others, parent)) break;
        target = parent;
      }
      removePath(base as unknown as Record<string, unknown>, JSON.stringify(target));
    }
  }
  const merged = structuredMerge(base, applied, builtin) as KubeObject;
  merged.apiVersion = applied.apiVersion;
  merged.kind = applied.kind;

  const next: Owned = mine ?? {
    entry: {
      manager,
      operation: 'Apply',
      apiVersion: applied.apiVersion,
      time: now(),
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(subresource ? { subresource } : {}),
    },
    fields: new Set(),
  };
  next.entry = { ...next.entry, time: now(), apiVersion: applied.apiVersion };
  next.fields = new Set(appliedFields.keys());
  const result = [...owned.filter((o) => o !== mine), next];
  merged.metadata.managedFields = store(result);
  return merged;
}

function conflictError(conflicts: Map<string, string[]>): ApiError {
  const total = [...conflicts.values()].reduce((n, list) => n + list.length, 0);
  const causes: Array<{ reason: string; message: string; field: string }> = [];
  const lines: string[] = [];
  for (const [label, paths] of conflicts) {
    for (const p of paths) causes.push({ reason: 'FieldManagerConflict', message: label, field: describePath(p) });
    if (paths.length === 1) lines.push(`${label}: ${describePath(paths[0]!)}`);
    else
      lines.push(
        `${label.replace('conflict with', 'conflicts with')}:\n${paths.map((p) => `- ${describePath(p)}`).join('\n')}`,
      );
  }
  const head = `Apply failed with ${total} conflict${total === 1 ? '' : 's'}: `;
  return new ApiError(409, 'Conflict', head + lines.join('\n'), { causes });
}
