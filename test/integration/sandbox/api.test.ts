// The sandbox's API machinery as real clients see it: discovery, errors (exact Status bodies),
// protobuf bodies, apply (client- and server-side), selectors, Table output, CRDs, namespaces.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, type Sandbox, startSandbox } from '../../helpers/sandbox.ts';
import { expectTools } from '../../helpers/tools.ts';

let sb: Sandbox;
before(async () => {
  expectTools({ kubectl: true });
  sb = await startSandbox({ env: { KLOOP_SANDBOX_WATCH_HISTORY: '40' } });
});
after(() => sb?.stop());

const json = (value: unknown) => JSON.stringify(value);

describe('discovery', () => {
  test('kubectl sees a v1.32 server and the built-in resources', async () => {
    const version = JSON.parse((await sb.kubectl(['version', '-o', 'json'])).stdout);
    assert.equal(version.serverVersion.gitVersion, 'v1.32.0');
    const resources = (await sb.kubectl(['api-resources', '--no-headers'])).stdout;
    assert.match(resources, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(resources, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    assert.match(resources, /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m);
  });

  test('legacy discovery documents, and aggregated discovery by content type', async () => {
    const api = (await sb.request('GET', '/api')).json() as { kind: string; versions: string[] };
    assert.deepEqual([api.kind, api.versions], ['APIVersions', ['v1']]);
    const groups = (await sb.request('GET', '/apis')).json() as {
      groups: Array<{ name: string; preferredVersion: unknown }>;
    };
    assert.deepEqual(
      groups.groups.find((g) => g.name === 'apps'),
      {
        name: 'apps',
        versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
      },
    );
    const apps = (await sb.request('GET', '/apis/apps/v1')).json() as { resources: Array<Record<string, unknown>> };
    assert.deepEqual(
      apps.resources.find((r) => r.name === 'deployments/scale'),
      {
        name: 'deployments/scale',
        singularName: '',
        namespaced: true,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      },
    );
    const aggregated = await sb.request('GET', '/apis', undefined, {
      Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    assert.equal(
      aggregated.headers['content-type'],
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    assert.equal((aggregated.json() as { kind: string }).kind, 'APIGroupDiscoveryList');
  });

  test('access reviews: the token holder may do everything', async () => {
    assert.equal((await sb.kubectl(['auth', 'can-i', 'delete', 'deployments', '-n', 'kube-system'])).stdout, 'yes\n');
    assert.match((await sb.kubectl(['auth', 'whoami'])).stdout, /Username\s+kloop-sandbox-admin/);
  });

  test('a request without the bearer token is refused', async () => {
    const res = await sb.request('GET', '/api/v1/namespaces', undefined, { Authorization: 'Bearer wrong' });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });
});

describe('errors are Status objects', () => {
  test('404 NotFound', async () => {
    const res = await sb.request('GET', '/apis/apps/v1/namespaces/default/deployments/nope');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    const cli = await sb.kubectl(['get', 'pod', 'nope'], { allowFailure: true });
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
  });

  test('409 AlreadyExists and 409 Conflict', async () => {
    const cm = json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' }, data: { a: '1' } });
    const path = '/api/v1/namespaces/default/configmaps';
    const first = await sb.request('POST', path, cm, { 'Content-Type': 'application/json' });
    assert.equal(first.status, 201);
    const created = first.json() as { metadata: { resourceVersion: string; uid: string } };
    assert.match(created.metadata.resourceVersion, /^\d+$/);
    const again = await sb.request('POST', path, cm, { 'Content-Type': 'application/json' });
    assert.equal(again.status, 409);
    assert.deepEqual(again.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "dup" already exists',
      reason: 'AlreadyExists',
      details: { name: 'dup', kind: 'configmaps' },
      code: 409,
    });
    const update = (rv: string, value: string) =>
      sb.request(
        'PUT',
        `${path}/dup`,
        json({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'dup', resourceVersion: rv },
          data: { a: value },
        }),
        { 'Content-Type': 'application/json' },
      );
    assert.equal((await update(created.metadata.resourceVersion, '2')).status, 200);
    const stale = await update(created.metadata.resourceVersion, '3');
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Operation cannot be fulfilled on configmaps "dup": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'dup', kind: 'configmaps' },
      code: 409,
    });
  });

  test('422 Invalid lists its causes', async () => {
    const res = await sb.request(
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      json({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'Bad_Name' },
        spec: {
          selector: { matchLabels: { app: 'x' } },
          template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c' }] } },
        },
      }),
      { 'Content-Type': 'application/json' },
    );
    assert.equal(res.status, 422);
    const nameMessage =
      "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Deployment.apps "Bad_Name" is invalid: [metadata.name: ${nameMessage}, spec.template.spec.containers[0].image: Required value]`,
      reason: 'Invalid',
      details: {
        name: 'Bad_Name',
        group: 'apps',
        kind: 'Deployment',
        causes: [
          { reason: 'FieldValueInvalid', message: nameMessage, field: 'metadata.name' },
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers[0].image' },
        ],
      },
      code: 422,
    });
  });

  test('415 UnsupportedMediaType', async () => {
    const res = await sb.request('POST', '/api/v1/namespaces/default/configmaps', 'a=b', {
      'Content-Type': 'text/plain',
    });
    assert.equal(res.status, 415);
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      reason: 'UnsupportedMediaType',
      code: 415,
    });
  });

  test('410 Expired for a watch from a resourceVersion older than the history', async () => {
    for (let i = 0; i < 45; i++) {
      await sb.request(
        'POST',
        '/api/v1/namespaces/default/configmaps',
        json({ metadata: { generateName: 'churn-' } }),
        {
          'Content-Type': 'application/json',
        },
      );
    }
    const res = await sb.request('GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2');
    assert.equal(res.status, 200);
    const event = JSON.parse(res.text.trim());
    assert.equal(event.type, 'ERROR');
    assert.match(event.object.message, /^too old resource version: 2 \(\d+\)$/);
    assert.deepEqual(
      { ...event.object, message: '' },
      {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: '',
        reason: 'Expired',
        code: 410,
      },
    );
  });
});

