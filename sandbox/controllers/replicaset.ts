// ReplicaSet: keeps spec.replicas active pods, and reports replicas/ready/available.
import type { KubeObject } from '../contract.ts';
import { selectorFromObject } from '../store/selectors.ts';
import type { MemoryStore } from '../store/store.ts';
import { eventRecorder, type Recorder } from './events.ts';
import {
  type Controller,
  isActivePod,
  isPodReady,
  type Obj,
  ownedBy,
  PODS,
  podFromTemplate,
  REPLICASETS,
  writeStatus,
} from './runtime.ts';

function readySince(pod: KubeObject): number {
  const conditions = ((pod.status as Obj | undefined)?.conditions ?? []) as Obj[];
  const ready = conditions.find((c) => c.type === 'Ready');
  return Date.parse(String(ready?.lastTransitionTime ?? '')) || 0;
}

export function replicaSetController(store: MemoryStore): Controller {
  const record = eventRecorder(store, 'replicaset-controller');
  return {
    name: 'replicaset',
    watches: ['apps/replicasets', '/pods'],
    reconcile() {
      const pods = store.list(PODS, undefined);
      for (const rs of store.list(REPLICASETS, undefined)) reconcileReplicaSet(store, rs, pods, record);
    },
  };
}

function reconcileReplicaSet(store: MemoryStore, rs: KubeObject, allPods: KubeObject[], record: Recorder): void {
  const spec = rs.spec as Obj;
  const selector = selectorFromObject(spec.selector);
  const owned = allPods.filter((p) => p.metadata.namespace === rs.metadata.namespace && ownedBy(p, rs));
  const active = owned.filter(isActivePod);
  const wanted = rs.metadata.deletionTimestamp ? active.length : Number(spec.replicas ?? 1);
  if (active.length < wanted) {
    for (let i = active.length; i < wanted; i++) {
      const pod = store.create(
        PODS,
        podFromTemplate(spec.template as Obj, rs, { generateName: `${rs.metadata.name}-` }),
      );
      record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
    }
  } else if (active.length > wanted) {
    // Not-ready and younger pods go first, as the real controller prefers.
    const victims = [...active].sort((a, b) => {
      const ready = Number(isPodReady(a)) - Number(isPodReady(b));
      if (ready !== 0) return ready;
      return String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp));
    });
    for (const pod of victims.slice(0, active.length - wanted)) {
      store.delete(PODS, pod.metadata.namespace, pod.metadata.name!, {});
      record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    }
  }
  const current = store.get(REPLICASETS, rs.metadata.namespace, rs.metadata.name!);
  if (!current) return;
  const now = store.list(PODS, rs.metadata.namespace).filter((p) => ownedBy(p, rs) && isActivePod(p));
  const ready = now.filter(isPodReady).length;
  // Available: ready for at least minReadySeconds (the 1 s controller tick re-evaluates).
  const minReady = Number(spec.minReadySeconds ?? 0) * 1000;
  const available = now.filter((p) => isPodReady(p) && Date.now() - readySince(p) >= minReady).length;
  const status: Obj = {
    replicas: now.length,
    fullyLabeledReplicas: now.filter((p) => selector(p.metadata.labels)).length,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: current.metadata.generation,
  };
  for (const key of ['readyReplicas', 'availableReplicas', 'fullyLabeledReplicas'])
    if (status[key] === 0) delete status[key];
  if (status.replicas === 0 && !(current.status as Obj | undefined)?.replicas) status.replicas = 0;
  writeStatus(store, REPLICASETS, current, status);
}
