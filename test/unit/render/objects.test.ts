import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KloopError } from '../../../src/errors.ts';
import {
  assignNamespaces,
  clusterScopedCustomKinds,
  parseObjects,
  sortObjects,
  toYaml,
} from '../../../src/render/objects.ts';
import type { KubeObject } from '../../../src/render/types.ts';

const obj = (kind: string, name: string, namespace?: string, apiVersion = 'v1'): KubeObject => ({
  apiVersion,
  kind,
  metadata: namespace ? { name, namespace } : { name },
});

test('parseObjects drops empty documents and flattens Lists', () => {
  const objects = parseObjects(
    '---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: a } }\n  - { apiVersion: v1, kind: Secret, metadata: { name: b } }\n---\napiVersion: v1\nkind: Service\nmetadata: { name: c }\n',
    'x.yaml',
  );
  assert.deepEqual(
    objects.map((o) => `${o.kind}/${o.metadata.name}`),
    ['ConfigMap/a', 'Secret/b', 'Service/c'],
  );
});

test('parseObjects names file and line of a bad document', () => {
  assert.throws(
    () => parseObjects('apiVersion: v1\nkind: ConfigMap\n---\nfoo: [1, 2\n', 'deploy/x.yaml'),
    (e: KloopError) =>
      e instanceof KloopError && e.location?.file === 'deploy/x.yaml' && /invalid YAML/.test(e.message),
  );
  assert.throws(
    () => parseObjects('apiVersion: v1\nkind: A\n---\nmetadata: {}\n', 'deploy/y.yaml'),
    (e: KloopError) => e.location?.line === 4 && /no apiVersion or kind/.test(e.message),
  );
});

test('namespaces: namespaced objects get one, cluster-scoped built-ins and CRD kinds never', () => {
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'tenants.example.com' },
    spec: { group: 'example.com', scope: 'Cluster', names: { kind: 'Tenant' } },
  };
  const objects = [
    crd,
    obj('Tenant', 't', undefined, 'example.com/v1'),
    obj('Widget', 'w', undefined, 'example.com/v1'),
    obj('ClusterRole', 'r', 'wrong', 'rbac.authorization.k8s.io/v1'),
    obj('ConfigMap', 'kept', 'other'),
    obj('ConfigMap', 'defaulted'),
    obj('Namespace', 'ns'),
  ];
  assignNamespaces(objects, 'app-ns', clusterScopedCustomKinds(objects));
  assert.deepEqual(
    objects.map((o) => o.metadata.namespace),
    [undefined, undefined, 'app-ns', undefined, 'other', 'app-ns', undefined],
  );
});

test('sort: cluster-scoped first, helm install order, unknown kinds last by name, then name', () => {
  const sorted = sortObjects([
    obj('Deployment', 'b', 'ns', 'apps/v1'),
    obj('Widget', 'w', 'ns', 'example.com/v1'),
    obj('Service', 'z', 'ns'),
    obj('Deployment', 'a', 'ns', 'apps/v1'),
    obj('ConfigMap', 'c', 'ns'),
    obj('Alpha', 'x', 'ns', 'example.com/v1'),
    obj('Namespace', 'ns'),
    obj('ConfigMap', 'c', 'another'),
  ]);
  assert.deepEqual(
    sorted.map((o) => `${o.metadata.namespace ?? ''}/${o.kind}/${o.metadata.name}`),
    [
      '/Namespace/ns',
      'another/ConfigMap/c',
      'ns/ConfigMap/c',
      'ns/Service/z',
      'ns/Deployment/a',
      'ns/Deployment/b',
      'ns/Alpha/x',
      'ns/Widget/w',
    ],
  );
});

test('toYaml: apiVersion/kind/metadata first, long and multi-line strings kept readable, no aliases', () => {
  const shared = { a: 1 };
  const o = {
    spec: { x: shared, y: shared, script: 'echo "$HOME"\nexit 0\n', long: 'word '.repeat(40).trim() },
    metadata: { labels: { l: 'v' }, name: 'n', namespace: 'ns' },
    kind: 'ConfigMap',
    apiVersion: 'v1',
  } as unknown as KubeObject;
  const text = toYaml([o, o]);
  assert.equal(
    text.split('---\n')[0],
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      // n and y are booleans to Kubernetes (YAML 1.1): quoted
      '  name: "n"',
      '  namespace: ns',
      '  labels:',
      '    l: v',
      'spec:',
      '  x:',
      '    a: 1',
      '  "y":',
      '    a: 1',
      '  script: |',
      '    echo "$HOME"',
      '    exit 0',
      `  long: ${'word '.repeat(40).trim()}`,
      '',
    ].join('\n'),
  );
  assert.equal(text.split('---\n').length, 2);
});
