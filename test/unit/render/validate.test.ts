import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/render/types.ts';
import { unknownCustomFields } from '../../../src/render/strict.ts';
import { fieldPath, removedApi, unavailableApi, validateObjects } from '../../../src/render/validate.ts';

test('fieldPath turns JSON pointers into field paths', () => {
  assert.equal(
    fieldPath('/spec/template/spec/containers/0/ports/1/containerPort'),
    'spec.template.spec.containers[0].ports[1].containerPort',
  );
  assert.equal(fieldPath('/metadata/annotations/a~1b'), 'metadata.annotations.a/b');
  assert.equal(fieldPath(''), '');
});

test('built-in kinds are checked against the bundled Kubernetes schemas', async () => {
  const good: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'ns' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } },
  };
  const bad: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'e', namespace: 'ns' },
    spec: { replicas: 'two', template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'x' }] }] } } },
  };
  const { errors } = await validateObjects([good, bad], '1.32');
  assert.deepEqual(errors.sort(), [
    'Deployment/ns/e: spec.replicas: must be integer',
    'Deployment/ns/e: spec.template.spec.containers[0].ports[0].containerPort: must be integer',
    'Deployment/ns/e: spec: selector is required',
  ]);
});

test('custom resources are checked against CRDs in the render; others are reported unchecked', async () => {
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: { size: { type: 'integer', 'x-kubernetes-int-or-string': false } },
                },
              },
            },
          },
        },
      ],
    },
  };
  const widget: KubeObject = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: { size: 'big' },
  };
  const other: KubeObject = { apiVersion: 'other.io/v1', kind: 'Thing', metadata: { name: 't' } };
  const outcome = await validateObjects([widget, other], '1.32', [crd, widget, other]);
  assert.deepEqual(outcome.errors, ['Widget/w: spec.size: must be integer']);
  assert.deepEqual(outcome.unchecked, ['Thing/t']);
});

test('APIs removed before the target Kubernetes version are errors', async () => {
  const cron: KubeObject = { apiVersion: 'batch/v1beta1', kind: 'CronJob', metadata: { name: 'c' } };
  assert.equal(removedApi(cron, '1.24'), undefined);
  assert.equal(removedApi(cron, 'v1.25.3'), 25);
  const { errors } = await validateObjects([cron], '1.32');
  assert.deepEqual(errors, ['CronJob/c: apiVersion batch/v1beta1 CronJob was removed in Kubernetes 1.25']);
});

test('unknown fields of built-in kinds are errors (strict, like kubectl apply)', async () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', labels: { any: 'label' } },
    spec: {
      containers: [
        { name: 'c', image: 'i', imagePullPolicy: 'Always', ports: [{ containerPort: 80, protocl: 'TCP' }] },
      ],
      restartPolcy: 'Never',
    },
  };
  const { errors } = await validateObjects([pod], '1.32');
  assert.deepEqual(errors.sort(), [
    'Pod/ns/p: spec.containers[0].ports[0].protocl: unknown field',
    'Pod/ns/p: spec.restartPolcy: unknown field',
  ]);
});

test('APIs newer than the target Kubernetes version are errors', async () => {
  const claim: KubeObject = { apiVersion: 'resource.k8s.io/v1', kind: 'DeviceClass', metadata: { name: 'gpu' } };
  assert.equal(unavailableApi(claim, '1.33'), 34);
  assert.equal(unavailableApi(claim, '1.34.1'), undefined);
  const { errors } = await validateObjects([claim], '1.32');
  assert.deepEqual(errors, [
    'DeviceClass/gpu: apiVersion resource.k8s.io/v1 DeviceClass exists from Kubernetes 1.34, not in 1.32',
  ]);
});

test('unknown fields of custom resources, by the CRD structural schema', () => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'integer' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          rules: { type: 'array', items: { type: 'object', properties: { host: { type: 'string' } } } },
          extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  };
  const cr = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', anything: 1 },
    spec: { size: 1, sise: 2, labels: { a: 'b' }, rules: [{ host: 'h', hots: 'x' }], extra: { free: { form: true } } },
    status: {},
  };
  assert.deepEqual(unknownCustomFields(cr, schema), ['spec.sise', 'spec.rules[0].hots', 'status']);
  assert.deepEqual(unknownCustomFields(cr, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }), []);
});

test('SOPS-encrypted Secrets are not schema-checked; plain Secrets with unknown fields are', async () => {
  const sops: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'ns' },
    data: { password: 'ENC[AES256_GCM,data:abc,type:str]' },
    sops: { mac: 'ENC[...]', version: '3.9.0' },
  };
  const plain: KubeObject = { ...sops, metadata: { name: 'other', namespace: 'ns' }, sops: 'not-a-sops-block' };
  const { errors } = await validateObjects([sops, plain], '1.32');
  // the encrypted value is not base64, which is exactly why the SOPS Secret must be skipped
  assert.deepEqual(errors.sort(), [
    'Secret/ns/other: data.password: must match format "byte"',
    'Secret/ns/other: sops: unknown field',
  ]);
});

test('an unquoted YAML 1.1 boolean or octal where a string is wanted names file, line and field', async () => {
  const { parseObjects } = await import('../../../src/render/objects.ts');
  const objects = parseObjects(
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\ndata:\n  flag: on\n  mode: 0755\n  ok: "yes"\n',
    'deploy/c.yaml',
  );
  const { errors } = await validateObjects(objects, '1.32.0');
  assert.equal(errors.length, 2);
  assert.match(
    errors[0]!,
    /^ConfigMap\/c: data\.flag: unquoted on at deploy\/c\.yaml:5 is read by Kubernetes as the boolean true/,
  );
  assert.match(
    errors[1]!,
    /data\.mode: unquoted 0755 at deploy\/c\.yaml:6 is read by Kubernetes as the number 493.*quote it: "0755"/,
  );
});
