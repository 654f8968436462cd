import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseContainer, choosePod, selectorString, workloadPath } from '../../../src/kube/pods.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

function pod(
  name: string,
  opts: {
    ready?: boolean;
    created?: string;
    owner?: string;
    hash?: string;
    deleting?: boolean;
    containers?: string[];
  } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z',
      labels: opts.hash ? { 'pod-template-hash': opts.hash } : {},
      ownerReferences: opts.owner
        ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: opts.owner, uid: 'x', controller: true }]
        : [],
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}),
    },
    spec: { containers: (opts.containers ?? ['web']).map((n) => ({ name: n })) },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

const target = { name: 'web', namespace: 'shop', workload: 'deployment/web' };

test('selectors from matchLabels and matchExpressions', () => {
  assert.equal(
    selectorString({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'x', operator: 'Exists' },
        { key: 'y', operator: 'DoesNotExist' },
      ],
    }),
    'app=web,tier in (a,b),x,!y',
  );
});

test('workload paths and kinds', () => {
  assert.equal(workloadPath('deploy/web', 'shop').path, '/apis/apps/v1/namespaces/shop/deployments/web');
  assert.equal(workloadPath('StatefulSet/db', 'x').kind, 'StatefulSet');
  assert.throws(() => workloadPath('cronjob/x', 'n'), /cannot select pods of a cronjob/);
});

test('the newest ready, not terminating pod is chosen', () => {
  const pods = [
    pod('old', { created: '2026-01-01T00:00:00Z' }),
    pod('new', { created: '2026-01-02T00:00:00Z' }),
    pod('newest-going', { created: '2026-01-03T00:00:00Z', deleting: true }),
    pod('newest-unready', { created: '2026-01-04T00:00:00Z', ready: false }),
  ];
  assert.equal(choosePod(target, pods)?.metadata.name, 'new');
  assert.equal(choosePod(target, [pod('a', { ready: false })]), null, 'no ready pod: wait');
  assert.equal(
    choosePod(target, [pod('a', { ready: false })], undefined, false)?.metadata.name,
    'a',
    'logs take any started pod',
  );
  assert.equal(choosePod(target, pods, (p) => p.metadata.name === 'old')?.metadata.name, 'old');
});

test('a labelSelector matching several workloads is an error listing the pods', () => {
  const t = { name: 'web', namespace: 'shop', labelSelector: { tier: 'front' } };
  const pods = [pod('web-1', { owner: 'web-abc', hash: 'abc' }), pod('admin-1', { owner: 'admin-def', hash: 'def' })];
  assert.throws(
    () => choosePod(t, pods),
    (e: Error & { details?: string[] }) =>
      /matches pods of 2 workloads/.test(e.message) && e.details!.some((d) => d.includes('deployment/admin')),
  );
  // two replicas (and two ReplicaSets of one Deployment during a rollout) are not ambiguous
  const rollout = [
    pod('web-1', { owner: 'web-abc', hash: 'abc' }),
    pod('web-2', { owner: 'web-xyz', hash: 'xyz', created: '2026-02-01T00:00:00Z' }),
  ];
  assert.equal(choosePod(t, rollout)?.metadata.name, 'web-2');
});

test('containers: by name, the only one, or an error listing them', () => {
  const p = pod('p', { containers: ['web', 'sidecar'] });
  assert.equal(chooseContainer({ ...target, container: 'sidecar' }, p), 'sidecar');
  assert.throws(() => chooseContainer(target, p), /has 2 containers/);
  assert.throws(
    () => chooseContainer({ ...target, container: 'nope' }, p),
    (e: Error & { hint?: string }) => e.hint === 'its containers: web, sidecar',
  );
  assert.equal(chooseContainer(target, pod('q')), 'web');
});
