// Hooks that run in a container of the app ({container: {app, workload, command}}): output shown,
// a failure stops the pipeline with the command's last lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deployment, type Project, useSandbox } from './fixture.ts';
import { requireDocker } from '../../helpers/docker.ts';

const docker = await requireDocker('the deploy suite');

const config = (command: string) => `version: v1
name: hooked
apps:
  web:
    manifests: [web.yaml]
hooks:
  afterDeploy:
    - echo local-first
    - container: { app: web, workload: deployment/web, command: ${JSON.stringify(command)} }
`;

describe('container hooks', { skip: docker ? false : 'Docker is not available' }, () => {
  const cluster = useSandbox();
  let p: Project;

  it('runs a command in the app pod after deploy, and a failing one fails the deploy with its output', async () => {
    p = cluster.project('default', {
      'kloop.yaml': config('echo migrated > /tmp/marker && echo "schema migrated in $HOSTNAME"'),
      'web.yaml': deployment('web'),
    });
    const ok = await p.kloop('deploy', '--skip-build');
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(ok.stderr.indexOf('local-first') < ok.stderr.indexOf('schema migrated in web-'), ok.stderr);
    const marker = await p.kubectl('exec', 'deploy/web', '-n', 'default', '--', 'cat', '/tmp/marker');
    assert.equal(marker.stdout, 'migrated\n', 'the command ran in the container');

    p.write({ 'kloop.yaml': config('echo boom >&2; exit 4') });
    const failed = await p.kloop('deploy', '--skip-build');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /hook afterDeploy failed in pod web-[a-z0-9-]+\/web: .* exited with code 4/);
    assert.match(failed.stderr, /\| boom/);
    assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
  });
});
