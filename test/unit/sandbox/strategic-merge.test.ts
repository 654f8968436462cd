import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergePatch, strategicMerge } from '../../../sandbox/patch/strategic.ts';

const deployment = () => ({
  spec: {
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      spec: {
        containers: [
          {
            name: 'c',
            image: 'app:1',
            env: [
              { name: 'A', value: '1' },
              { name: 'KEEP', value: 'k' },
            ],
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            args: ['--one', '--two'],
          },
          { name: 'sidecar', image: 'side:1' },
        ],
      },
    },
  },
});

test('the patch kubectl sends for a changed manifest (recorded on the wire)', () => {
  const patch = {
    spec: {
      strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'c' }, { name: 'sidecar' }],
          containers: [
            {
              '$setElementOrder/env': [{ name: 'KEEP' }, { name: 'B' }],
              env: [
                { name: 'B', value: '2' },
                { $patch: 'delete', name: 'A' },
              ],
              name: 'c',
              ports: null,
              volumeMounts: [{ mountPath: '/data', name: 'v' }],
            },
          ],
          volumes: [{ emptyDir: {}, name: 'v' }],
        },
      },
    },
  };
  const result = strategicMerge(deployment(), patch, true) as ReturnType<typeof deployment>;
  assert.deepEqual(result.spec.strategy, { type: 'Recreate' });
  const [c, sidecar] = result.spec.template.spec.containers as Array<Record<string, unknown>>;
  assert.deepEqual(c, {
    name: 'c',
    image: 'app:1',
    env: [
      { name: 'KEEP', value: 'k' },
      { name: 'B', value: '2' },
    ],
    args: ['--one', '--two'],
    volumeMounts: [{ mountPath: '/data', name: 'v' }],
  });
  assert.deepEqual(sidecar, { name: 'sidecar', image: 'side:1' });
  assert.deepEqual((result.spec.template.spec as Record<string, unknown>).volumes, [{ emptyDir: {}, name: 'v' }]);
});

test('atomic lists are replaced, merge-keyed lists merged, $patch: replace replaces', () => {
  const base = deployment();
  const replaced = strategicMerge(
    base,
    { spec: { template: { spec: { containers: [{ name: 'c', args: ['--three'] }] } } } },
    true,
  ) as ReturnType<typeof deployment>;
  const c = replaced.spec.template.spec.containers[0] as Record<string, unknown>;
  assert.deepEqual(c.args, ['--three']);
  assert.equal(c.image, 'app:1');
  assert.equal(replaced.spec.template.spec.containers.length, 2);
  const whole = strategicMerge(
    base,
    { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } },
    true,
  ) as ReturnType<typeof deployment>;
  assert.deepEqual(whole.spec.template.spec.containers, [{ name: 'only', image: 'x' }]);
});

test('finalizers merge as a set; $deleteFromPrimitiveList removes', () => {
  const base = { metadata: { finalizers: ['a', 'b'] } };
  assert.deepEqual(strategicMerge(base, { metadata: { finalizers: ['b', 'c'] } }, true), {
    metadata: { finalizers: ['a', 'b', 'c'] },
  });
  assert.deepEqual(strategicMerge(base, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, true), {
    metadata: { finalizers: ['b'] },
  });
});

test('service ports merge by port; custom resources treat every list as atomic', () => {
  const svc = {
    spec: {
      ports: [
        { port: 80, targetPort: 8080 },
        { port: 443, targetPort: 8443 },
      ],
    },
  };
  assert.deepEqual(strategicMerge(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, true), {
    spec: {
      ports: [
        { port: 80, targetPort: 9090 },
        { port: 443, targetPort: 8443 },
      ],
    },
  });
  assert.deepEqual(strategicMerge(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, false), {
    spec: { ports: [{ port: 80, targetPort: 9090 }] },
  });
});

test('JSON merge patch (RFC 7386)', () => {
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: 5 }, l: [3] }), {
    b: { c: 5, d: 3 },
    l: [3],
  });
});
