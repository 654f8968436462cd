// Controllers against the real store, without HTTP or Docker: the kubelet's part (pod readiness)
// is played by writing pod status the way the node side does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject, Node } from '../../../sandbox/contract.ts';
import { deploymentController } from '../../../sandbox/controllers/deployment.ts';
import { replicaSetController } from '../../../sandbox/controllers/replicaset.ts';
import { workloadControllers } from '../../../sandbox/controllers/workloads.ts';
import { createAdmission } from '../../../sandbox/server/admission.ts';
import { bootstrap } from '../../../sandbox/server/bootstrap.ts';
import { Registry } from '../../../sandbox/server/resources.ts';
import { MemoryStore } from '../../../sandbox/store/store.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' };
const CRONJOBS = { group: 'batch', version: 'v1', resource: 'cronjobs' };
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' };

function cluster() {
  const store = new MemoryStore(new Registry());
  let ip = 1;
  const node = { allocateServiceIP: () => `10.0.128.${ip++}`, releaseServiceIP: () => {} } as unknown as Node;
  store.admission = createAdmission(store, () => node);
  bootstrap(store, 6443);
  return store;
}

function makeReady(store: MemoryStore, pod: KubeObject): void {
  const now = new Date(Date.now() - 5000).toISOString().replace(/\.\d+Z$/, 'Z');
  store.update(
    PODS,
    {
      ...pod,
      status: {
        phase: 'Running',
        podIP: '10.0.0.9',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      },
    },
    { subresource: 'status' },
  );
}

const template = (image: string) => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image }] },
});

test('a Deployment gets a ReplicaSet named by its template hash, pods, and complete status', () => {
  const store = cluster();
  const deployments = deploymentController(store);
  const replicaSets = replicaSetController(store);
  store.create(DEPLOYMENTS, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('busybox:1.36') },
  });
  deployments.reconcile();
  const [rs] = store.list(REPLICASETS, 'default');
  assert.ok(rs);
  const hash = rs.metadata.labels?.['pod-template-hash'];
  assert.match(String(hash), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rs.metadata.name, `web-${hash}`);
  assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  assert.deepEqual((rs.spec as { selector: unknown }).selector, {
    matchLabels: { app: 'web', 'pod-template-hash': hash },
  });
  // Identical defaulting: the ReplicaSet's template is the Deployment's plus the hash label.
  const d = store.get(DEPLOYMENTS, 'default', 'web')!;
  const dTemplate = structuredClone(
    (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template,
  );
  dTemplate.metadata.labels['pod-template-hash'] = String(hash);
  assert.deepEqual((rs.spec as { template: unknown }).template, dTemplate);

  replicaSets.reconcile();
  const pods = store.list(PODS, 'default');
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.equal(p.metadata.generateName, `${rs.metadata.name}-`);
    assert.equal(p.metadata.ownerReferences?.[0]?.uid, rs.metadata.uid);
    assert.equal((p.spec as { nodeName: string }).nodeName, 'kloop-sandbox');
    makeReady(store, p);
  }
  replicaSets.reconcile();
  deployments.reconcile();
  const status = store.get(DEPLOYMENTS, 'default', 'web')!.status as Record<string, unknown>;
  assert.equal(status.observedGeneration, 1);
  assert.equal(status.updatedReplicas, 2);
  assert.equal(status.availableReplicas, 2);
  const progressing = (status.conditions as Array<Record<string, string>>).find((c) => c.type === 'Progressing');
  assert.equal(progressing?.reason, 'NewReplicaSetAvailable');
});

test('a rolling update stays within maxSurge and maxUnavailable', () => {
  const store = cluster();
  const deployments = deploymentController(store);
  const replicaSets = replicaSetController(store);
  const active = () => store.list(PODS, 'default').filter((p) => !p.metadata.deletionTimestamp);
  const settle = (bounds?: { minReady: number; maxPods: number }) => {
    for (let i = 0; i < 20; i++) {
      deployments.reconcile();
      replicaSets.reconcile();
      if (bounds) {
        assert.ok(active().length <= bounds.maxPods, `${active().length} pods exceed maxSurge`);
        const ready = active().filter((p) => (p.status as { conditions?: unknown } | undefined)?.conditions).length;
        assert.ok(ready >= bounds.minReady, `${ready} ready pods are below maxUnavailable`);
      }
      for (const p of store.list(PODS, 'default'))
        if (!(p.status as { conditions?: unknown } | undefined)?.conditions) makeReady(store, p);
    }
  };
  store.create(DEPLOYMENTS, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: template('app:1') },
  });
  settle();
  const d = store.get(DEPLOYMENTS, 'default', 'web')!;
  (d.spec as { template: unknown }).template = template('app:2');
  store.update(DEPLOYMENTS, d);
  deployments.reconcile();
  // 25% of 4: one extra pod may be created, none may become unavailable.
  const sizes = store
    .list(REPLICASETS, 'default')
    .map((rs) => [
      rs.metadata.annotations?.['deployment.kubernetes.io/revision'],
      (rs.spec as { replicas: number }).replicas,
    ]);
  assert.deepEqual(Object.fromEntries(sizes), { '1': 4, '2': 1 });
  settle({ minReady: 3, maxPods: 5 });
  const after = store
    .list(REPLICASETS, 'default')
    .map((rs) => [
      rs.metadata.annotations?.['deployment.kubernetes.io/revision'],
      (rs.spec as { replicas: number }).replicas,
    ]);
  assert.deepEqual(Object.fromEntries(after), { '1': 0, '2': 4 });
});

test('a CronJob starts the Job of the latest missed minute, once', () => {
  const store = cluster();
  const cron = workloadControllers(store).find((c) => c.name === 'cronjob')!;
  const created = store.create(CRONJOBS, {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
      },
    },
  });
  const twoMinutesAgo = new Date(Date.now() - 120_000).toISOString().replace(/\.\d+Z$/, 'Z');
  store.update(CRONJOBS, { ...created, status: { lastScheduleTime: twoMinutesAgo } }, { subresource: 'status' });
  cron.reconcile();
  cron.reconcile();
  const jobs = store.list(JOBS, 'default');
  assert.equal(jobs.length, 1);
  const minute = Math.floor(Date.now() / 60000);
  assert.equal(jobs[0]!.metadata.name, `tick-${minute}`);
  assert.equal(jobs[0]!.metadata.ownerReferences?.[0]?.kind, 'CronJob');
  const status = store.get(CRONJOBS, 'default', 'tick')!.status as {
    active: Array<{ name: string }>;
    lastScheduleTime: string;
  };
  assert.deepEqual(
    status.active.map((a) => a.name),
    [`tick-${minute}`],
  );
  assert.equal(Date.parse(status.lastScheduleTime), minute * 60000);
});