describe('objects', () => {
  test('kubectl create sends protobuf for secrets, configmaps and namespaces', async () => {
    await sb.kubectl(['create', 'namespace', 'proto']);
    await sb.kubectl(['-n', 'proto', 'create', 'secret', 'generic', 's', '--from-literal=password=hunter2']);
    await sb.kubectl(['-n', 'proto', 'create', 'configmap', 'c', '--from-literal=k=v']);
    const secret = JSON.parse((await sb.kubectl(['-n', 'proto', 'get', 'secret', 's', '-o', 'json'])).stdout);
    assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 'hunter2');
    assert.equal(secret.type, 'Opaque');
    const cm = JSON.parse((await sb.kubectl(['-n', 'proto', 'get', 'cm', 'c', '-o', 'json'])).stdout);
    assert.deepEqual(cm.data, { k: 'v' });
    const ns = JSON.parse((await sb.kubectl(['get', 'ns', 'proto', '-o', 'json'])).stdout);
    assert.equal(ns.status.phase, 'Active');
  });

  test('kubectl create deployment|service|cronjob|job (protobuf bodies)', async () => {
    await sb.kubectl([
      'create',
      'deployment',
      'pbd',
      '--image=busybox:1.36',
      '--port=8080',
      '--replicas=0',
      '--',
      'sleep',
      '3600',
    ]);
    const d = JSON.parse((await sb.kubectl(['get', 'deploy', 'pbd', '-o', 'json'])).stdout);
    assert.equal(d.spec.replicas, 0);
    assert.deepEqual(d.spec.selector, { matchLabels: { app: 'pbd' } });
    const c = d.spec.template.spec.containers[0];
    assert.deepEqual(
      [c.name, c.image, c.command, c.ports],
      ['busybox', 'busybox:1.36', ['sleep', '3600'], [{ containerPort: 8080, protocol: 'TCP' }]],
    );
    await sb.kubectl(['create', 'service', 'clusterip', 'pbs', '--tcp=80:8080']);
    const s = JSON.parse((await sb.kubectl(['get', 'svc', 'pbs', '-o', 'json'])).stdout);
    assert.deepEqual(s.spec.ports, [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]);
    assert.match(s.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
    await sb.kubectl(['create', 'service', 'nodeport', 'pbn', '--tcp=80:8080', '--node-port=30080']);
    const n = JSON.parse((await sb.kubectl(['get', 'svc', 'pbn', '-o', 'json'])).stdout);
    assert.equal(n.spec.type, 'NodePort');
    assert.deepEqual(n.spec.ports, [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }]);
    await sb.kubectl([
      'create',
      'cronjob',
      'pbc',
      '--image=busybox:1.36',
      '--schedule=*/5 * * * *',
      '--',
      'echo',
      'hi',
    ]);
    const cj = JSON.parse((await sb.kubectl(['get', 'cronjob', 'pbc', '-o', 'json'])).stdout);
    assert.equal(cj.spec.schedule, '*/5 * * * *');
    await sb.kubectl(['create', 'job', 'pbj', '--from=cronjob/pbc']);
    const job = JSON.parse((await sb.kubectl(['get', 'job', 'pbj', '-o', 'json'])).stdout);
    assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
    assert.equal(job.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(job.metadata.ownerReferences[0].name, 'pbc');
  });

  test('get prints the columns of the real printers; selectors filter', async () => {
    await sb.kubectl(['create', 'configmap', 'sel-a', '--from-literal=x=1', '--from-literal=y=2']);
    await sb.kubectl(['label', 'configmap', 'sel-a', 'tier=front']);
    await sb.kubectl(['create', 'configmap', 'sel-b']);
    const table = (await sb.kubectl(['get', 'cm', '-l', 'tier=front'])).stdout;
    assert.match(table, /^NAME\s+DATA\s+AGE\nsel-a\s+2\s+\d+s\n$/);
    const byField = (await sb.kubectl(['get', 'cm', '--field-selector', 'metadata.name=sel-b', '-o', 'name'])).stdout;
    assert.equal(byField, 'configmap/sel-b\n');
    const notIn = (await sb.kubectl(['get', 'cm', '-l', 'tier notin (front)', '-o', 'name'])).stdout;
    assert.ok(notIn.includes('configmap/sel-b') && !notIn.includes('sel-a'));
  });

  test('dry-run=server validates without storing', async () => {
    const out = (await sb.kubectl(['create', 'configmap', 'dry', '--dry-run=server'])).stdout;
    assert.equal(out, 'configmap/dry created (server dry run)\n');
    const get = await sb.kubectl(['get', 'cm', 'dry'], { allowFailure: true });
    assert.equal(get.code, 1);
  });

  test('client-side apply: a key dropped from the file is removed (three-way merge)', async () => {
    const manifest = (data: Record<string, string>) =>
      json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'csa', labels: { app: 'x' } }, data });
    await sb.kubectl(['apply', '-f', '-'], { input: manifest({ a: '1', b: '2' }) });
    await sb.kubectl(['label', 'configmap', 'csa', 'extra=kept']);
    const out = (await sb.kubectl(['apply', '-f', '-'], { input: manifest({ a: '3' }) })).stdout;
    assert.equal(out, 'configmap/csa configured\n');
    const cm = JSON.parse((await sb.kubectl(['get', 'cm', 'csa', '-o', 'json'])).stdout);
    assert.deepEqual(cm.data, { a: '3' });
    assert.deepEqual(cm.metadata.labels, { app: 'x', extra: 'kept' });
  });

  test('server-side apply: ownership, conflicts, force, and removal of dropped fields', async () => {
    const manifest = (data: Record<string, string>) =>
      json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data });
    await sb.kubectl(['apply', '--server-side', '-f', '-'], { input: manifest({ a: '1', b: '2' }) });
    // Another manager changes a field kubectl owns.
    const patch = await sb.request(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/ssa?fieldManager=other',
      json({ data: { a: 'other' } }),
      {
        'Content-Type': 'application/merge-patch+json',
      },
    );
    assert.equal(patch.status, 200);
    const conflict = await sb.request(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/ssa?fieldManager=kubectl&force=false',
      manifest({ a: '1', b: '2' }),
      { 'Content-Type': 'application/apply-patch+yaml' },
    );
    assert.equal(conflict.status, 409);
    assert.deepEqual(conflict.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "other" using v1: .data.a',
      reason: 'Conflict',
      details: {
        causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "other" using v1', field: '.data.a' }],
      },
      code: 409,
    });
    const cli = await sb.kubectl(['apply', '--server-side', '-f', '-'], {
      input: manifest({ a: '1', b: '2' }),
      allowFailure: true,
    });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /conflict with "other" using v1: \.data\.a/);
    await sb.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: manifest({ a: '1' }) });
    const cm = JSON.parse((await sb.kubectl(['get', 'cm', 'ssa', '-o', 'json', '--show-managed-fields'])).stdout);
    assert.deepEqual(cm.data, { a: '1' });
    const kubectl = cm.metadata.managedFields.find((m: { manager: string }) => m.manager === 'kubectl');
    assert.equal(kubectl.operation, 'Apply');
    assert.deepEqual(kubectl.fieldsV1, { 'f:data': { 'f:a': {} } });
    assert.equal(
      cm.metadata.managedFields.some((m: { manager: string }) => m.manager === 'other'),
      false,
    );
  });

  test('apply without a field manager is refused', async () => {
    const res = await sb.request(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/ssa',
      json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' } }),
      {
        'Content-Type': 'application/apply-patch+yaml',
      },
    );
    assert.equal(res.status, 422);
    assert.equal(
      res.json().message,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });
});

