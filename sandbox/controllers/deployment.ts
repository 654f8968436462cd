// Deployment → ReplicaSets: one ReplicaSet per distinct pod template (named by its hash), rolling
// updates within maxSurge/maxUnavailable or Recreate, revision annotations, history cleanup,
// and the status fields `kubectl rollout status` and `helm --wait` read.
import type { KubeObject } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import { eventRecorder, type Recorder } from './events.ts';
import {
  canonical,
  condition,
  type Controller,
  DEPLOYMENTS,
  type Obj,
  ownedBy,
  ownerRef,
  PODS,
  REPLICASETS,
  templateHash,
  writeStatus,
} from './runtime.ts';

const REVISION = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';

export function deploymentController(store: MemoryStore): Controller {
  const record = eventRecorder(store, 'deployment-controller');
  return {
    name: 'deployment',
    watches: ['apps/deployments', 'apps/replicasets'],
    reconcile() {
      for (const d of store.list(DEPLOYMENTS, undefined)) {
        if (!d.metadata.deletionTimestamp) reconcileDeployment(store, d, record);
      }
    },
  };
}

/** "25%" of n, rounded up (surge) or down (unavailable); integers as they are. */
export function resolveIntOrPercent(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const text = String(value ?? '0');
  if (text.endsWith('%')) {
    const exact = (Number(text.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(exact) : Math.floor(exact);
  }
  return Number(text) || 0;
}

/** Annotations the real controller copies from a Deployment to its new ReplicaSet. */
function copiedAnnotations(d: KubeObject): Record<string, string> {
  const skip = new Set([
    REVISION,
    'kubectl.kubernetes.io/last-applied-configuration',
    'deployment.kubernetes.io/revision-history',
  ]);
  return Object.fromEntries(
    Object.entries(d.metadata.annotations ?? {}).filter(
      ([k]) => !skip.has(k) && !k.startsWith('deployment.kubernetes.io/'),
    ),
  );
}

function withoutHash(template: Obj): Obj {
  const copy = structuredClone(template);
  const labels = (copy.metadata as Obj | undefined)?.labels as Record<string, string> | undefined;
  if (labels) delete labels[HASH];
  return copy;
}

const replicasOf = (rs: KubeObject) => Number((rs.spec as Obj).replicas ?? 0);
const statusOf = (rs: KubeObject, key: string) => Number(((rs.status ?? {}) as Obj)[key] ?? 0);
const revisionOf = (rs: KubeObject) => Number(rs.metadata.annotations?.[REVISION] ?? 0);

function scaleReplicaSet(
  store: MemoryStore,
  record: Recorder,
  d: KubeObject,
  rs: KubeObject,
  replicas: number,
  maxSurge: number,
): KubeObject {
  const desired = String((d.spec as Obj).replicas);
  const max = String(Number((d.spec as Obj).replicas) + maxSurge);
  const annotations = rs.metadata.annotations ?? {};
  if (
    replicasOf(rs) === replicas &&
    annotations['deployment.kubernetes.io/desired-replicas'] === desired &&
    annotations['deployment.kubernetes.io/max-replicas'] === max
  ) {
    return rs;
  }
  const next = structuredClone(rs);
  (next.spec as Obj).replicas = replicas;
  const from = replicasOf(rs);
  if (from !== replicas) {
    const verb = replicas > from ? 'up' : 'down';
    record(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
    );
  }
  next.metadata.annotations = {
    ...annotations,
    'deployment.kubernetes.io/desired-replicas': desired,
    'deployment.kubernetes.io/max-replicas': max,
  };
  return store.update(REPLICASETS, next);
}

function reconcileDeployment(store: MemoryStore, d: KubeObject, record: Recorder): void {
  const setReplicas = (d: KubeObject, rs: KubeObject, replicas: number, surge: number) =>
    scaleReplicaSet(store, record, d, rs, replicas, surge);
  const spec = d.spec as Obj;
  const ns = d.metadata.namespace;
  const replicas = Number(spec.replicas ?? 1);
  const template = spec.template as Obj;
  const owned = store.list(REPLICASETS, ns).filter((rs) => ownedBy(rs, d));
  const wanted = canonical(template);
  let newRS = owned.find((rs) => canonical(withoutHash((rs.spec as Obj).template as Obj)) === wanted);
  const olds = () => owned.filter((rs) => rs !== newRS);
  const maxRevision = Math.max(0, ...owned.map(revisionOf));
  const strategy = (spec.strategy ?? {}) as Obj;
  const rolling = strategy.type !== 'Recreate';
  const ru = (strategy.rollingUpdate ?? {}) as Obj;
  let maxSurge = rolling ? resolveIntOrPercent(ru.maxSurge ?? '25%', replicas, true) : 0;
  let maxUnavailable = rolling ? resolveIntOrPercent(ru.maxUnavailable ?? '25%', replicas, false) : 0;
  if (rolling && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  if (!rolling) maxSurge = 0;

  if (spec.paused) {
    updateStatus(store, d, owned, newRS, maxUnavailable);
    return;
  }

  if (!newRS) {
    const hash = templateHash(template);
    const rsTemplate = structuredClone(template);
    rsTemplate.metadata ??= {};
    const tmeta = rsTemplate.metadata as Obj;
    tmeta.labels = { ...((tmeta.labels as Obj) ?? {}), [HASH]: hash };
    const selector = structuredClone((spec.selector ?? {}) as Obj);
    selector.matchLabels = { ...((selector.matchLabels as Obj) ?? {}), [HASH]: hash };
    const anyOld = olds().some((rs) => replicasOf(rs) > 0);
    const initial = anyOld ? (rolling ? 0 : 0) : replicas;
    newRS = store.create(REPLICASETS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: ns,
        labels: { ...((tmeta.labels as Record<string, string>) ?? {}) },
        annotations: {
          ...copiedAnnotations(d),
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge),
          [REVISION]: String(maxRevision + 1),
        },
        ownerReferences: [ownerRef(d)],
      },
      spec: { replicas: initial, minReadySeconds: spec.minReadySeconds ?? 0, selector, template: rsTemplate },
    });
    if (initial > 0) {
      record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${newRS.metadata.name} from 0 to ${initial}`);
    }
    owned.push(newRS);
  } else if (revisionOf(newRS) < maxRevision) {
    // A rollback to an older template: it becomes the newest revision again.
    const next = structuredClone(newRS);
    next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: String(maxRevision + 1) };
    newRS = store.update(REPLICASETS, next);
    owned.splice(
      owned.findIndex((rs) => rs.metadata.uid === newRS!.metadata.uid),
      1,
      newRS,
    );
  }

  // The new ReplicaSet carries the Deployment's annotations (change-cause for rollout history).
  const copied = copiedAnnotations(d);
  if (Object.entries(copied).some(([k, v]) => newRS!.metadata.annotations?.[k] !== v)) {
    const next = structuredClone(newRS);
    next.metadata.annotations = { ...next.metadata.annotations, ...copied };
    newRS = store.update(REPLICASETS, next);
    owned.splice(
      owned.findIndex((rs) => rs.metadata.uid === newRS!.metadata.uid),
      1,
      newRS,
    );
  }

  const revision = newRS.metadata.annotations?.[REVISION];
  if (d.metadata.annotations?.[REVISION] !== revision) {
    const next = structuredClone(d);
    next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: String(revision) };
    d = store.update(DEPLOYMENTS, next);
  }

  const oldSets = olds();
  if (oldSets.every((rs) => replicasOf(rs) === 0)) {
    newRS = setReplicas(d, newRS, replicas, maxSurge);
  } else if (!rolling) {
    for (const rs of oldSets) setReplicas(d, rs, 0, 0);
    const oldPods = store.list(PODS, ns).filter((p) => oldSets.some((rs) => ownedBy(p, rs)));
    if (oldPods.length === 0) newRS = setReplicas(d, newRS, replicas, 0);
  } else {
    // Scale up the new set within the surge budget.
    const all = owned.map((rs) => (rs === newRS ? newRS : rs));
    const total = all.reduce((n, rs) => n + replicasOf(rs), 0);
    const room = replicas + maxSurge - total;
    if (room > 0 && replicasOf(newRS) < replicas) {
      newRS = setReplicas(d, newRS, Math.min(replicas, replicasOf(newRS) + room), maxSurge);
    } else if (replicasOf(newRS) > replicas) newRS = setReplicas(d, newRS, replicas, maxSurge);
    // Scale old sets down as far as availability allows, counting pods that exist (status), as
    // the real controller does: first old pods that are not available, then available ones.
    const minAvailable = replicas - maxUnavailable;
    const newUnavailable = Math.max(0, replicasOf(newRS) - statusOf(newRS, 'availableReplicas'));
    const allPods = oldSets.reduce((n, rs) => n + statusOf(rs, 'replicas'), 0) + statusOf(newRS, 'replicas');
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown > 0) {
      const sorted = [...oldSets].sort((a, b) => revisionOf(a) - revisionOf(b));
      let cleaned = 0;
      for (const rs of sorted) {
        const unhealthy = replicasOf(rs) - statusOf(rs, 'availableReplicas');
        const cut = Math.min(maxScaledDown - cleaned, unhealthy);
        if (cut <= 0) continue;
        setReplicas(d, rs, replicasOf(rs) - cut, maxSurge);
        (rs.spec as Obj).replicas = replicasOf(rs) - cut;
        cleaned += cut;
      }
      const available =
        oldSets.reduce((n, rs) => n + statusOf(rs, 'availableReplicas'), 0) + statusOf(newRS, 'availableReplicas');
      let budget = Math.min(available - minAvailable, maxScaledDown - cleaned);
      for (const rs of sorted) {
        if (budget <= 0) break;
        const cut = Math.min(budget, replicasOf(rs));
        if (cut > 0) {
          setReplicas(d, rs, replicasOf(rs) - cut, maxSurge);
          budget -= cut;
        }
      }
    }
  }

  // Revision history: old sets scaled to zero beyond revisionHistoryLimit are removed.
  const limit = Number(spec.revisionHistoryLimit ?? 10);
  const fresh = store.list(REPLICASETS, ns).filter((rs) => ownedBy(rs, d));
  const idle = fresh
    .filter((rs) => rs.metadata.uid !== newRS!.metadata.uid && replicasOf(rs) === 0 && statusOf(rs, 'replicas') === 0)
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
    store.delete(REPLICASETS, ns, rs.metadata.name!, { propagationPolicy: 'Background' });
  }
  updateStatus(store, d, fresh, newRS, maxUnavailable);
}

/**
 * The Progressing condition: its lastUpdateTime moves whenever the rollout makes progress; with
 * none for progressDeadlineSeconds it turns False with ProgressDeadlineExceeded (rollout status fails).
 */
function progressing(d: KubeObject, complete: boolean, rsName: string, counts: number[]): Obj {
  const previousStatus = (d.status ?? {}) as Obj;
  const previous = ((previousStatus.conditions ?? []) as Obj[]).find((c) => c.type === 'Progressing');
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  if (complete) {
    return condition(
      'Progressing',
      true,
      'NewReplicaSetAvailable',
      `ReplicaSet "${rsName}" has successfully progressed.`,
      previous ? [previous] : [],
    );
  }
  const before = ['updatedReplicas', 'replicas', 'availableReplicas', 'readyReplicas'].map((k) =>
    Number(previousStatus[k] ?? 0),
  );
  const moved =
    !previous ||
    previous.reason === 'NewReplicaSetAvailable' ||
    previousStatus.observedGeneration !== d.metadata.generation ||
    before.some((n, i) => n !== counts[i]) ||
    !String(previous.message ?? '').includes(`"${rsName}"`);
  const deadline = Number((d.spec as Obj).progressDeadlineSeconds ?? 600);
  const lastProgress = moved ? now : String(previous.lastUpdateTime ?? now);
  const exceeded = previous?.reason === 'ProgressDeadlineExceeded';
  if (!moved && (exceeded || Date.now() - Date.parse(lastProgress) > deadline * 1000)) {
    return {
      type: 'Progressing',
      status: 'False',
      lastUpdateTime: previous.status === 'False' ? previous.lastUpdateTime : now,
      lastTransitionTime: previous.status === 'False' ? previous.lastTransitionTime : now,
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${rsName}" has timed out progressing.`,
    };
  }
  return {
    type: 'Progressing',
    status: 'True',
    lastUpdateTime: lastProgress,
    lastTransitionTime: previous?.status === 'True' ? previous.lastTransitionTime : now,
    reason: 'ReplicaSetUpdated',
    message: `ReplicaSet "${rsName}" is progressing.`,
  };
}

