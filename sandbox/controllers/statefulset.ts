// StatefulSet: pods <name>-<ordinal> created in order (OrderedReady) or at once (Parallel),
// claims from volumeClaimTemplates, rolling updates from the highest ordinal down.
import type { KubeObject } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import { eventRecorder, type Recorder } from './events.ts';
import { syncRevision } from './revisions.ts';
import {
  type Controller,
  isActivePod,
  isPodReady,
  type Obj,
  ownedBy,
  ownerRef,
  PODS,
  podFromTemplate,
  PVCS,
  STATEFULSETS,
  templateHash,
  writeStatus,
} from './runtime.ts';

const REVISION_LABEL = 'controller-revision-hash';

export function statefulSetController(store: MemoryStore): Controller {
  const record = eventRecorder(store, 'statefulset-controller');
  return {
    name: 'statefulset',
    watches: ['apps/statefulsets', '/pods'],
    reconcile() {
      for (const sts of store.list(STATEFULSETS, undefined)) {
        if (!sts.metadata.deletionTimestamp) reconcile(store, sts, record);
      }
    },
  };
}

function reconcile(store: MemoryStore, sts: KubeObject, record: Recorder): void {
  const spec = sts.spec as Obj;
  const ns = sts.metadata.namespace!;
  const name = sts.metadata.name!;
  const replicas = Number(spec.replicas ?? 1);
  const hash = templateHash(spec.template);
  const revision = `${name}-${hash}`;
  syncRevision(store, sts, revision, hash);
  const parallel = spec.podManagementPolicy === 'Parallel';
  const partition = Number(((spec.updateStrategy as Obj)?.rollingUpdate as Obj | undefined)?.partition ?? 0);
  const onDelete = (spec.updateStrategy as Obj | undefined)?.type === 'OnDelete';
  const pods = store.list(PODS, ns).filter((p) => ownedBy(p, sts));
  const byOrdinal = new Map<number, KubeObject>();
  for (const p of pods) byOrdinal.set(Number(p.metadata.name!.slice(name.length + 1)), p);

  // Create missing ordinals.
  for (let i = 0; i < replicas; i++) {
    const existing = byOrdinal.get(i);
    if (existing) {
      if (!parallel && (!isPodReady(existing) || existing.metadata.deletionTimestamp)) break;
      continue;
    }
    const template = structuredClone(spec.template as Obj);
    template.spec ??= {};
    const podSpec = template.spec as Obj;
    const volumes = ((podSpec.volumes ?? []) as Obj[]).slice();
    for (const claim of (spec.volumeClaimTemplates ?? []) as KubeObject[]) {
      const claimName = `${claim.metadata.name}-${name}-${i}`;
      if (!store.get(PVCS, ns, claimName)) {
        store.create(PVCS, {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: claimName,
            namespace: ns,
            labels: { ...(((spec.selector as Obj)?.matchLabels as Record<string, string>) ?? {}) },
          },
          spec: structuredClone(claim.spec ?? {}),
        });
      }
      if (!volumes.some((v) => v.name === claim.metadata.name)) {
        volumes.push({ name: claim.metadata.name, persistentVolumeClaim: { claimName } });
      }
    }
    if (volumes.length > 0) podSpec.volumes = volumes;
    podSpec.hostname = `${name}-${i}`;
    if (spec.serviceName) podSpec.subdomain = spec.serviceName;
    store.create(
      PODS,
      podFromTemplate(
        template,
        sts,
        { name: `${name}-${i}` },
        {
          [REVISION_LABEL]: revision,
          'statefulset.kubernetes.io/pod-name': `${name}-${i}`,
          'apps.kubernetes.io/pod-index': String(i),
        },
      ),
    );
    record(sts, 'Normal', 'SuccessfulCreate', `create Pod ${name}-${i} in StatefulSet ${name} successful`);
    if (!parallel) break;
  }
  // Remove ordinals beyond replicas, highest first.
  const extra = [...byOrdinal.keys()].filter((i) => i >= replicas).sort((a, b) => b - a);
  for (const i of parallel ? extra : extra.slice(0, 1)) {
    const pod = byOrdinal.get(i)!;
    if (!pod.metadata.deletionTimestamp) store.delete(PODS, ns, pod.metadata.name!, {});
  }
  // Rolling update: once everything is ready, replace the highest outdated ordinal.
  const current = [...byOrdinal.entries()].filter(([i]) => i < replicas);
  const allReady =
    current.length === replicas && current.every(([, p]) => isPodReady(p) && !p.metadata.deletionTimestamp);
  if (allReady && !onDelete) {
    const outdated = current
      .filter(([i, p]) => i >= partition && p.metadata.labels?.[REVISION_LABEL] !== revision)
      .sort((a, b) => b[0] - a[0]);
    if (outdated[0]) store.delete(PODS, ns, outdated[0][1].metadata.name!, {});
  }

  const live = store.get(STATEFULSETS, ns, name);
  if (!live) return;
  const active = store.list(PODS, ns).filter((p) => ownedBy(p, sts) && isActivePod(p));
  const updated = active.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length;
  const ready = active.filter(isPodReady).length;
  const previous = (live.status ?? {}) as Obj;
  const done = updated === replicas && active.length === replicas;
  const currentRevision = done || !previous.currentRevision ? revision : String(previous.currentRevision);
  writeStatus(store, STATEFULSETS, live, {
    observedGeneration: live.metadata.generation,
    replicas: active.length,
    readyReplicas: ready,
    availableReplicas: ready,
    currentReplicas: done
      ? updated
      : active.filter((p) => p.metadata.labels?.[REVISION_LABEL] === currentRevision).length,
    updatedReplicas: updated,
    currentRevision,
    updateRevision: revision,
    collisionCount: 0,
  });
  void ownerRef;
}
