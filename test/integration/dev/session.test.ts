// A dev target on the sandbox: sync, port-forward, logs and reload against real pods, and what
// happens when the pod is deleted mid-session.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ResolvedDevTarget } from '../../../src/config/project.ts';
import { applyDevPatch, DEV_PATCH } from '../../../src/dev/dev-patch.ts';
import { records, restore } from '../../../src/kube/journal.ts';
import type { LogLine } from '../../../src/dev/logs.ts';
import { createStore, newTarget } from '../../../src/dev/store.ts';
import { TargetSession } from '../../../src/dev/target-session.ts';
import { createDialer, type Dialer } from '../../../src/kube/streams.ts';
import { connect, type KubeClient } from '../../../src/kube/client.ts';
import { resolveCredentials } from '../../../src/kube/credentials.ts';
import { eventually } from '../../helpers/wait.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { freePort, type Sandbox, startSandbox, webDeployment } from './sandbox.ts';

const haveDocker = await requireDocker('the dev session tests');

async function get(port: number, file: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/${file}`, { signal: AbortSignal.timeout(3000) });
  return `${res.status} ${await res.text()}`;
}

describe('a dev target on the sandbox', { skip: haveDocker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  let client: KubeClient;
  let dialer: Dialer;
  let tmp = '';
  const sessions: TargetSession[] = [];

  before(async () => {
    sandbox = await startSandbox();
    client = await connect({ kubeconfig: sandbox.kubeconfig, namespace: 'default' });
    dialer = createDialer(await resolveCredentials({ kubeconfig: sandbox.kubeconfig }));
    tmp = await mkdtemp(path.join(tmpdir(), 'kloop-dev-session-'));
  });
  after(async () => {
    for (const s of sessions) await s.stop().catch(() => {});
    client?.close();
    await sandbox?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  test('sync, port-forward, logs and exec reload follow the pod across a deletion', async () => {
    await sandbox.kubectlInput(webDeployment('web'), 'apply', '-f', '-');
    await writeFile(path.join(tmp, 'index.html'), 'first\n');
    await writeFile(path.join(tmp, 'notes.tmp'), 'never synced\n');
    const port = await freePort();
    const target: ResolvedDevTarget = {
      name: 'web',
      app: 'web',
      namespace: 'default',
      workload: 'deployment/web',
      container: 'web',
      sync: [{ from: '.', to: '/www', exclude: ['*.tmp'] }],
      onSync: { exec: 'date > /tmp-reloaded || echo reloaded > /www/.reloaded' },
      ports: [`${port}:8080`],
    };
    const store = createStore({
      project: 't',
      startedAt: '',
      phase: 'running',
      targets: { web: newTarget('web', 'default') },
    });
    const logs: LogLine[] = [];
    store.subscribe((_, a) => {
      if (a.type === 'log') logs.push(a.line);
    });
    const session = new TargetSession({
      client,
      dialer,
      root: tmp,
      target,
      store,
      podTimeoutMs: 60_000,
    });
    sessions.push(session);
    await session.start();

    assert.equal(await get(port, 'index.html'), '200 first\n');
    assert.match(await get(port, 'notes.tmp'), /^404/, 'an excluded file never arrives');
    const first = store.get().targets.web!;
    assert.equal(first.phase, 'running');
    assert.equal(first.sync[0]?.state, 'in-sync');
    assert.equal(first.ports[0]?.state, 'forwarding');

    await writeFile(path.join(tmp, 'index.html'), 'second\n');
    await eventually(
      'the edit is served',
      () => get(port, 'index.html'),
      (v) => v === '200 second\n',
    );
    await eventually(
      'logs of the first pod',
      async () => logs.map((l) => l.text).join('\n'),
      (t) => t.includes('started'),
    );
    await eventually(
      'the exec reload ran',
      async () => store.get().targets.web!.reload?.count ?? 0,
      (n) => n >= 1,
    );

    await writeFile(path.join(tmp, 'gone.html'), 'bye\n');
    await eventually(
      'a new file arrives',
      () => get(port, 'gone.html'),
      (v) => v === '200 bye\n',
    );
    await rm(path.join(tmp, 'gone.html'));
    await eventually(
      'a deleted file is gone',
      () => get(port, 'gone.html'),
      (v) => v.startsWith('404'),
    );

    // Delete the pod and keep editing: the replacement gets the edits made meanwhile.
    const oldPod = first.pod!;
    await sandbox.kubectl('delete', 'pod', oldPod, '--wait=false');
    await writeFile(path.join(tmp, 'index.html'), 'third, written while the pod was replaced\n');
    await writeFile(path.join(tmp, 'during.html'), 'during\n');
    const after = await eventually(
      'a replacement pod is used',
      async () => store.get().targets.web!,
      (t) => t.pod !== undefined && t.pod !== oldPod && t.sync[0]?.state === 'in-sync',
      30_000,
    );
    assert.deepEqual(after.podHistory, [oldPod, after.pod]);
    await eventually(
      'the forward serves the replacement with the edits made meanwhile',
      () => get(port, 'index.html'),
      (v) => v === '200 third, written while the pod was replaced\n',
    );
    assert.equal(await get(port, 'during.html'), '200 during\n');
    await eventually(
      'logs follow the replacement',
      async () => logs.filter((l) => l.pod === after.pod).map((l) => l.text),
      (t) => t.some((x) => x.includes('started')),
    );
    await writeFile(path.join(tmp, 'index.html'), 'fourth\n');
    await eventually(
      'edits keep arriving',
      () => get(port, 'index.html'),
      (v) => v === '200 fourth\n',
    );

    // re-establishing every stream (as after a laptop sleep) resumes the logs instead of replaying them
    session.reconnect();
    await writeFile(path.join(tmp, 'index.html'), 'fifth\n');
    await eventually(
      'sync works after the reconnect',
      () => get(port, 'index.html'),
      (v) => v === '200 fifth\n',
    );
    await delay(1000);
    const starts = logs.filter((l) => l.pod === after.pod && l.text.includes('started'));
    assert.equal(starts.length, 1, 'the start line of the replacement is printed once');

    // a reload on request (the dashboard's restart action)
    const reloads = store.get().targets.web!.reload?.count ?? 0;
    session.reload();
    await eventually(
      'the requested reload ran',
      async () => store.get().targets.web!.reload?.count ?? 0,
      (n) => n > reloads,
    );

    await session.stop();
    await assert.rejects(get(port, 'index.html'), 'the local port is closed after stop');
    assert.equal(store.get().targets.web!.ports[0]?.state, 'closed');
  });

  const patchRecords = async (stateDir: string) => (await records(stateDir)).filter((r) => r.kind === DEV_PATCH);

  test('dev patch overrides are recorded before they apply and restored exactly', async () => {
    const stateDir = path.join(tmp, 'state');
    await sandbox.kubectlInput(webDeployment('patched'), 'apply', '-f', '-');
    const get = async () => JSON.parse(await sandbox.kubectl('get', 'deployment', 'patched', '-o', 'json'));
    const before = await get();
    const target = { name: 'p', namespace: 'default', workload: 'deployment/patched', container: 'web' };
    await applyDevPatch(client, stateDir, target, {
      command: ['sh', '-c', 'echo "mode $MODE in $(pwd)"; exec sleep 3600'],
      env: { MODE: 'dev' },
      workingDir: '/tmp',
    });
    const patched = await get();
    const c = patched.spec.template.spec.containers[0];
    assert.deepEqual(c.command, ['sh', '-c', 'echo "mode $MODE in $(pwd)"; exec sleep 3600']);
    assert.deepEqual(c.env, [{ name: 'MODE', value: 'dev' }]);
    assert.equal(c.workingDir, '/tmp');
    const recorded = JSON.parse(patched.metadata.annotations['kloop.dev/dev-original']);
    assert.deepEqual(recorded.command, before.spec.template.spec.containers[0].command);
    assert.equal((await patchRecords(stateDir)).length, 1);
    // applying again (a session that did not end cleanly) keeps the true original
    await applyDevPatch(client, stateDir, target, { restartLoop: true, env: { MODE: 'dev' } });
    assert.deepEqual(JSON.parse((await get()).metadata.annotations['kloop.dev/dev-original']), recorded);

    const restored = await restore({ client, stateDir }, { all: true });
    assert.equal(restored.length, 1);
    const after = await get();
    assert.deepEqual(after.spec.template.spec.containers[0], before.spec.template.spec.containers[0]);
    assert.equal(after.metadata.annotations?.['kloop.dev/dev-original'], undefined);
    assert.deepEqual(await patchRecords(stateDir), []);
  });
});
