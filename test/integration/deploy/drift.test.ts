// A redeploy with unchanged inputs repairs drift: objects changed by hand (kubectl scale, label,
// edit) in the fields kloop applied, or deleted, are re-applied and reported; everything else is
// left untouched (same resourceVersion), including changes in fields kloop never set.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireDocker } from '../../helpers/docker.ts';
import { configMap, deployment, type Project, useSandbox } from './fixture.ts';

const docker = await requireDocker('the deploy drift test');

describe('no-op kloop deploy repairs drift', { skip: docker ? false : 'Docker is not available' }, () => {
  const cluster = useSandbox();
  let p: Project;

  async function get(...args: string[]) {
    const r = await p.kubectl('get', ...args, '-n', 'drift', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  }
  async function deploy() {
    const r = await p.kloop('deploy', '--skip-build', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    return { summary: JSON.parse(r.stdout), stderr: r.stderr };
  }

  it('restores a hand-scaled Deployment and a relabelled ConfigMap, recreates a deleted Secret, ignores foreign fields', async () => {
    p = cluster.project('drift', {
      'kloop.yaml': 'version: v1\nname: drifty\napps:\n  web:\n    manifests: [web/*.yaml]\n',
      'web/deployment.yaml': deployment('web'),
      'web/config.yaml': configMap('web-config', { mode: 'fast' }),
      'web/secret.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata: { name: web-secret }\nstringData: { token: "s3cret" }\n',
    });
    assert.equal((await deploy()).summary.apps.web.status, 'applied');

    // a clean redeploy applies nothing and moves nothing
    const clean = await deploy();
    assert.equal(clean.summary.apps.web.status, 'unchanged');
    assert.deepEqual(clean.summary.apps.web.drifted, []);

    // drift by hand: replicas, a value kloop set, a deleted object; plus an annotation kloop never set
    assert.equal((await p.kubectl('scale', 'deployment/web', '--replicas=3', '-n', 'drift')).code, 0);
    assert.equal(
      (await p.kubectl('patch', 'configmap/web-config', '-n', 'drift', '-p', '{"data":{"mode":"slow"}}')).code,
      0,
    );
    const oldSecretUid = (await get('secret/web-secret')).metadata.uid;
    assert.equal((await p.kubectl('delete', 'secret/web-secret', '-n', 'drift')).code, 0);
    assert.equal((await p.kubectl('annotate', 'deployment/web', 'team=blue', '-n', 'drift')).code, 0);

    const repaired = await deploy();
    const web = repaired.summary.apps.web;
    assert.equal(web.status, 'applied');
    assert.deepEqual([...web.drifted].sort(), [
      'configmap/web-config in drift',
      'deployment/web in drift',
      'secret/web-secret in drift',
    ]);
    assert.deepEqual([...web.applied].sort(), [...web.drifted].sort(), 'only the drifted objects are applied');
    assert.match(repaired.stderr, /web: 3 objects changed in the cluster since the last deploy; re-applied/);
    assert.match(repaired.stderr, /deployment\/web in drift: changed by kubectl/);
    assert.match(repaired.stderr, /secret\/web-secret in drift: deleted; created again/);

    const dep = await get('deployment/web');
    assert.equal(dep.spec.replicas, 1, 'kubectl scale undone');
    assert.equal(dep.metadata.annotations?.team, 'blue', 'a field kloop never set is left alone');
    assert.equal((await get('configmap/web-config')).data.mode, 'fast');
    const secret = await get('secret/web-secret');
    assert.notEqual(secret.metadata.uid, oldSecretUid);
    assert.equal(Buffer.from(secret.data.token, 'base64').toString(), 's3cret');

    // repaired, then quiet again: another annotation kloop never set is no drift either
    assert.equal((await p.kubectl('annotate', 'configmap/web-config', 'note=hi', '-n', 'drift')).code, 0);
    const before = (await get('deployment,configmap,secret')).items.map(
      (i: { metadata: { name: string; resourceVersion: string } }) =>
        `${i.metadata.name}@${i.metadata.resourceVersion}`,
    );
    const quiet = await deploy();
    assert.equal(quiet.summary.apps.web.status, 'unchanged');
    assert.deepEqual(quiet.summary.apps.web.drifted, []);
    assert.doesNotMatch(quiet.stderr, /changed in the cluster/);
    const afterQuiet = (await get('deployment,configmap,secret')).items.map(
      (i: { metadata: { name: string; resourceVersion: string } }) =>
        `${i.metadata.name}@${i.metadata.resourceVersion}`,
    );
    assert.deepEqual(afterQuiet, before, 'a no-op moves nothing in the cluster');
  });
});
