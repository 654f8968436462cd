// A dev patch whose pods can never start (here: an image the node does not have, pull policy
// Never) ends `kloop dev` at once with the pod's problem, not at the 120 s pod timeout, and the
// workload is restored.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDev } from './cli.ts';
import { writeTree } from '../../helpers/fixtures.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { type Sandbox, startSandbox, webDeployment } from './sandbox.ts';

const haveDocker = await requireDocker('the stuck-pod test');

describe('kloop dev with a patch whose pods cannot start', {
  skip: haveDocker ? false : 'Docker is not available',
}, () => {
  let sandbox: Sandbox;
  let dir = '';
  before(async () => {
    sandbox = await startSandbox();
    dir = mkdtempSync(path.join(tmpdir(), 'kloop-dev-stuck-'));
    const files: Record<string, string> = {
      'kloop.yaml': `version: v1
name: stuck
apps:
  web: { manifests: [deploy/*.yaml] }
dev:
  web:
    app: web
    workload: deployment/web
    patch: { image: "kloop-not-here:1" }
`,
      'deploy/web.yaml': webDeployment('web'),
    };
    writeTree(dir, files);
  });
  after(async () => {
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one error naming the problem, well before the pod timeout; the workload restored', async () => {
    const dev = startDev(dir, sandbox.kubeconfig);
    const code = await dev.exited;
    assert.equal(code, 1, dev.stderr());
    // the pod's own problem, not the timeout's "no ready pod" listing, ended the wait
    assert.match(dev.stderr(), /dev target "web": .*kloop-not-here:1.*ErrImageNeverPull/);
    const image = await sandbox.kubectl(
      'get',
      'deployment',
      'web',
      '-n',
      'default',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    assert.equal(image, 'busybox:1.36');
  });
});
