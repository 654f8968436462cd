// Namespaces the apps need but nobody renders: deploy creates them (recorded in the inventory
// first), a full purge deletes them, and a namespace that existed before is never touched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configMap, type Project, useSandbox } from './fixture.ts';
import { requireDocker } from '../../helpers/docker.ts';

const docker = await requireDocker('the deploy suite');

describe('namespaces kloop creates', { skip: docker ? false : 'Docker is not available' }, () => {
  const cluster = useSandbox();
  let p: Project;

  it('creates a missing app namespace, purges it, and leaves a pre-existing one alone', async () => {
    p = cluster.project('default', {
      'kloop.yaml': `version: v1
name: nsdemo
apps:
  fresh:
    namespace: fresh-ns
    manifests: [fresh/*.yaml]
  old:
    namespace: old-ns
    manifests: [old/*.yaml]
`,
      'fresh/config.yaml': configMap('settings', { a: '1' }),
      'old/config.yaml': configMap('settings', { b: '2' }),
    });
    assert.equal((await p.kubectl('create', 'namespace', 'old-ns')).code, 0);

    const deploy = await p.kloop('deploy', '--skip-build');
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.match(deploy.stderr, /created namespace fresh-ns/);
    assert.doesNotMatch(deploy.stderr, /created namespace old-ns/);
    const created = JSON.parse((await p.kubectl('get', 'namespace', 'fresh-ns', '-o', 'json')).stdout);
    assert.equal(created.metadata.labels['kloop.dev/project'], 'nsdemo');
    const inventory = JSON.parse(
      (await p.kubectl('get', 'configmap', 'kloop-inventory-nsdemo-local', '-n', 'default', '-o', 'json')).stdout,
    );
    const recorded = JSON.parse(inventory.data['app._namespaces']);
    assert.deepEqual(
      recorded.map((e: { kind: string; name: string; uid?: string }) => [e.kind, e.name, Boolean(e.uid)]),
      [['Namespace', 'fresh-ns', true]],
    );

    // a second deploy is a no-op and creates nothing
    const again = await p.kloop('deploy', '--skip-build');
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /created namespace/);

    // purging one app keeps the namespace; the full purge removes it, never old-ns
    const partial = await p.kloop('purge', 'fresh');
    assert.equal(partial.code, 0, partial.stderr);
    assert.equal((await p.kubectl('get', 'namespace', 'fresh-ns')).code, 0);
    const purge = await p.kloop('purge');
    assert.equal(purge.code, 0, purge.stderr);
    assert.notEqual((await p.kubectl('get', 'namespace', 'fresh-ns')).code, 0, 'the created namespace is gone');
    assert.equal((await p.kubectl('get', 'namespace', 'old-ns')).code, 0, 'the pre-existing namespace stays');
    assert.notEqual((await p.kubectl('get', 'configmap', 'settings', '-n', 'old-ns')).code, 0, 'its object is gone');

    // an object kloop did not apply moved into the created namespace: purge keeps the namespace
    const redeploy = await p.kloop('deploy', '--skip-build');
    assert.equal(redeploy.code, 0, redeploy.stderr);
    assert.match(redeploy.stderr, /created namespace fresh-ns/);
    assert.equal((await p.kubectl('create', 'configmap', 'intruder', '-n', 'fresh-ns')).code, 0);
    const keep = await p.kloop('purge');
    assert.equal(keep.code, 0, keep.stderr);
    assert.match(keep.stderr, /namespace fresh-ns \(created by kloop\) is kept: .*configmap\/intruder/);
    assert.equal((await p.kubectl('get', 'configmap', 'intruder', '-n', 'fresh-ns')).code, 0, 'never deleted');
    assert.notEqual((await p.kubectl('get', 'configmap', 'settings', '-n', 'fresh-ns')).code, 0, 'kloop`s is');
  });
});
