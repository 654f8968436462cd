import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeDelivery, loadCommand, planLoad, pushDigest } from '../../../src/images/load.ts';
import { parseParallel } from '../../../src/commands/build.ts';
import { UsageError } from '../../../src/errors.ts';

test('auto: clusters on the local engine need nothing; kind, k3d import; everything else pushes', () => {
  for (const ctx of ['kloop-sandbox', 'docker-desktop', 'minikube', 'orbstack', 'rancher-desktop']) {
    assert.equal(planLoad('auto', ctx).method, 'none', ctx);
  }
  assert.deepEqual(planLoad('auto', 'kind-dev'), { method: 'kind', cluster: 'dev' });
  assert.deepEqual(planLoad('auto', 'k3d-mycluster'), { method: 'k3d', cluster: 'mycluster' });
  assert.deepEqual(planLoad('auto', 'gke_proj_europe-west1_prod'), { method: 'push' });
  assert.deepEqual(planLoad('auto', 'arn:aws:eks:eu-west-1:1:cluster/x'), { method: 'push' });
  assert.equal(planLoad('auto', undefined).method, 'none');
});

test('an explicit build.load overrides the context', () => {
  assert.equal(planLoad('none', 'kind-dev').method, 'none');
  assert.equal(planLoad('push', 'kloop-sandbox').method, 'push');
  assert.equal(planLoad('minikube', 'my-minikube-profile').method, 'none');
  assert.deepEqual(planLoad('kind', 'kind-a'), { method: 'kind', cluster: 'a' });
  assert.deepEqual(planLoad('kind', 'custom-name'), { method: 'kind', cluster: 'kind' });
  assert.deepEqual(planLoad('k3d', 'whatever'), { method: 'k3d', cluster: 'k3s-default' });
});

test('the load command lines', () => {
  const tools = { docker: '/usr/local/bin/docker' };
  assert.equal(loadCommand({ method: 'none', reason: 'x' }, 'r:t', tools), undefined);
  assert.deepEqual(loadCommand({ method: 'kind', cluster: 'dev' }, 'r:t', tools), [
    'kind',
    ['load', 'docker-image', 'r:t', '--name', 'dev'],
  ]);
  assert.deepEqual(loadCommand({ method: 'k3d', cluster: 'c' }, 'r:t', tools), [
    'k3d',
    ['image', 'import', 'r:t', '--cluster', 'c'],
  ]);
  assert.deepEqual(loadCommand({ method: 'push' }, 'r:t', tools), ['/usr/local/bin/docker', ['push', 'r:t']]);
});

test('--parallel must be a number from 1 to 32', () => {
  assert.equal(parseParallel(undefined), undefined);
  assert.equal(parseParallel('4'), 4);
  for (const bad of ['0', '33', 'x', '1.5']) assert.throws(() => parseParallel(bad), UsageError);
});

test('the digest a push reports', () => {
  const hex = 'a'.repeat(64);
  const output = `The push refers to repository [reg/x]\n5f70bf18a086: Pushed\nabc123: digest: sha256:${hex} size: 527\n`;
  assert.equal(pushDigest(output), `sha256:${hex}`);
  assert.equal(pushDigest('denied: requested access to the resource is denied'), undefined);
});

test('kloop use context explains where images go and why', () => {
  const images = [
    { name: 'web', image: 'registry.example.com/shop/web' },
    { name: 'api', image: 'shop/api' },
  ];
  const push = describeDelivery('auto', 'gke_prod', images);
  assert.match(push[0]!, /pushed to a registry: gke_prod does not share the local Docker engine/);
  assert.match(
    push[1]!,
    /^ {2}registry\.example\.com \(images\.web\.image\); credentials from docker login registry\.example\.com$/,
  );
  assert.match(push[2]!, /docker\.io \(images\.api\.image\) — Docker Hub, because the image names no registry host/);
  assert.match(describeDelivery('push', 'kloop-sandbox', images)[0]!, /\(build\.load is push\)/);
  assert.match(describeDelivery('auto', 'kind-dev', images)[0]!, /loaded into the kind cluster "dev"/);
  assert.match(
    describeDelivery('auto', 'kloop-sandbox', images)[0]!,
    /local Docker engine, no push — kloop-sandbox uses/,
  );
});
