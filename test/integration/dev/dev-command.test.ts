// `kloop dev` end to end on the sandbox, as a user runs it: deploy, sync through the port-forward,
// onSync: restart, Ctrl-C restoring the dev patch, and kill -9 followed by a clean restart.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { records } from '../../../src/kube/journal.ts';
import { HTTPD as COMMAND, webDevProject, writeTree } from '../../helpers/fixtures.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { bin, eventually, get, type Line, runKloop, startDev, until } from './cli.ts';
import { freePort, type Sandbox, startSandbox } from './sandbox.ts';

const haveDocker = await requireDocker('the kloop dev tests');

function project(dir: string, port: number): void {
  writeTree(dir, {
    ...webDevProject('devtest', port, { exclude: ['*.tmp'], patch: '{ env: { GREETING: from-dev } }' }),
    'public/draft.tmp': 'excluded\n',
  });
}

const running = (l: Line) =>
  l.type === 'state' && l.state.phase === 'running' && l.state.targets.web?.sync[0]?.state === 'in-sync';

describe('kloop dev on the sandbox', { skip: haveDocker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  let dir = '';
  const children: ChildProcess[] = [];

  before(async () => {
    sandbox = await startSandbox();
    dir = mkdtempSync(path.join(tmpdir(), 'kloop-dev-cmd-'));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const command = async () =>
    JSON.parse(await sandbox.kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'json')) as Line;

  test('edit, delete, exclude, restart, Ctrl-C restores; kill -9 then kloop dev restores and restarts', async () => {
    const port = await freePort();
    project(dir, port);
    const dev = startDev(dir, sandbox.kubeconfig);
    children.push(dev.child);
    const first = await until('the session runs', dev, running, 120_000);
    const pod = first.state.targets.web.pod as string;
    assert.deepEqual(
      first.state.deploys.map((d: { apps: string[]; state: string }) => [d.apps, d.state]),
      [[['web'], 'ok']],
      'the session records its deploy',
    );
    const seenPod = await until('the session reports its pods', dev, (l) =>
      Boolean(l.type === 'state' && l.state.targets.web.pods?.some((p: { ready?: boolean }) => p.ready)),
    );
    const ready = seenPod.state.targets.web.pods.find((p: { ready?: boolean }) => p.ready);
    assert.equal(ready.phase, 'Running');
    assert.equal(typeof ready.restarts, 'number');
    assert.match(ready.name, /^web-/);

    assert.equal(await get(port, 'index.html'), '200 hello\n');
    assert.match(await get(port, 'draft.tmp'), /^404/, 'an excluded file never arrives');
    // a kloop connect beside the session shows in the session's state, and leaves it when it ends
    const connect = spawn(process.execPath, [bin, 'connect', 'web', '-n', 'default', '--', 'sleep', '30'], {
      cwd: dir,
      env: { ...process.env, KUBECONFIG: sandbox.kubeconfig, CI: 'true', NO_COLOR: '1', HOME: dir },
      stdio: 'ignore',
    });
    children.push(connect);
    const key = `connect-${connect.pid}`;
    await until(
      'the session shows the connect',
      dev,
      (l) => l.type === 'state' && l.state.hybrid?.[key]?.state?.process?.state === 'running',
    );
    connect.kill('SIGTERM');
    await until(
      'the connect leaves the session',
      dev,
      (l) => l.type === 'state' && !l.state.hybrid?.[key] && 'hybrid' in l.state,
    );

    const patched = await command();
    assert.equal(patched.spec.template.spec.containers[0].command[3], 'kloop-restart');
    assert.ok(patched.metadata.annotations['kloop.dev/dev-original']);
    assert.deepEqual(patched.spec.template.spec.containers[0].env, [{ name: 'GREETING', value: 'from-dev' }]);

    writeFileSync(path.join(dir, 'public/index.html'), 'edited\n');
    await eventually(
      'the edit is served',
      () => get(port, 'index.html'),
      (v) => v === '200 edited\n',
    );
    await until('the restart ran', dev, (l) => l.type === 'state' && (l.state.targets.web.reload?.count ?? 0) >= 1);
    await until(
      'the process restarted in the same pod',
      dev,
      (l) => l.type === 'log' && l.pod === pod && /kloop: restarting/.test(l.text),
    );
    await eventually(
      'the restarted process serves the synced file',
      () => get(port, 'index.html'),
      (v) => v === '200 edited\n',
    );
    const starts = () =>
      dev.lines.filter((l: Line) => l.type === 'log' && l.pod === pod && /^started/.test(l.text)).length;
    await eventually(
      'the main process started again',
      async () => String(starts()),
      (n) => Number(n) >= 2,
    );

    rmSync(path.join(dir, 'public/index.html'));
    await eventually(
      'a deleted file is gone',
      () => get(port, 'index.html'),
      (v) => v.startsWith('404'),
    );
    writeFileSync(path.join(dir, 'public/index.html'), 'back\n');
    await eventually(
      'it comes back',
      () => get(port, 'index.html'),
      (v) => v === '200 back\n',
    );

    // kloop enter and kloop logs next to the running session
    const entered = await runKloop(dir, sandbox.kubeconfig, ['enter', 'web', '--', 'cat', '/www/index.html']);
    assert.deepEqual([entered.code, entered.stdout], [0, 'back\n']);
    const failing = await runKloop(dir, sandbox.kubeconfig, ['enter', '--', 'sh', '-c', 'exit 3']);
    assert.equal(failing.code, 3, 'the exit code of the command in the container');
    const logs = await runKloop(dir, sandbox.kubeconfig, ['logs', 'web', '-o', 'json'], 4000);
    const logLines = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(
      logLines.some((l) => l.type === 'log' && l.target === 'web' && /kloop: restarting/.test(l.text)),
      logs.stdout,
    );
    const unknown = await runKloop(dir, sandbox.kubeconfig, ['logs', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /"nope" is neither a dev target nor an app/);

    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0, dev.stderr());
    await assert.rejects(get(port, 'index.html'), 'the port is closed');
    const restored = await command();
    assert.deepEqual(restored.spec.template.spec.containers[0].command, ['sh', '-c', COMMAND]);
    assert.equal(restored.metadata.annotations?.['kloop.dev/dev-original'], undefined);
    assert.equal(restored.spec.template.spec.containers[0].env, undefined, 'the patched env is gone');

    // kill -9: the patch stays until the next kloop dev, which restores it and starts cleanly.
    const crashed = startDev(dir, sandbox.kubeconfig);
    children.push(crashed.child);
    await until('the second session runs', crashed, running, 120_000);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    assert.equal((await command()).spec.template.spec.containers[0].command[3], 'kloop-restart', 'left patched');

    const again = startDev(dir, sandbox.kubeconfig);
    children.push(again.child);
    await until(
      'the leftover patch is restored',
      again,
      (l) => l.type === 'notice' && /left patched by an earlier session/.test(l.message),
    );
    await until('the third session runs', again, running, 120_000);
    await eventually(
      'it serves',
      () => get(port, 'index.html'),
      (v) => v === '200 back\n',
    );
    const second = await runKloop(dir, sandbox.kubeconfig, ['dev', '--skip-deploy']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /another kloop dev session \(pid \d+\) is running/);
    assert.equal((await command()).spec.template.spec.containers[0].command[3], 'kloop-restart', 'still patched');
    again.child.kill('SIGINT');
    assert.equal(await again.exited, 0, again.stderr());
    assert.deepEqual((await command()).spec.template.spec.containers[0].command, ['sh', '-c', COMMAND]);

    // a busy local port: one clear error, exit 1, nothing left patched
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const busy = await runKloop(dir, sandbox.kubeconfig, ['dev', '--skip-deploy']);
      assert.equal(busy.code, 1, busy.stderr);
      assert.match(busy.stderr, new RegExp(`dev target "web": local port ${port} is already in use`));
      assert.deepEqual((await command()).spec.template.spec.containers[0].command, ['sh', '-c', COMMAND]);
    } finally {
      blocker.close();
    }

    // kill -9, then purge: the recorded patch is undone (records cleared) and the workload removed.
    const last = startDev(dir, sandbox.kubeconfig);
    children.push(last.child);
    await until('the last session runs', last, running, 120_000);
    last.child.kill('SIGKILL');
    await last.exited;
    const patches = async () => (await records(path.join(dir, '.kloop'))).filter((r) => r.kind === 'dev-patch');
    assert.equal((await patches()).length, 1, 'the crashed session left its patch recorded');
    const purge = await runKloop(dir, sandbox.kubeconfig, ['purge']);
    assert.equal(purge.code, 0, purge.stderr);
    assert.deepEqual(await patches(), []);
    await assert.rejects(command(), 'the workload is gone');
  });
});
