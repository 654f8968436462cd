// Namespace lifecycle: a terminating namespace has its contents deleted, then its "kubernetes"
// finalizer removed (which removes it); an active one gets its default ServiceAccount and CA bundle.
import type { MemoryStore } from '../store/store.ts';
import { type Controller, NAMESPACES, type Obj } from './runtime.ts';

const SERVICEACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts' };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

export function namespaceController(store: MemoryStore, caCert: string): Controller {
  return {
    name: 'namespace',
    watches: ['/namespaces', '/serviceaccounts', '/configmaps'],
    reconcile() {
      for (const ns of store.list(NAMESPACES, undefined)) {
        const name = ns.metadata.name!;
        if (!ns.metadata.deletionTimestamp) {
          if (!store.get(SERVICEACCOUNTS, name, 'default')) {
            store.create(SERVICEACCOUNTS, {
              apiVersion: 'v1',
              kind: 'ServiceAccount',
              metadata: { name: 'default', namespace: name },
            });
          }
          if (!store.get(CONFIGMAPS, name, 'kube-root-ca.crt')) {
            store.create(CONFIGMAPS, {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'kube-root-ca.crt', namespace: name },
              data: { 'ca.crt': caCert },
            });
          }
          continue;
        }
        let left = 0;
        const seen = new Set<string>();
        for (const info of store.registry.all()) {
          if (!info.namespaced || seen.has(`${info.group}/${info.resource}`)) continue;
          seen.add(`${info.group}/${info.resource}`);
          for (const object of store.list(info, name)) {
            left++;
            if (!object.metadata.deletionTimestamp) {
              store.delete(info, name, object.metadata.name!, { propagationPolicy: 'Background' });
            }
          }
        }
        if (left === 0) {
          const spec = (ns.spec ?? {}) as Obj;
          if (((spec.finalizers as string[]) ?? []).length > 0) {
            store.update(NAMESPACES, { ...ns, spec: { ...spec, finalizers: [] } }, { subresource: 'status' });
          }
        }
      }
    },
  };
}
