// Namespaces that rendered objects live in but no app renders: kloop creates them (as helm's
// --create-namespace and DevSpace do), records them in the change journal and the inventory (the
// cluster's copy, for a purge run from another clone) before creating them, and a full purge
// deletes them after every app — only those kloop created (checked by uid), and only when nothing
// kloop did not apply has moved in (deleting a namespace deletes all it holds).
// The namespace holding the inventory is created by the inventory itself and never deleted.
import { applyObject } from '../kube/apply.ts';
import { isNotFound } from '../kube/client.ts';
import type { InventoryEntry } from '../kube/inventory.ts';
import { objectHash } from '../kube/inventory.ts';
import { type RecordInput, record } from '../kube/journal.ts';
import { type KubeObject, refOf } from '../kube/types.ts';
import { log } from '../log/logger.ts';
import type { ClusterSession } from './apply-app.ts';
import { LABEL_ENVIRONMENT, LABEL_PROJECT } from './labels.ts';

/** The inventory key of created namespaces: not a valid app name, so it never clashes with one. */
export const CREATED_NAMESPACES = '_namespaces';

/** Namespaces the objects need that are neither rendered as Namespace objects nor present. */
export function neededNamespaces(objects: readonly KubeObject[]): string[] {
  const rendered = new Set(
    objects.filter((o) => o.apiVersion === 'v1' && o.kind === 'Namespace').map((o) => o.metadata.name),
  );
  const used = objects.map((o) => o.metadata.namespace).filter((n): n is string => Boolean(n) && !rendered.has(n));
  return [...new Set(used)].sort();
}

/** The journal's kind for created namespaces. */
export const NAMESPACE = 'namespace';

/**
 * The journal record of a namespace kloop created: deleted by a full purge (by uid; without one,
 * only while it carries the project's label), unless something kloop did not apply moved in.
 */
export function namespaceRecord(
  entry: Pick<InventoryEntry, 'name' | 'uid'>,
  session: { project: string; environment: string; inventory: { name: string } },
): RecordInput {
  return {
    kind: NAMESPACE,
    environment: session.environment,
    key: entry.name,
    until: 'purge',
    describe: `namespace ${entry.name}`,
    changed: 'created',
    undo: {
      delete: [
        {
          path: `/api/v1/namespaces/${encodeURIComponent(entry.name)}`,
          ...(entry.uid ? { uid: entry.uid } : { labels: { [LABEL_PROJECT]: session.project } }),
          ifEmpty: true,
          ignore: [`configmap/${session.inventory.name}`],
        },
      ],
    },
    data: { ref: { group: '', version: 'v1', kind: 'Namespace', name: entry.name } },
  };
}

export async function ensureNamespaces(
  session: ClusterSession,
  objects: readonly KubeObject[],
  stateDir: string,
): Promise<string[]> {
  const created: string[] = [];
  for (const name of neededNamespaces(objects)) {
    if (name === session.inventory.namespace) continue;
    try {
      await session.client.request({ path: `/api/v1/namespaces/${encodeURIComponent(name)}` });
      continue;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const namespace: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { [LABEL_PROJECT]: session.project, [LABEL_ENVIRONMENT]: session.environment } },
    };
    const entry = { ...refOf(namespace), hash: objectHash(namespace) };
    const others = session.inventory.entries(CREATED_NAMESPACES).filter((e) => e.name !== name);
    const journal = { client: session.client, stateDir };
    await record(journal, namespaceRecord(entry, session));
    await session.inventory.save(CREATED_NAMESPACES, [...others, entry]);
    const live = await applyObject(session.client, session.mapper, namespace, { force: false });
    const uid = live.metadata?.uid;
    await record(journal, namespaceRecord({ name, uid }, session));
    await session.inventory.save(CREATED_NAMESPACES, [...others, { ...entry, uid }]);
    log.step(`created namespace ${name} (kloop purge removes it)`);
    created.push(name);
  }
  return created;
}
