// Is an object ready? Pure rules over the object's status, the same as `kubectl rollout status`
// (Deployment, StatefulSet, DaemonSet), `kubectl wait --for=condition=complete` (Job), a Pod's
// Ready condition, and a CRD's Established condition. Kinds without a rule are ready once applied.
import type { KubeObject } from './types.ts';

export interface Readiness {
  ready: boolean;
  /** the object can no longer become ready (a failed Job, a deadline exceeded) */
  failed?: boolean;
  /** what it waits for, or why it failed */
  message: string;
}

type Condition = { type?: string; status?: string; reason?: string; message?: string };

function condition(obj: KubeObject, type: string): Condition | undefined {
  const list = (obj.status?.conditions ?? []) as Condition[];
  return list.find((c) => c.type === type);
}

const ready = (message = 'ready'): Readiness => ({ ready: true, message });
const waiting = (message: string): Readiness => ({ ready: false, message });
const failed = (message: string): Readiness => ({ ready: false, failed: true, message });

function observed(obj: KubeObject): boolean {
  const generation = obj.metadata.generation ?? 0;
  const seen = obj.status?.observedGeneration ?? 0;
  return generation <= seen && seen > 0;
}

function deployment(obj: KubeObject): Readiness {
  if (!observed(obj)) return waiting('waiting for the rollout to start');
  const progressing = condition(obj, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return failed(`rollout exceeded its progress deadline: ${progressing.message ?? ''}`.trim());
  const want = obj.spec?.replicas ?? 1;
  const s = obj.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  const replicas = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (updated < want) return waiting(`${updated} of ${want} new replicas updated`);
  if (replicas > updated) return waiting(`${replicas - updated} old replicas pending termination`);
  if (available < updated) return waiting(`${available} of ${updated} updated replicas available`);
  return ready(`${available}/${want} available`);
}

function statefulSet(obj: KubeObject): Readiness {
  if ((obj.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate')
    return ready('no rolling update to wait for');
  if (!observed(obj)) return waiting('waiting for the rollout to start');
  const want = obj.spec?.replicas ?? 1;
  const s = obj.status ?? {};
  if ((s.readyReplicas ?? 0) < want) return waiting(`${s.readyReplicas ?? 0} of ${want} pods ready`);
  const partition = obj.spec?.updateStrategy?.rollingUpdate?.partition;
  if (typeof partition === 'number' && partition > 0) {
    if ((s.updatedReplicas ?? 0) < want - partition)
      return waiting(`${s.updatedReplicas ?? 0} of ${want - partition} pods updated`);
    return ready(`${want - partition} pods updated (partitioned roll out)`);
  }
  if (s.updateRevision && s.currentRevision !== s.updateRevision)
    return waiting(
      `rolling update in progress: ${s.updatedReplicas ?? 0} of ${want} pods at revision ${s.updateRevision}`,
    );
  return ready(`${s.readyReplicas ?? 0}/${want} ready`);
}

function daemonSet(obj: KubeObject): Readiness {
  if ((obj.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate')
    return ready('no rolling update to wait for');
  if (!observed(obj)) return waiting('waiting for the rollout to start');
  const s = obj.status ?? {};
  const desired = s.desiredNumberScheduled ?? 0;
  if ((s.updatedNumberScheduled ?? 0) < desired)
    return waiting(`${s.updatedNumberScheduled ?? 0} of ${desired} updated pods scheduled`);
  if ((s.numberAvailable ?? 0) < desired)
    return waiting(`${s.numberAvailable ?? 0} of ${desired} updated pods available`);
  return ready(`${s.numberAvailable ?? 0}/${desired} available`);
}

function job(obj: KubeObject): Readiness {
  const failedCond = condition(obj, 'Failed');
  if (failedCond?.status === 'True')
    return failed(
      `job failed: ${failedCond.reason ?? ''}${failedCond.message ? ` (${failedCond.message})` : ''}`.trim(),
    );
  if (condition(obj, 'Complete')?.status === 'True') return ready('complete');
  const want = obj.spec?.completions ?? 1;
  const s = obj.status ?? {};
  return waiting(`${s.succeeded ?? 0} of ${want} completions${s.failed ? `, ${s.failed} failed pods` : ''}`);
}

function pod(obj: KubeObject): Readiness {
  const phase = obj.status?.phase;
  if (phase === 'Succeeded') return ready('succeeded');
  if (phase === 'Failed') return failed(`pod failed${obj.status?.reason ? `: ${obj.status.reason}` : ''}`);
  if (condition(obj, 'Ready')?.status === 'True') return ready('ready');
  return waiting(`${phase ?? 'Pending'}, not ready`);
}

function crd(obj: KubeObject): Readiness {
  return condition(obj, 'Established')?.status === 'True' ? ready('established') : waiting('not established yet');
}

const rules: Record<string, (obj: KubeObject) => Readiness> = {
  'apps/Deployment': deployment,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'batch/Job': job,
  '/Pod': pod,
  'apiextensions.k8s.io/CustomResourceDefinition': crd,
};

function groupKind(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const slash = obj.apiVersion.indexOf('/');
  return `${slash < 0 ? '' : obj.apiVersion.slice(0, slash)}/${obj.kind}`;
}

/** Whether kloop waits for this kind at all. */
export function hasReadinessRule(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return groupKind(obj) in rules;
}

/** Kinds whose pods tell why they are not ready. */
export function hasPods(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return ['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'batch/Job', '/Pod'].includes(groupKind(obj));
}

export function readiness(obj: KubeObject): Readiness {
  const rule = rules[groupKind(obj)];
  return rule ? rule(obj) : ready('applied');
}
