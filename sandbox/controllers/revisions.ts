// ControllerRevisions for StatefulSets and DaemonSets: one per distinct pod template, numbered,
// holding the template as the patch `kubectl rollout undo` applies; `rollout history` lists them.
import type { KubeObject } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import { CONTROLLERREVISIONS, type Obj, ownedBy, ownerRef } from './runtime.ts';

/** Makes sure the revision `name` exists and is the newest; prunes beyond revisionHistoryLimit. */
export function syncRevision(store: MemoryStore, owner: KubeObject, name: string, hash: string): void {
  const ns = owner.metadata.namespace;
  const spec = owner.spec as Obj;
  const revisions = store.list(CONTROLLERREVISIONS, ns).filter((r) => ownedBy(r, owner));
  const newest = Math.max(0, ...revisions.map((r) => Number(r.revision ?? 0)));
  const current = revisions.find((r) => r.metadata.name === name);
  if (!current) {
    const template = structuredClone(spec.template as Obj);
    store.create(CONTROLLERREVISIONS, {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ns,
        labels: {
          ...(((template.metadata as Obj | undefined)?.labels as Record<string, string>) ?? {}),
          'controller-revision-hash': hash,
        },
        ownerReferences: [ownerRef(owner)],
      },
      data: { spec: { template: { ...template, $patch: 'replace' } } },
      revision: newest + 1,
    });
  } else if (Number(current.revision) < newest) {
    store.update(CONTROLLERREVISIONS, { ...current, revision: newest + 1 });
  }
  const limit = Number(spec.revisionHistoryLimit ?? 10);
  const old = store
    .list(CONTROLLERREVISIONS, ns)
    .filter((r) => ownedBy(r, owner) && r.metadata.name !== name)
    .sort((a, b) => Number(a.revision) - Number(b.revision));
  for (const r of old.slice(0, Math.max(0, old.length - limit)))
    store.delete(CONTROLLERREVISIONS, ns, r.metadata.name!);
}
