// The decoder's messages for built-in kinds, as kube-apiserver's JSON decoder words them
// (the wording of real 1.2x-1.32 servers, quoted in charts' bug reports).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goFormat, prune, typeError, unknownFields } from '../../../sandbox/server/typed.ts';

const deployment = (container: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    ...spec,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i', ...container }] } },
  },
});

test('a boolean env value is the error helm users meet on a cluster', async () => {
  assert.equal(
    await typeError('apps/v1', 'Deployment', deployment({ env: [{ name: 'A', value: true }] })),
    'json: cannot unmarshal bool into Go struct field EnvVar.spec.template.spec.containers.env.value of type string',
  );
  assert.equal(
    await typeError('apps/v1', 'Deployment', deployment({ env: [{ name: 'A', value: 1 }] })),
    'json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string',
  );
});

test('integers, maps, lists and structs get their Go types; the first mismatch in document order wins', async () => {
  assert.equal(
    await typeError('apps/v1', 'Deployment', deployment({ env: [{ name: 'A', value: 1 }] }, { replicas: '2' })),
    'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  assert.equal(
    await typeError('apps/v1', 'Deployment', { spec: { replicas: 1.5 } }),
    'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  assert.equal(
    await typeError('v1', 'Pod', { metadata: { labels: { a: 1 } } }),
    'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
  );
  assert.equal(
    await typeError('rbac.authorization.k8s.io/v1', 'Role', { rules: [{ verbs: 'get' }] }),
    'json: cannot unmarshal string into Go struct field PolicyRule.rules.verbs of type []string',
  );
  assert.equal(
    await typeError('v1', 'Secret', { data: { a: 1 } }),
    'json: cannot unmarshal number into Go struct field Secret.data of type []uint8',
  );
  assert.equal(
    await typeError('apps/v1', 'Deployment', { metadata: 'x' }),
    'json: cannot unmarshal string into Go struct field Deployment.metadata of type v1.ObjectMeta',
  );
});

test('quantities and int-or-strings accept numbers and strings, and have their own errors', async () => {
  assert.equal(await typeError('apps/v1', 'Deployment', deployment({ resources: { limits: { cpu: 1 } } })), undefined);
  assert.equal(
    await typeError('apps/v1', 'Deployment', deployment({ resources: { limits: { cpu: true } } })),
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  );
  assert.equal(await typeError('v1', 'Service', { spec: { ports: [{ port: 80, targetPort: 'http' }] } }), undefined);
  assert.equal(
    await typeError('v1', 'Service', { spec: { ports: [{ port: 80, targetPort: true }] } }),
    'json: cannot unmarshal bool into Go value of type int32',
  );
});

test('unknown fields are reported with indices, as strict decoding does, and pruned', () => {
  const d = deployment({ requests: { cpu: '1' } }, { foo: 1 }) as Record<string, unknown>;
  const unknown = unknownFields('apps/v1', 'Deployment', d)!;
  assert.deepEqual(
    unknown.map((u) => u.path),
    ['spec.foo', 'spec.template.spec.containers[0].requests'],
  );
  prune(d, unknown);
  assert.deepEqual(unknownFields('apps/v1', 'Deployment', d), []);
  assert.equal((d.spec as Record<string, unknown>).foo, undefined);
  assert.equal(unknownFields('example.com/v1', 'Widget', {}), undefined);
});

test('a patch prints like Go prints a map', () => {
  assert.equal(goFormat({ spec: { b: [1, 'x'], a: null, c: true } }), 'map[spec:map[a:<nil> b:[1 x] c:true]]');
});
