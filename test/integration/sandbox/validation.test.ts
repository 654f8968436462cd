// Built-in kinds are decoded as a cluster decodes them, driven by real kubectl and helm: a type
// mismatch is refused with the Go decoder's message, and unknown fields follow fieldValidation.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../helpers/sandbox.ts';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox();
});
after(() => sb?.stop());

const deployment = (name: string, extra: { env?: unknown; spec?: Record<string, unknown> } = {}) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 0,
      ...extra.spec,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'busybox:1.36', env: extra.env ?? [{ name: 'A', value: 'x' }] }] },
      },
    },
  });

test('kubectl apply of an env value `true` is refused as a cluster refuses it', async () => {
  const r = await sb.kubectl(['apply', '-f', '-'], {
    input: deployment('typed', { env: [{ name: 'A', value: true }] }),
    allowFailure: true,
  });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Error from server \(BadRequest\): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal bool into Go struct field EnvVar\.spec\.template\.spec\.containers\.env\.value of type string/,
  );
  const get = await sb.kubectl(['get', 'deployment', 'typed'], { allowFailure: true });
  assert.match(get.stderr, /not found/);
});

test('unknown fields: kubectl (Strict) refuses, --validate=warn warns and drops, --validate=false drops', async () => {
  const input = deployment('unknown', { spec: { foo: 1 } });
  const strict = await sb.kubectl(['create', '-f', '-'], { input, allowFailure: true });
  assert.equal(strict.code, 1);
  assert.match(
    strict.stderr,
    /Error from server \(BadRequest\): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec\.foo"/,
  );
  const warn = await sb.kubectl(['apply', '--validate=warn', '-f', '-'], { input });
  assert.match(warn.stderr, /Warning: unknown field "spec\.foo"/);
  assert.equal((await sb.kubectl(['get', 'deploy', 'unknown', '-o', 'jsonpath={.spec.foo}'])).stdout, '');
  const ignore = await sb.kubectl(['replace', '--validate=false', '-f', '-'], { input });
  assert.doesNotMatch(ignore.stderr, /Warning/);
  assert.equal((await sb.kubectl(['get', 'deploy', 'unknown', '-o', 'jsonpath={.spec.foo}'])).stdout, '');
});

test('patches: a strategic merge patch with an unknown field is Invalid, with the patch printed as Go prints it', async () => {
  await sb.kubectl(['apply', '-f', '-'], { input: deployment('patched') });
  const r = await sb.kubectl(
    ['patch', 'deployment', 'patched', '--type=strategic', '-p', '{"spec":{"replicas":"2"}}'],
    {
      allowFailure: true,
    },
  );
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /The request is invalid: patch: Invalid value: "map\[spec:map\[replicas:2\]\]": json: cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32/,
  );
  const apply = await sb.kubectl(['apply', '-f', '-'], {
    input: deployment('patched', { spec: { foo: 1 } }),
    allowFailure: true,
  });
  assert.match(apply.stderr, /strict decoding error: unknown field "spec\.foo"/);
});

test('server-side apply refuses undeclared fields whatever fieldValidation says', async () => {
  const r = await sb.kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], {
    input: deployment('ssa', { spec: { foo: 1 } }),
    allowFailure: true,
  });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /failed to create typed patch object \(default\/ssa; apps\/v1, Kind=Deployment\): \.spec\.foo: field not declared in schema/,
  );
});

test('helm install of a chart with an unquoted boolean env value fails as on a cluster', async () => {
  const chart = join(sb.dir, 'bool-chart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: boolenv\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'values.yaml'), 'debug: true\n');
  writeFileSync(
    join(chart, 'templates/deploy.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: boolenv}',
      'spec:',
      '  selector: {matchLabels: {app: boolenv}}',
      '  template:',
      '    metadata: {labels: {app: boolenv}}',
      '    spec:',
      '      containers:',
      '      - name: c',
      '        image: busybox:1.36',
      '        env:',
      '        - name: DEBUG',
      '          value: {{ .Values.debug }}',
      '',
    ].join('\n'),
  );
  const r = await sb.helm(['install', 'boolenv', chart], { allowFailure: true });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal bool into Go struct field EnvVar\.spec\.template\.spec\.containers\.env\.value of type string/,
  );
});

test("custom resources: fields their CRD's schema does not declare are refused under Strict and pruned otherwise", async () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
      scope: 'Namespaced',
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
                  properties: {
                    size: { type: 'integer' },
                    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    mode: { type: 'string', default: 'fast' },
                    limits: {
                      type: 'object',
                      default: {},
                      properties: { cpu: { type: 'string', default: '100m' }, memory: { type: 'string' } },
                    },
                    ports: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
  await sb.kubectl(['apply', '-f', '-'], { input: JSON.stringify(crd) });
  const widget = JSON.stringify({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: { size: 1, replicas: 2, extra: { anything: true }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] },
  });
  let strict = await sb.kubectl(['apply', '-f', '-'], { input: widget, allowFailure: true });
  for (let i = 0; i < 20 && /the server doesn't have a resource type|no matches for kind/.test(strict.stderr); i++) {
    await new Promise((r) => setTimeout(r, 250)); // discovery of the new CRD
    strict = await sb.kubectl(['apply', '-f', '-'], { input: widget, allowFailure: true });
  }
  assert.match(
    strict.stderr,
    /Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec\.replicas"/,
  );
  await sb.kubectl(['apply', '--validate=false', '-f', '-'], { input: widget });
  const stored = JSON.parse((await sb.kubectl(['get', 'widget', 'w', '-o', 'json'])).stdout);
  // pruned, then defaulted (structural defaults: missing properties, inside defaults, in array items)
  assert.deepEqual(stored.spec, {
    size: 1,
    extra: { anything: true },
    mode: 'fast',
    limits: { cpu: '100m' },
    ports: [
      { port: 80, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ],
  });
  // and values are checked against the schema's types, in the apiextensions-apiserver's words
  const typed = await sb.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { size: 'big' },
    }),
    allowFailure: true,
  });
  assert.equal(typed.code, 1);
  assert.match(
    typed.stderr,
    /The Widget "w" is invalid: spec\.size: Invalid value: "string": spec\.size in body must be of type integer: "string"/,
  );
});