describe('custom resources', () => {
  test('a CRD serves its kind: apply, get with printer columns, delete with the CRD', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
            subresources: { status: {} },
          },
        ],
      },
    };
    await sb.kubectl(['apply', '-f', '-'], { input: json(crd) });
    await sb.kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=20s']);
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } };
    await eventually(
      async () => (await sb.kubectl(['apply', '-f', '-'], { input: json(widget), allowFailure: true })).code === 0,
    );
    await sb.kubectl(['apply', '--server-side', '-f', '-'], { input: json({ ...widget, spec: { size: 4 } }) });
    const table = (await sb.kubectl(['get', 'wd'])).stdout;
    assert.match(table, /^NAME\s+SIZE\s+AGE\nw1\s+4\s+\d+s\n$/);
    await sb.kubectl(['delete', 'crd', 'widgets.example.com']);
    const gone = await sb.request('GET', '/apis/example.com/v1/namespaces/default/widgets');
    assert.equal(gone.status, 404);
  });
});

describe('namespaces', () => {
  test('a terminating namespace refuses new content (403), then goes away', async () => {
    await sb.kubectl(['create', 'namespace', 'doomed']);
    await sb.kubectl(['apply', '-f', '-'], {
      input: json({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'held', namespace: 'doomed', finalizers: ['example.com/hold'] },
      }),
    });
    await sb.kubectl(['delete', 'namespace', 'doomed', '--wait=false']);
    const res = await sb.request('POST', '/api/v1/namespaces/doomed/configmaps', json({ metadata: { name: 'late' } }), {
      'Content-Type': 'application/json',
    });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
      reason: 'Forbidden',
      details: { name: 'late', kind: 'configmaps' },
      code: 403,
    });
    const phase = (await sb.kubectl(['get', 'ns', 'doomed', '-o', 'jsonpath={.status.phase}'])).stdout;
    assert.equal(phase, 'Terminating');
    await sb.kubectl([
      '-n',
      'doomed',
      'patch',
      'configmap',
      'held',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    await sb.kubectl(['wait', '--for=delete', 'namespace/doomed', '--timeout=30s']);
    const missing = await sb.request(
      'POST',
      '/api/v1/namespaces/doomed/configmaps',
      json({ metadata: { name: 'x' } }),
      {
        'Content-Type': 'application/json',
      },
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.json().message, 'namespaces "doomed" not found');
  });
});

