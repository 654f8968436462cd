// Namespaces that rendered objects live in but no app renders: kloop creates them (as helm's
// --create-namespace and DevSpace do), records them in the inventory before creating them, and a
// full purge deletes them after every app — only those kloop created (checked by uid), and only
// when nothing kloop did not apply has moved in (deleting a namespace deletes all it holds).
// The namespace holding the inventory is created by the inventory itself and never deleted.
import { applyObject } from '../kube/apply.ts';
import { isNotFound, type KubeClient } from '../kube/client.ts';
import type { RestMapper } from '../kube/discovery.ts';
import { objectHash } from '../kube/inventory.ts';
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

export async function ensureNamespaces(session: ClusterSession, objects: readonly KubeObject[]): Promise<string[]> {
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
    await session.inventory.save(CREATED_NAMESPACES, [...others, entry]);
    const live = await applyObject(session.client, session.mapper, namespace, { force: false });
    await session.inventory.save(CREATED_NAMESPACES, [...others, { ...entry, uid: live.metadata?.uid }]);
    log.step(`created namespace ${name} (kloop purge removes it)`);
    created.push(name);
  }
  return created;
}

// Objects every namespace has, or that follow from others (and go with them).
const AUTOMATIC = new Set(['/events', 'events.k8s.io/events', '/endpoints', 'discovery.k8s.io/endpointslices']);
const isAutomatic = (kind: string, name: string) =>
  (kind === 'ServiceAccount' && name === 'default') || (kind === 'ConfigMap' && name === 'kube-root-ca.crt');

/** Up to `max` objects in the namespace that are not kloop's (its inventory excepted). */
export async function foreignObjects(
  client: KubeClient,
  mapper: RestMapper,
  namespace: string,
  inventoryName: string,
  max = 3,
): Promise<string[]> {
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
      if (isAutomatic(r.kind, name) || (r.kind === 'ConfigMap' && name === inventoryName)) continue;
      found.push(`${r.kind.toLowerCase()}/${name}`);
      if (found.length >= max) return found;
    }
  }
  return found;
}
