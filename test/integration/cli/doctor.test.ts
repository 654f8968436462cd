import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApiServer, startFakeApiServer } from './fake-apiserver.ts';
import { freePort } from '../../helpers/ports.ts';
import { kloop, kubeconfigYaml, TempDirs } from './helpers.ts';

const temp = new TempDirs();
let api: FakeApiServer;
before(async () => {
  api = await startFakeApiServer('good-token', ['default']);
});
after(async () => {
  await api.close();
  temp.cleanup();
});

// needs only kubectl and the cluster: no helm apps, no images, no GitOps environments
const minimal = { 'kloop.yaml': 'version: v1\nname: shop\napps:\n  web: { manifests: [deploy/*.yaml] }\n' };

function withKubeconfig(dir: string, server: string, token = 'good-token'): string {
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, kubeconfigYaml({ server, caData: api.caData, token, contexts: [{ name: 'fake' }] }));
  return file;
}

describe('kloop doctor', () => {
  it('finds the tools with versions and reaches the cluster with the kubeconfig CA and token', async () => {
    const dir = temp.make(minimal);
    const r = await kloop(dir, ['doctor'], { KUBECONFIG: withKubeconfig(dir, api.url) });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /✓ kubectl v\d+\.\d+\.\d+ \(/);
    assert.match(r.stderr, /✓ cluster Kubernetes v1\.32\.0-fake — context fake, https:\/\/127\.0\.0\.1:\d+/);
    assert.match(r.stderr, /everything kloop needs is here/);
    assert.ok(api.requests.some((q) => q.path === '/version' && q.authorization === 'Bearer good-token'));
  });

  it('prints JSON with -o json', async () => {
    const dir = temp.make(minimal);
    const r = await kloop(dir, ['-o', 'json', 'doctor'], { KUBECONFIG: withKubeconfig(dir, api.url) });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, true);
    const names = out.checks.map((c: { name: string }) => c.name);
    assert.deepEqual(names, [
      'kloop.yaml',
      'helm',
      'kubectl',
      'kustomize',
      'docker',
      'buildah',
      'podman',
      'git',
      'cluster',
    ]);
    const kubectl = out.checks.find((c: { name: string }) => c.name === 'kubectl');
    assert.equal(kubectl.ok, true);
    assert.match(kubectl.version, /^v1\./);
  });

  it('reports refused credentials', async () => {
    const dir = temp.make(minimal);
    const r = await kloop(dir, ['doctor'], { KUBECONFIG: withKubeconfig(dir, api.url, 'wrong') });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /✗ cluster: context fake, https:\/\/127\.0\.0\.1:\d+: HTTP 401, the credentials were refused/,
    );
  });

  it('reports an unreachable cluster clearly', async () => {
    const dir = temp.make(minimal);
    const server = `https://127.0.0.1:${await freePort()}`;
    const r = await kloop(dir, ['doctor'], { KUBECONFIG: withKubeconfig(dir, server) });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(`✗ cluster: cannot reach the cluster of context "fake" at ${server}: .*ECONNREFUSED`),
    );
    assert.match(r.stderr, /fix: is the cluster running and reachable/);
    assert.match(r.stderr, /1 required check\(s\) failed/);
  });

  it('names a missing required tool and the fix', async () => {
    const dir = temp.make({
      'kloop.yaml': 'version: v1\nname: shop\ntools:\n  helm: ./bin/helm\napps:\n  web: { helm: { chart: chart } }\n',
      'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    });
    const r = await kloop(dir, ['doctor'], { KUBECONFIG: withKubeconfig(dir, api.url) });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /✗ helm: not found .*bin\/helm \(tools\.helm in kloop\.yaml\)/);
    assert.match(r.stderr, /fix: install Helm 3 .* or set tools\.helm in kloop\.yaml/);
  });

  it('without a kube context says how to pick one', async () => {
    const dir = temp.make(minimal);
    const r = await kloop(dir, ['doctor']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /✗ cluster: no kube context is selected/);
    assert.match(r.stderr, /kloop use context/);
  });
});
