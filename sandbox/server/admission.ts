// What happens to every write before it is stored (defaulting, scheduling, validation, CRD
// registration) and after an object is gone (Service IPs back to the node, CRs of a removed CRD).
import type { KubeObject, Node } from '../contract.ts';
import type { Admission, MemoryStore } from '../store/store.ts';
import { applyCrdDefaults } from './crd-schema.ts';
import { applyDefaults } from './defaults.ts';
import type { ResourceInfo } from './resources.ts';
import { validate } from './validation.ts';

/** The one node's name; the API server schedules every pod onto it at creation. */
export const NODE_NAME = 'kloop-sandbox';

const SERVICEACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts' };

/**
 * The ServiceAccount admission plugin: a new pod without imagePullSecrets gets its service
 * account's. (A missing account is not refused here, unlike a cluster, which refuses the pod.)
 */
function serviceAccountPullSecrets(store: MemoryStore, pod: KubeObject): void {
  const spec = pod.spec as { serviceAccountName?: string; imagePullSecrets?: Array<{ name?: string }> };
  if (spec.imagePullSecrets?.length) return;
  const account = store.get(SERVICEACCOUNTS, pod.metadata.namespace, spec.serviceAccountName ?? 'default') as
    | { imagePullSecrets?: Array<{ name?: string }> }
    | undefined;
  const secrets = account?.imagePullSecrets?.filter((s) => s.name);
  if (secrets?.length) spec.imagePullSecrets = secrets.map((s) => ({ name: s.name }));
}

export function createAdmission(store: MemoryStore, node: () => Node): Admission {
  return {
    admit(info: ResourceInfo, object: KubeObject, old: KubeObject | undefined, dryRun?: boolean) {
      // A dry run shows the cluster IP a Service would get, but does not keep it.
      const allocate = () => {
        const ip = node().allocateServiceIP();
        if (dryRun) node().releaseServiceIP(ip);
        return ip;
      };
      if (!info.custom) applyDefaults(info.kind, info.group, object, old, allocate);
      else if (info.schema) applyCrdDefaults(info.schema, object);
      if (info.group === '' && info.resource === 'pods') {
        const spec = object.spec as { nodeName?: string };
        spec.nodeName ||= NODE_NAME;
        if (!old) serviceAccountPullSecrets(store, object);
      }
      validate(info, object);
      if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions') {
        store.registry.syncCrd(object);
      }
    },
    removed(info: ResourceInfo, object: KubeObject) {
      if (info.group === '' && info.resource === 'services') {
        const ip = (object.spec as { clusterIP?: string } | undefined)?.clusterIP;
        if (ip && ip !== 'None') node().releaseServiceIP(ip);
      }
      if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions') {
        const spec = object.spec as { group: string; versions: Array<{ name: string; served: boolean }> };
        const plural = (spec as unknown as { names: { plural: string } }).names.plural;
        const served = store.registry.all().find((i) => i.custom && i.group === spec.group && i.resource === plural);
        if (served) for (const cr of store.list(served, undefined)) store.forget(served, cr);
        store.registry.removeCrd(object);
      }
    },
  };
}
