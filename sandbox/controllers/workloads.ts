// DaemonSet (one node), Job and CronJob basics; StatefulSet lives in its own file.
import type { KubeObject } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import { NODE_NAME } from '../server/admission.ts';
import {
  condition,
  type Controller,
  CRONJOBS,
  DAEMONSETS,
  isActivePod,
  isPodReady,
  JOBS,
  type Obj,
  ownedBy,
  ownerRef,
  PODS,
  podFromTemplate,
  podPhase,
  templateHash,
  writeStatus,
} from './runtime.ts';
import { statefulSetController } from './statefulset.ts';
import { lastScheduleBefore } from './cron.ts';
import { syncRevision } from './revisions.ts';
import { eventRecorder, type Recorder } from './events.ts';

export function workloadControllers(store: MemoryStore): Controller[] {
  return [statefulSetController(store), daemonSetController(store), jobController(store), cronJobController(store)];
}

function daemonSetController(store: MemoryStore): Controller {
  const record = eventRecorder(store, 'daemonset-controller');
  return {
    name: 'daemonset',
    watches: ['apps/daemonsets', '/pods'],
    reconcile() {
      for (const ds of store.list(DAEMONSETS, undefined)) {
        if (ds.metadata.deletionTimestamp) continue;
        const spec = ds.spec as Obj;
        const ns = ds.metadata.namespace!;
        const hash = templateHash(spec.template);
        syncRevision(store, ds, `${ds.metadata.name}-${hash}`, hash);
        const pods = store.list(PODS, ns).filter((p) => ownedBy(p, ds) && isActivePod(p));
        if (pods.length === 0) {
          const pod = podFromTemplate(
            spec.template as Obj,
            ds,
            { generateName: `${ds.metadata.name}-` },
            {
              'controller-revision-hash': hash,
              'pod-template-generation': String(ds.metadata.generation ?? 1),
            },
          );
          (pod.spec as Obj).nodeName = NODE_NAME;
          const created = store.create(PODS, pod);
          record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        }
        for (const p of pods.slice(1)) store.delete(PODS, ns, p.metadata.name!, {});
        const outdated = pods.find((p) => p.metadata.labels?.['controller-revision-hash'] !== hash);
        if (outdated && !outdated.metadata.deletionTimestamp) store.delete(PODS, ns, outdated.metadata.name!, {});
        const live = store.get(DAEMONSETS, ns, ds.metadata.name!);
        if (!live) continue;
        const now = store.list(PODS, ns).filter((p) => ownedBy(p, ds) && isActivePod(p));
        const ready = now.filter(isPodReady).length;
        const updated = now.filter((p) => p.metadata.labels?.['controller-revision-hash'] === hash).length;
        writeStatus(store, DAEMONSETS, live, {
          observedGeneration: live.metadata.generation,
          desiredNumberScheduled: 1,
          currentNumberScheduled: now.length,
          numberMisscheduled: 0,
          numberReady: ready,
          numberAvailable: ready,
          ...(ready < 1 ? { numberUnavailable: 1 - ready } : {}),
          updatedNumberScheduled: updated,
        });
      }
    },
  };
}

