// The bundled example project (examples/) under `kloop dev` on the sandbox: its image is built,
// its chart and manifests deployed, and its dev target syncs into the web container.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, get, type Line, runKloop, startDev, until } from './cli.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { repoRoot, type Sandbox, startSandbox } from './sandbox.ts';

const haveDocker = await requireDocker('the example dev test');

describe('kloop dev with the example project', { skip: haveDocker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  let dir = '';
  const children: ChildProcess[] = [];

  before(async () => {
    sandbox = await startSandbox();
    dir = mkdtempSync(path.join(tmpdir(), 'kloop-dev-example-'));
    cpSync(path.join(repoRoot, 'examples'), dir, {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}.kloop`) && path.basename(src) !== '.env',
    });
    await sandbox.kubectl('create', 'namespace', 'shop');
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('edit a file and see it through the port-forward; delete it; excluded files never arrive; Ctrl-C closes the port', async () => {
    const dev = startDev(dir, sandbox.kubeconfig, 'shop');
    children.push(dev.child);
    await until(
      'the example session runs',
      dev,
      (l: Line) =>
        l.type === 'state' && l.state.phase === 'running' && l.state.targets.web?.sync[0]?.state === 'in-sync',
      180_000,
    );
    assert.match(await get(8085, ''), /kloop shop/);
    // the session shows every app it deployed: web's dependency cache too, each ready
    const states = (dev.lines as Line[]).filter((l) => l.type === 'state' && l.state.apps);
    const apps = states.at(-1)?.state.apps ?? {};
    assert.deepEqual(
      Object.keys(apps)
        .sort()
        .map((n) => [n, apps[n].state]),
      [
        ['cache', 'ready'],
        ['web', 'ready'],
      ],
    );
    const page = path.join(dir, 'src/web/public/index.html');
    writeFileSync(page, '<h1>edited</h1>\n');
    await eventually(
      'the edit is served',
      () => get(8085, 'index.html'),
      (v) => v === '200 <h1>edited</h1>\n',
    );
    writeFileSync(path.join(dir, 'src/web/public/extra.html'), 'extra\n');
    writeFileSync(path.join(dir, 'src/web/public/draft.tmp'), 'excluded\n');
    await eventually(
      'a new file is served',
      () => get(8085, 'extra.html'),
      (v) => v === '200 extra\n',
    );
    rmSync(path.join(dir, 'src/web/public/extra.html'));
    await eventually(
      'the deleted file is gone',
      () => get(8085, 'extra.html'),
      (v) => v.startsWith('404'),
    );
    assert.match(await get(8085, 'draft.tmp'), /^404/, 'the excluded file never arrived');
    // kloop logs of an app that is not a dev target: its workloads, found by kloop's labels
    const logs = await runKloop(dir, sandbox.kubeconfig, ['logs', 'cache', '-o', 'json'], 5000, 'shop');
    const lines = logs.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.ok(
      lines.some((l) => l.target === 'cache' && l.text === 'home is /root'),
      logs.stdout + logs.stderr,
    );
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0, dev.stderr());
    await assert.rejects(get(8085, 'index.html'), 'the port is closed');
  });
});
