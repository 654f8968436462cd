// A DevSpace v1beta10 project (two images, a kustomize deployment, sync + port + open, a
// before-deploy hook, a command) converted by `kloop init`, then run with `kloop dev` on the
// sandbox: an edit shows through the converted port-forward.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, get, type Line, runKloop, startDev, until } from './cli.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { freePort, repoRoot, type Sandbox, startSandbox } from './sandbox.ts';

const haveDocker = await requireDocker('the converted DevSpace dev test');

describe('kloop dev on a converted devspace.yaml', { skip: haveDocker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  let dir = '';
  const children: ChildProcess[] = [];

  before(async () => {
    sandbox = await startSandbox();
    dir = mkdtempSync(path.join(tmpdir(), 'kloop-dev-devspace-'));
    cpSync(path.join(repoRoot, 'test/fixtures/init/devspace-v1beta10'), dir, { recursive: true });
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('init, then dev: the hook runs, the page is served through the converted port, an edit shows', async () => {
    const port = await freePort();
    const devspace = path.join(dir, 'devspace.yaml');
    writeFileSync(devspace, readFileSync(devspace, 'utf8').replaceAll('8080', String(port)));
    const init = await runKloop(dir, sandbox.kubeconfig, ['init']);
    assert.equal(init.code, 0, init.stderr);
    const config = readFileSync(path.join(dir, 'kloop.yaml'), 'utf8');
    assert.match(config, new RegExp(`- ${port}:80`));

    const dev = startDev(dir, sandbox.kubeconfig);
    children.push(dev.child);
    await until(
      'the converted session runs',
      dev,
      (l: Line) =>
        l.type === 'state' &&
        l.state.phase === 'running' &&
        l.state.targets['azure-vote-front']?.sync[0]?.state === 'in-sync',
      180_000,
    );
    assert.ok(existsSync(path.join(dir, 'before-deploy.log')), 'the before-deploy hook ran');
    assert.equal(await get(port, 'index.html'), '200 <h1>vote</h1>\n');
    writeFileSync(path.join(dir, 'azure-vote/public/index.html'), '<h1>edited</h1>\n');
    await eventually(
      'the edit is served through the converted port-forward',
      () => get(port, 'index.html'),
      (v) => v === '200 <h1>edited</h1>\n',
    );
    const back = JSON.parse(
      await sandbox.kubectl('get', 'deployment', 'azure-vote-back', '-n', 'default', '-o', 'json'),
    );
    assert.match(back.spec.template.spec.containers[0].image, /^kloopdemo\.azurecr\.io\/azvote\/azure-vote-back:/);
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0, dev.stderr());

    const seed = await runKloop(dir, sandbox.kubeconfig, ['run', 'seed']);
    assert.equal(seed.code, 0, seed.stderr);
    assert.match(seed.stdout + seed.stderr, /seeding votes/);
  });
});