function updateStatus(
  store: MemoryStore,
  d: KubeObject,
  sets: KubeObject[],
  newRS: KubeObject | undefined,
  maxUnavailable: number,
): void {
  const current = store.get(DEPLOYMENTS, d.metadata.namespace, d.metadata.name!);
  if (!current) return;
  const spec = current.spec as Obj;
  const replicas = Number(spec.replicas ?? 1);
  const live = sets
    .map((rs) => store.get(REPLICASETS, rs.metadata.namespace, rs.metadata.name!))
    .filter((rs) => rs !== undefined);
  const newLive = newRS ? live.find((rs) => rs.metadata.uid === newRS.metadata.uid) : undefined;
  const sum = (key: string) => live.reduce((n, rs) => n + statusOf(rs, key), 0);
  const total = sum('replicas');
  const available = sum('availableReplicas');
  const updated = newLive ? statusOf(newLive, 'replicas') : 0;
  const previous = ((current.status as Obj | undefined)?.conditions ?? []) as Obj[];
  const complete =
    updated === replicas &&
    total === replicas &&
    available >= replicas &&
    (newLive ? statusOf(newLive, 'availableReplicas') >= replicas : replicas === 0);
  const status: Obj = {
    observedGeneration: current.metadata.generation,
    replicas: total,
    updatedReplicas: updated,
    readyReplicas: sum('readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available, replicas - available),
    conditions: [
      available >= replicas - maxUnavailable
        ? condition('Available', true, 'MinimumReplicasAvailable', 'Deployment has minimum availability.', previous)
        : condition(
            'Available',
            false,
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
            previous,
          ),
      progressing(current, complete, newLive?.metadata.name ?? '', [updated, total, available, sum('readyReplicas')]),
    ],
  };
  for (const key of ['readyReplicas', 'availableReplicas', 'unavailableReplicas', 'updatedReplicas', 'replicas']) {
    if (status[key] === 0) delete status[key];
  }
  writeStatus(store, DEPLOYMENTS, current, status);
}
