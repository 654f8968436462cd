// Garbage collection by ownerReferences: dependents of vanished owners are deleted (background),
// owners marked foregroundDeletion wait for their dependents, `orphan` strips the references.
import type { KubeObject } from '../contract.ts';
import type { ResourceInfo } from '../server/resources.ts';
import type { MemoryStore } from '../store/store.ts';
import type { Controller } from './runtime.ts';

interface Entry {
  info: ResourceInfo;
  object: KubeObject;
}

function everything(store: MemoryStore): Entry[] {
  const seen = new Set<string>();
  const out: Entry[] = [];
  for (const info of store.registry.all()) {
    const key = `${info.group}/${info.resource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const object of store.list(info, undefined)) out.push({ info, object });
  }
  return out;
}

function withoutFinalizer(object: KubeObject, finalizer: string): KubeObject {
  const next = structuredClone(object);
  next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return next;
}

export function garbageCollector(store: MemoryStore): Controller {
  return {
    name: 'garbage-collector',
    watches: store.registry.all().map((i) => `${i.group}/${i.resource}`),
    // Only deletions and new owned objects (whose owner may be gone) give the collector work;
    // it scans everything, so pod status updates must not wake it.
    interested: (event) =>
      event.type === 'DELETED' ||
      event.object.metadata.deletionTimestamp !== undefined ||
      (event.type === 'ADDED' && (event.object.metadata.ownerReferences?.length ?? 0) > 0),
    reconcile() {
      const all = everything(store);
      const byUid = new Map(all.map((e) => [e.object.metadata.uid!, e]));
      const dependents = new Map<string, Entry[]>();
      for (const e of all) {
        for (const ref of e.object.metadata.ownerReferences ?? []) {
          dependents.set(ref.uid, [...(dependents.get(ref.uid) ?? []), e]);
        }
      }
      for (const e of all) {
        const refs = e.object.metadata.ownerReferences ?? [];
        if (refs.length === 0 || e.object.metadata.deletionTimestamp) continue;
        const owners = refs.map((r) => byUid.get(r.uid));
        const gone = owners.every((o) => o === undefined);
        const foreground = owners.some(
          (o) => o?.object.metadata.deletionTimestamp && o.object.metadata.finalizers?.includes('foregroundDeletion'),
        );
        if (gone || foreground) {
          store.delete(e.info, e.object.metadata.namespace, e.object.metadata.name!, {
            propagationPolicy: 'Background',
          });
        }
      }
      for (const e of all) {
        const meta = e.object.metadata;
        if (!meta.deletionTimestamp) continue;
        const finalizers = meta.finalizers ?? [];
        const mine = dependents.get(meta.uid!) ?? [];
        if (finalizers.includes('orphan')) {
          for (const d of mine) {
            const current = store.get(d.info, d.object.metadata.namespace, d.object.metadata.name!);
            if (!current) continue;
            current.metadata.ownerReferences = (current.metadata.ownerReferences ?? []).filter(
              (r) => r.uid !== meta.uid,
            );
            if (current.metadata.ownerReferences.length === 0) delete current.metadata.ownerReferences;
            store.update(d.info, current);
          }
          store.update(e.info, withoutFinalizer(e.object, 'orphan'));
        } else if (finalizers.includes('foregroundDeletion')) {
          const blocking = mine.filter((d) => store.get(d.info, d.object.metadata.namespace, d.object.metadata.name!));
          if (blocking.length === 0) store.update(e.info, withoutFinalizer(e.object, 'foregroundDeletion'));
        }
      }
    },
  };
}
