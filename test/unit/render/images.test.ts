import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeRepository, parseImageRef, wireImages } from '../../../src/render/images.ts';
import type { KubeObject } from '../../../src/render/types.ts';

test('parseImageRef: tags, digests and registry ports', () => {
  assert.deepEqual(parseImageRef('nginx'), { repository: 'nginx', tag: undefined, digest: undefined });
  assert.deepEqual(parseImageRef('localhost:5000/a/b:1.2'), {
    repository: 'localhost:5000/a/b',
    tag: '1.2',
    digest: undefined,
  });
  assert.deepEqual(parseImageRef('localhost:5000/a/b'), {
    repository: 'localhost:5000/a/b',
    tag: undefined,
    digest: undefined,
  });
  assert.deepEqual(parseImageRef('r.io/x:v1@sha256:abc'), { repository: 'r.io/x', tag: 'v1', digest: 'sha256:abc' });
});

test('normalizeRepository: Docker Hub short names are one repository', () => {
  assert.equal(normalizeRepository('nginx'), 'docker.io/library/nginx');
  assert.equal(normalizeRepository('docker.io/nginx'), 'docker.io/library/nginx');
  assert.equal(normalizeRepository('index.docker.io/library/nginx'), 'docker.io/library/nginx');
  assert.equal(normalizeRepository('me/app'), 'docker.io/me/app');
  assert.equal(normalizeRepository('registry.example.com/shop/web'), 'registry.example.com/shop/web');
});

const podSpec = (image: string) => ({
  initContainers: [{ name: 'init', image }],
  containers: [
    { name: 'main', image },
    { name: 'side', image: 'busybox:1.36' },
  ],
});

test('wireImages: Pods, workload templates, CronJob job templates; with or without a tag', () => {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: podSpec('web') },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 's', namespace: 'ns' },
      spec: { template: { spec: podSpec('docker.io/library/web:old') } },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c', namespace: 'ns' },
      spec: { jobTemplate: { spec: { template: { spec: podSpec('web@sha256:1') } } } },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: { image: 'web' } },
  ];
  const { rewrites, matched } = wireImages(objects, [
    { name: 'web', repository: 'web', ref: 'web:new' },
    { name: 'unused', repository: 'example.com/unused', ref: 'example.com/unused:1' },
  ]);
  assert.deepEqual([...matched], ['web']);
  assert.deepEqual(
    rewrites.map((r) => `${r.object}:${r.container}:${r.from}`),
    [
      'Pod/ns/p:init:web',
      'Pod/ns/p:main:web',
      'StatefulSet/ns/s:init:docker.io/library/web:old',
      'StatefulSet/ns/s:main:docker.io/library/web:old',
      'CronJob/ns/c:init:web@sha256:1',
      'CronJob/ns/c:main:web@sha256:1',
    ],
  );
  const cron = objects[2]!.spec as { jobTemplate: { spec: { template: { spec: ReturnType<typeof podSpec> } } } };
  assert.equal(cron.jobTemplate.spec.template.spec.containers[0]!.image, 'web:new');
  assert.equal(cron.jobTemplate.spec.template.spec.containers[1]!.image, 'busybox:1.36');
  assert.deepEqual(objects[3]!.data, { image: 'web' });
});

test('wireImages: an image already at its reference counts as matched without a rewrite', () => {
  const objects: KubeObject[] = [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: podSpec('web:new') }];
  const { rewrites, matched } = wireImages(objects, [{ name: 'web', repository: 'web', ref: 'web:new' }]);
  assert.deepEqual(rewrites, []);
  assert.ok(matched.has('web'));
});
