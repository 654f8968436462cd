// Skipped images are not loaded into kind again. kind itself cannot run here (no nested
// Kubernetes), so `kind` is a stand-in script on PATH that records its calls; the cluster's node is
// a real Docker container named as kind names it, so recreating the cluster is real too.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildImages } from '../../../src/images/build.ts';
import { makeProject, tempDir } from '../../unit/images/project.ts';
import { dockerAvailable, testRepos } from './docker.ts';

const fixture = fileURLToPath(new URL('../../fixtures/build/app', import.meta.url));
const available = await dockerAvailable();

describe('kloop build for kind', { skip: available.ok ? false : available.skip }, () => {
  const repos = testRepos();
  const tmp = tempDir('kloop-kind-');
  const cluster = `kloop-${randomBytes(3).toString('hex')}`;
  const node = `${cluster}-control-plane`;
  const calls = join(tmp.dir, 'kind-calls');
  const bin = join(tmp.dir, 'bin');
  const path = process.env.PATH;
  mkdirSync(bin);
  writeFileSync(join(bin, 'kind'), `#!/bin/sh\necho "$*" >> ${calls}\n`);
  chmodSync(join(bin, 'kind'), 0o755);
  const startNode = () =>
    execFileSync(
      'docker',
      ['run', '-d', '--name', node, '--label', `kloop-test=${repos.prefix}`, 'busybox:1.36', 'sleep', '600'],
      {
        stdio: 'ignore',
      },
    );
  after(() => {
    process.env.PATH = path;
    spawnSync('docker', ['rm', '-f', node], { stdio: 'ignore' });
    repos.cleanup();
    tmp.cleanup();
  });
  const kindCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) : []);

  test('an unchanged image is loaded once per cluster, and again into a recreated cluster', async () => {
    process.env.PATH = `${bin}:${path}`;
    startNode();
    const root = join(tmp.dir, 'app');
    cpSync(fixture, root, { recursive: true });
    const project = makeProject(
      root,
      { web: { image: `${repos.prefix}/web`, buildArgs: { TEST_LABEL: repos.prefix } } },
      { build: { load: 'auto', parallel: 1 }, cluster: { namespace: 'default', context: `kind-${cluster}` } },
    );
    const first = (await buildImages(project, [], { onOutput: () => {} })).web!;
    assert.deepEqual(kindCalls(), [`load docker-image ${first.ref} --name ${cluster}`]);

    const second = (await buildImages(project, [], { onOutput: () => {} })).web!;
    assert.equal(second.skipped, true);
    assert.equal(kindCalls().length, 1, 'not loaded again');

    // kind delete cluster && kind create cluster: a new node container
    execFileSync('docker', ['rm', '-f', node], { stdio: 'ignore' });
    startNode();
    await buildImages(project, [], { onOutput: () => {} });
    assert.equal(kindCalls().length, 2, 'loaded into the new cluster');
  });
});
