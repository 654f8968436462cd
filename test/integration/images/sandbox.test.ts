// The sandbox path for real: the kloop sandbox runs pods on the local Docker engine, so `kloop
// build` against its context loads nothing, and a pod using the built reference runs the app.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runCliSync } from '../../helpers/cli.ts';
import { tempDir } from '../../unit/images/project.ts';
import { dockerAvailable, testRepos } from './docker.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SANDBOX = join(ROOT, 'sandbox/cli.ts');
const fixture = fileURLToPath(new URL('../../fixtures/build/app', import.meta.url));
const available = await dockerAvailable();

describe('kloop build for the kloop sandbox', { skip: available.ok ? false : available.skip }, () => {
  const repos = testRepos();
  const tmp = tempDir('kloop-build-sbx-');
  const kubeconfig = join(tmp.dir, 'kubeconfig');
  let started = false;
  after(() => {
    if (started) spawnSync(process.execPath, [SANDBOX, 'down', '--kubeconfig', kubeconfig], { stdio: 'ignore' });
    repos.cleanup();
    tmp.cleanup();
  });

  const kubectl = (...args: string[]) =>
    execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' }).trim();

  test('a built image runs in a sandbox pod without any load or push', async () => {
    execFileSync(process.execPath, [SANDBOX, 'up', '--kubeconfig', kubeconfig], { stdio: 'ignore' });
    started = true;
    const root = join(tmp.dir, 'app');
    cpSync(fixture, root, { recursive: true });
    writeFileSync(
      join(root, 'kloop.yaml'),
      `version: v1\nname: sbx\nimages:\n  web:\n    image: ${repos.prefix}/web\n    buildArgs: { TEST_LABEL: ${repos.prefix}, GREETING: sandbox }\n`,
    );
    const r = runCliSync(['build', '-o', 'json'], {
      cwd: root,
      env: { ...process.env, CI: 'true', KUBECONFIG: kubeconfig },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /push|loading into/);
    const ref = (JSON.parse(r.stdout) as { images: { web: { ref: string } } }).images.web.ref;

    kubectl('run', 'built', `--image=${ref}`, '--restart=Never', '--image-pull-policy=Never');
    let phase = '';
    for (let i = 0; i < 60 && phase !== 'Succeeded' && phase !== 'Failed'; i++) {
      await sleep(500);
      phase = kubectl('get', 'pod', 'built', '-o', 'jsonpath={.status.phase}');
    }
    assert.equal(phase, 'Succeeded');
    assert.equal(kubectl('logs', 'built'), 'app says sandbox from v1');
  });
});