describe('garbage collection', () => {
  const cm = (name: string, owner?: { name: string; uid: string }, finalizers?: string[]) =>
    json({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        ...(finalizers ? { finalizers } : {}),
        ...(owner
          ? {
              ownerReferences: [
                { apiVersion: 'v1', kind: 'ConfigMap', name: owner.name, uid: owner.uid, blockOwnerDeletion: true },
              ],
            }
          : {}),
      },
    });
  const create = async (body: string) =>
    (
      await sb.request('POST', '/api/v1/namespaces/default/configmaps', body, { 'Content-Type': 'application/json' })
    ).json() as {
      metadata: { name: string; uid: string };
    };
  const exists = async (name: string) =>
    (await sb.request('GET', `/api/v1/namespaces/default/configmaps/${name}`)).status === 200;

  test('background, orphan and foreground propagation', async () => {
    const owner = await create(cm('gc-owner'));
    await create(cm('gc-child', owner.metadata));
    await sb.kubectl(['delete', 'configmap', 'gc-owner', '--cascade=background']);
    await eventually(async () => !(await exists('gc-child')), 10_000);

    const owner2 = await create(cm('gc-owner2'));
    await create(cm('gc-orphan', owner2.metadata));
    await sb.kubectl(['delete', 'configmap', 'gc-owner2', '--cascade=orphan']);
    await eventually(async () => !(await exists('gc-owner2')), 10_000);
    const orphan = (await sb.request('GET', '/api/v1/namespaces/default/configmaps/gc-orphan')).json() as {
      metadata: Record<string, unknown>;
    };
    assert.equal(orphan.metadata.ownerReferences, undefined);

    const owner3 = await create(cm('gc-owner3'));
    await create(cm('gc-held', owner3.metadata, ['example.com/hold']));
    await sb.kubectl(['delete', 'configmap', 'gc-owner3', '--cascade=foreground', '--wait=false']);
    const waiting = (await sb.request('GET', '/api/v1/namespaces/default/configmaps/gc-owner3')).json() as {
      metadata: { finalizers: string[]; deletionTimestamp?: string };
    };
    assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);
    assert.ok(waiting.metadata.deletionTimestamp);
    await sb.kubectl(['patch', 'configmap', 'gc-held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await eventually(async () => !(await exists('gc-owner3')) && !(await exists('gc-held')), 10_000);
  });
});

describe('watch', () => {
  test('an object that stops matching the selector is DELETED for the watcher, ADDED when it matches again', async () => {
    const created = (await (
      await sb.request(
        'POST',
        '/api/v1/namespaces/default/configmaps',
        json({ metadata: { name: 'flip', labels: { pick: 'me' } } }),
        {
          'Content-Type': 'application/json',
        },
      )
    ).json()) as { metadata: { resourceVersion: string } };
    const watching = sb.request(
      'GET',
      `/api/v1/namespaces/default/configmaps?watch=true&labelSelector=pick%3Dme&timeoutSeconds=2&resourceVersion=${created.metadata.resourceVersion}`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const label = (value: string | null) =>
      sb.request(
        'PATCH',
        '/api/v1/namespaces/default/configmaps/flip',
        json({ metadata: { labels: { pick: value } } }),
        {
          'Content-Type': 'application/merge-patch+json',
        },
      );
    await label(null);
    await label('other');
    await label('me');
    const lines = (await watching).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { labels?: object } } });
    assert.deepEqual(
      lines.map((e) => [e.type, e.object.metadata.labels ?? {}]),
      [
        ['DELETED', {}],
        ['ADDED', { pick: 'me' }],
      ],
    );
  });
});
