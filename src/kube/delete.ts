// Deleting what kloop applied, and only that: the inventory's uid is a precondition of the delete,
// so an object someone re-created under the same name (or a look-alike with kloop's labels) is
// never touched. Entries recorded before their apply finished (no uid yet) are deleted only if
// the object carries kloop's field manager and this project's label.
import { ApiError, isNotFound, type KubeClient } from './client.ts';
import { FIELD_MANAGER } from './apply.ts';
import type { RestMapper } from './discovery.ts';
import type { InventoryEntry } from './inventory.ts';
import type { KubeObject } from './types.ts';

export type DeleteOutcome = 'deleted' | 'absent' | 'foreign';

export function appliedByKloop(obj: KubeObject, project: string): boolean {
  const managed = (obj.metadata.managedFields ?? []).some(
    (m) => m.manager === FIELD_MANAGER && m.operation === 'Apply',
  );
  return managed && obj.metadata.labels?.['kloop.dev/project'] === project;
}

export async function deleteEntry(
  client: KubeClient,
  mapper: RestMapper,
  entry: InventoryEntry,
  project: string,
): Promise<DeleteOutcome> {
  const resource = await mapper.resolve(entry);
  const path = mapper.path(resource, resource.namespaced ? entry.namespace : undefined, entry.name);
  let uid = entry.uid;
  if (!uid) {
    try {
      const obj = await client.request<KubeObject>({ path });
      if (!appliedByKloop(obj, project)) return 'foreign';
      uid = obj.metadata.uid;
    } catch (error) {
      if (isNotFound(error)) return 'absent';
      throw error;
    }
  }
  try {
    await client.request({
      method: 'DELETE',
      path,
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid } },
    });
    return 'deleted';
  } catch (error) {
    if (isNotFound(error)) return 'absent';
    // the uid precondition failed: the object by that name is not the one kloop applied
    if (error instanceof ApiError && error.code === 409) return 'foreign';
    throw error;
  }
}
