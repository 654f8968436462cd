// kloop-sandbox up / status / down: idempotent up, kubeconfig merging, and no container left
// behind, also when the server was killed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../../helpers/sandbox.ts';
import { expectTools } from '../../helpers/tools.ts';

before(() => expectTools({ kubectl: true }));

const cli = resolve(import.meta.dirname, '../../../sandbox/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'kloop-sandbox-cli-'));
const kubeconfig = join(dir, 'config');
const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir };
const sandbox = (...args: string[]) =>
  run(process.execPath, [cli, ...args, '--kubeconfig', kubeconfig], env, { allowFailure: true });
const containers = (instance: string) =>
  execFileSync('docker', ['ps', '-aq', '--filter', `label=kloop.dev/sandbox=${instance}`], { encoding: 'utf8' }).trim();

after(async () => {
  await sandbox('down');
  rmSync(dir, { recursive: true, force: true });
});

test('up writes a context next to existing ones, is a no-op when up, and down cleans everything', async () => {
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: https://example.invalid\ncontexts:\n- name: other\n  context:\n    cluster: other\n    user: other\nusers:\n- name: other\n  user:\n    token: x\ncurrent-context: other\n',
  );
  assert.equal((await sandbox('status')).code, 1);
  const first = await sandbox('up');
  assert.equal(first.code, 0, first.stderr);
  const info = JSON.parse(readFileSync(`${kubeconfig}.sandbox/server.json`, 'utf8')) as {
    port: number;
    pid: number;
    instance: string;
  };
  const config = JSON.parse(readFileSync(kubeconfig, 'utf8'));
  assert.equal(config['current-context'], 'kloop-sandbox');
  assert.deepEqual(
    config.contexts.map((c: { name: string }) => c.name),
    ['other', 'kloop-sandbox'],
  );
  assert.equal(config.clusters[1].cluster.server, `https://127.0.0.1:${info.port}`);

  const again = await sandbox('up');
  assert.equal(again.stdout, `kloop-sandbox is already up at https://127.0.0.1:${info.port} (pid ${info.pid})\n`);
  const status = await sandbox('status');
  assert.equal(status.code, 0);
  assert.match(status.stdout, new RegExp(`^kloop-sandbox is up at https://127\\.0\\.0\\.1:${info.port} `));

  await run('kubectl', ['run', 'p', '--image=busybox:1.36', '--', 'sleep', '3600'], env);
  await run('kubectl', ['wait', '--for=condition=Ready', 'pod/p', '--timeout=60s'], env);
  assert.notEqual(containers(info.instance), '');

  const down = await sandbox('down');
  assert.equal(down.stdout, 'kloop-sandbox is down\n');
  assert.equal(containers(info.instance), '');
  const left = JSON.parse(JSON.stringify((await import('yaml')).parse(readFileSync(kubeconfig, 'utf8'))));
  assert.deepEqual(
    left.contexts.map((c: { name: string }) => c.name),
    ['other'],
  );
  assert.equal(left['current-context'], undefined);
  assert.equal((await sandbox('status')).code, 1);
});

test('down removes the containers of a server that was killed', async () => {
  assert.equal((await sandbox('up')).code, 0);
  const info = JSON.parse(readFileSync(`${kubeconfig}.sandbox/server.json`, 'utf8')) as {
    pid: number;
    instance: string;
  };
  await run('kubectl', ['run', 'q', '--image=busybox:1.36', '--', 'sleep', '3600'], env);
  await run('kubectl', ['wait', '--for=condition=Ready', 'pod/q', '--timeout=60s'], env);
  process.kill(info.pid, 'SIGKILL');
  assert.notEqual(containers(info.instance), '');
  await sandbox('down');
  assert.equal(containers(info.instance), '');
});
