import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApiServer, startFakeApiServer } from './fake-apiserver.ts';
import { BIN, kloop, kubeconfigYaml, TempDirs } from './helpers.ts';

const temp = new TempDirs();
let api: FakeApiServer;
before(async () => {
  api = await startFakeApiServer('t0k', ['default', 'team-a', 'team-b']);
});
after(async () => {
  await api.close();
  temp.cleanup();
});

function setup() {
  const dir = temp.make({ 'kloop.yaml': 'version: v1\nname: shop\n' });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    kubeconfigYaml({
      server: api.url,
      caData: api.caData,
      token: 't0k',
      current: 'alpha',
      contexts: [{ name: 'alpha', namespace: 'alpha-ns' }, { name: 'beta' }],
    }),
  );
  return { dir, env: { KUBECONFIG: kubeconfig }, kubeconfig };
}

async function cluster(dir: string, env: Record<string, string>, ...flags: string[]) {
  const r = await kloop(dir, ['print', '-o', 'json', ...flags], env);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).cluster;
}

describe('kloop use', () => {
  it('lists contexts without a name when not on a terminal', async () => {
    const { dir, env } = setup();
    const r = await kloop(dir, ['use', 'context'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '* alpha\n  beta\n');
  });

  it('remembers the context per project and leaves the kubeconfig untouched', async () => {
    const { dir, env, kubeconfig } = setup();
    const before = readFileSync(kubeconfig, 'utf8');
    assert.deepEqual(await cluster(dir, env), { context: 'alpha', namespace: 'alpha-ns' });
    const r = await kloop(dir, ['use', 'context', 'beta'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /this project now uses context beta/);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, '.kloop/state.json'), 'utf8')), { context: 'beta' });
    assert.equal(readFileSync(kubeconfig, 'utf8'), before);
    assert.deepEqual(await cluster(dir, env), { context: 'beta', namespace: 'default' });
    // --kube-context still wins
    assert.deepEqual(await cluster(dir, env, '--kube-context', 'alpha'), { context: 'alpha', namespace: 'alpha-ns' });
    const list = await kloop(dir, ['use', 'context'], env);
    assert.equal(list.stdout, '  alpha\n* beta\n');
  });

  it('an unknown context is an error listing the known ones', async () => {
    const { dir, env } = setup();
    const r = await kloop(dir, ['use', 'context', 'alpah'], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error: unknown kube context "alpah" \(did you mean "alpha"\?\)/);
    assert.match(r.stderr, /known contexts: alpha, beta/);
  });

  it('remembers the namespace; -n wins over it', async () => {
    const { dir, env } = setup();
    const r = await kloop(dir, ['use', 'namespace', 'team-a'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(await cluster(dir, env), { context: 'alpha', namespace: 'team-a' });
    assert.deepEqual(await cluster(dir, env, '-n', 'other'), { context: 'alpha', namespace: 'other' });
    const bad = await kloop(dir, ['use', 'namespace', 'Team_A'], env);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /"Team_A" is not a valid namespace name/);
  });

  it('lists namespaces from the cluster without a name', async () => {
    const { dir, env } = setup();
    await kloop(dir, ['use', 'namespace', 'team-b'], env);
    const r = await kloop(dir, ['use', 'namespace'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '  default\n  team-a\n* team-b\n');
    assert.ok(api.requests.some((q) => q.path === '/api/v1/namespaces' && q.authorization === 'Bearer t0k'));
  });

  it('picks interactively on a terminal', async () => {
    const { dir, env } = setup();
    // script(1) gives kloop a pseudo-terminal; the answer "2" picks the second context
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', `${process.execPath} ${BIN} use context`, '/dev/null'], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', TERM: 'dumb', ...env },
      });
      let text = '';
      let answered = false;
      child.stdin.on('error', () => {}); // script may exit before the pipe drains
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (!answered && text.includes('context [1-2]:')) {
          answered = true;
          child.stdin.write('2\n');
        }
      });
      // never hang the suite when the prompt does not come
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(text);
        else reject(new Error(`exit ${code}: ${text}`));
      });
    });
    assert.match(out, /1\) alpha \(current\)/);
    assert.match(out, /2\) beta/);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, '.kloop/state.json'), 'utf8')), { context: 'beta' });
  });
});