function jobController(store: MemoryStore): Controller {
  const record = eventRecorder(store, 'job-controller');
  return {
    name: 'job',
    watches: ['batch/jobs', '/pods'],
    reconcile() {
      for (const job of store.list(JOBS, undefined))
        if (!job.metadata.deletionTimestamp) reconcileJob(store, job, record);
    },
  };
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function reconcileJob(store: MemoryStore, job: KubeObject, record: Recorder): void {
  const spec = job.spec as Obj;
  const status = (job.status ?? {}) as Obj;
  const ns = job.metadata.namespace!;
  const conditions = (status.conditions ?? []) as Obj[];
  const finished = conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (finished) {
    const ttl = spec.ttlSecondsAfterFinished;
    const at = Date.parse(String(status.completionTime ?? finished.lastTransitionTime));
    if (typeof ttl === 'number' && Date.now() >= at + ttl * 1000) {
      store.delete(JOBS, ns, job.metadata.name!, { propagationPolicy: 'Background' });
    }
    return;
  }
  const pods = store.list(PODS, ns).filter((p) => ownedBy(p, job));
  const active = pods.filter(isActivePod);
  const succeeded = pods.filter((p) => podPhase(p) === 'Succeeded').length;
  const failed = pods.filter((p) => podPhase(p) === 'Failed').length;
  const completions = Number(spec.completions ?? 1);
  const parallelism = Number(spec.parallelism ?? 1);
  const startTime = String(status.startTime ?? now());
  const deadline = spec.activeDeadlineSeconds;
  const next: Obj = { startTime, active: active.length, ready: active.filter(isPodReady).length, terminating: 0 };
  if (succeeded) next.succeeded = succeeded;
  if (failed) next.failed = failed;
  let outcome: Obj[] | undefined;
  if (succeeded >= completions) {
    next.completionTime = now();
    outcome = [
      condition('SuccessCriteriaMet', true, 'CompletionsReached', 'Reached expected number of succeeded pods'),
      condition('Complete', true, 'CompletionsReached', 'Reached expected number of succeeded pods'),
    ];
  } else if (failed > Number(spec.backoffLimit ?? 6)) {
    outcome = [
      condition('FailureTarget', true, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      condition('Failed', true, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
    ];
  } else if (typeof deadline === 'number' && Date.now() > Date.parse(startTime) + deadline * 1000) {
    outcome = [
      condition('FailureTarget', true, 'DeadlineExceeded', 'Job was active longer than specified deadline'),
      condition('Failed', true, 'DeadlineExceeded', 'Job was active longer than specified deadline'),
    ];
  }
  if (outcome) {
    for (const p of active) store.delete(PODS, ns, p.metadata.name!, {});
    const failedCondition = outcome.find((c) => c.type === 'Failed');
    if (failedCondition) record(job, 'Warning', String(failedCondition.reason), String(failedCondition.message));
    else record(job, 'Normal', 'Completed', 'Job completed');
    next.active = 0;
    next.conditions = outcome.map(({ lastUpdateTime: _u, ...c }) => ({ ...c, lastProbeTime: c.lastTransitionTime }));
  } else if (!spec.suspend) {
    const want = Math.min(parallelism, completions - succeeded) - active.length;
    for (let i = 0; i < want; i++) {
      const pod = store.create(
        PODS,
        podFromTemplate(spec.template as Obj, job, { generateName: `${job.metadata.name}-` }),
      );
      record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
    }
  }
  const live = store.get(JOBS, ns, job.metadata.name!);
  if (live)
    writeStatus(store, JOBS, live, {
      ...next,
      ...(outcome ? {} : { active: store.list(PODS, ns).filter((p) => ownedBy(p, job) && isActivePod(p)).length }),
    });
}

function cronJobController(store: MemoryStore): Controller {
  const record = eventRecorder(store, 'cronjob-controller');
  return {
    name: 'cronjob',
    watches: ['batch/cronjobs', 'batch/jobs'],
    reconcile() {
      for (const cj of store.list(CRONJOBS, undefined)) {
        if (cj.metadata.deletionTimestamp) continue;
        const spec = cj.spec as Obj;
        const status = (cj.status ?? {}) as Obj;
        const ns = cj.metadata.namespace!;
        const jobs = store.list(JOBS, ns).filter((j) => ownedBy(j, cj));
        const isDone = (j: KubeObject) =>
          ((j.status as Obj | undefined)?.conditions as Obj[] | undefined)?.some(
            (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
          );
        const running = jobs.filter((j) => !isDone(j));
        const since = Date.parse(String(status.lastScheduleTime ?? cj.metadata.creationTimestamp));
        const due = spec.suspend ? undefined : lastScheduleBefore(String(spec.schedule), since, Date.now());
        let lastScheduleTime = status.lastScheduleTime;
        if (due !== undefined) {
          const policy = spec.concurrencyPolicy ?? 'Allow';
          if (!(policy === 'Forbid' && running.length > 0)) {
            if (policy === 'Replace')
              for (const j of running) store.delete(JOBS, ns, j.metadata.name!, { propagationPolicy: 'Background' });
            const template = (spec.jobTemplate ?? {}) as Obj;
            const meta = (template.metadata ?? {}) as Obj;
            const name = `${cj.metadata.name}-${Math.floor(due / 60000)}`;
            if (!store.get(JOBS, ns, name)) {
              store.create(JOBS, {
                apiVersion: 'batch/v1',
                kind: 'Job',
                metadata: {
                  name,
                  namespace: ns,
                  labels: (meta.labels as Record<string, string>) ?? {},
                  annotations: {
                    ...((meta.annotations as Record<string, string>) ?? {}),
                    'batch.kubernetes.io/cronjob-scheduled-timestamp': new Date(due).toISOString(),
                  },
                  ownerReferences: [ownerRef(cj)],
                },
                spec: structuredClone(template.spec ?? {}),
              });
              record(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
            }
            lastScheduleTime = new Date(due).toISOString().replace(/\.\d+Z$/, 'Z');
          }
        }
        // History limits.
        const finishedJobs = jobs
          .filter(isDone)
          .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
        const ok = finishedJobs.filter((j) =>
          ((j.status as Obj).conditions as Obj[]).some((c) => c.type === 'Complete'),
        );
        const bad = finishedJobs.filter((j) => !ok.includes(j));
        for (const [list, limit] of [
          [ok, spec.successfulJobsHistoryLimit ?? 3],
          [bad, spec.failedJobsHistoryLimit ?? 1],
        ] as const) {
          for (const j of list.slice(0, Math.max(0, list.length - Number(limit)))) {
            store.delete(JOBS, ns, j.metadata.name!, { propagationPolicy: 'Background' });
          }
        }
        const live = store.get(CRONJOBS, ns, cj.metadata.name!);
        if (!live) continue;
        const stillRunning = store.list(JOBS, ns).filter((j) => ownedBy(j, cj) && !isDone(j));
        const lastOk = ok.at(-1)?.status as Obj | undefined;
        writeStatus(store, CRONJOBS, live, {
          ...(stillRunning.length
            ? {
                active: stillRunning.map((j) => ({
                  kind: 'Job',
                  namespace: ns,
                  name: j.metadata.name,
                  uid: j.metadata.uid,
                  apiVersion: 'batch/v1',
                })),
              }
            : {}),
          ...(lastScheduleTime ? { lastScheduleTime } : {}),
          ...(lastOk?.completionTime ? { lastSuccessfulTime: lastOk.completionTime } : {}),
        });
      }
    },
  };
}
