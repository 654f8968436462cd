// The change journal end to end, one change kind at a time (dev patch, intercept, created
// namespace): kloop is killed with -9 while its change is in place, then `kloop purge <other app>`
// leaves it alone and `kloop purge <its app>` (or a full purge) undoes exactly that change. The
// dashboard's purge of one app (`kloop ui purge`, the same action as its button) restores only that
// app's dev patch while the session's other target stays patched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { records } from '../../../src/kube/journal.ts';
import { deploymentYaml } from '../../helpers/fixtures.ts';
import { eventually } from '../../helpers/sandbox.ts';
import { bin, kloop, requireDocker, type Running, type Shop, startKloop, startShop } from '../hybrid/helpers.ts';

const haveDocker = await requireDocker('the change journal tests');

// The shop fixture split into two apps, each with a patched dev target, and a third app whose
// namespace kloop creates and whose Deployment never becomes ready (deploy waits until killed).
const KLOOP_YAML = `version: v1
name: journalshop
apps:
  front:
    manifests: [deploy/front.yaml]
  back:
    manifests: [deploy/back.yaml]
  extra:
    namespace: extra-ns
    manifests: [extra/*.yaml]
dev:
  front:
    app: front
    workload: deployment/front
    container: front
    patch: { env: { MODE: dev } }
  back:
    app: back
    workload: deployment/back
    container: back
    patch: { env: { MODE: dev } }
`;

const NEVER_READY = deploymentYaml('slow', {
  command: ['sleep', '3600'],
  fields: "          readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 }",
});

describe('the change journal', { skip: !haveDocker && 'Docker is not available' }, () => {
  let shop: Shop;
  let running: Running | undefined;
  let server: http.Server;
  let port: number;

  before(async () => {
    shop = await startShop();
    writeFileSync(path.join(shop.dir, 'kloop.yaml'), KLOOP_YAML);
    server = http.createServer((_req, res) => res.end('local\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    server?.close();
    await shop?.stop();
  });

  const get = async (kind: string, name: string, ns?: string) =>
    JSON.parse((await shop.sandbox.kubectl(['get', kind, name, ...(ns ? ['-n', ns] : []), '-o', 'json'])).stdout);
  const patched = async (name: string) => {
    const d = await get('deployment', name);
    return {
      annotated: d.metadata.annotations?.['kloop.dev/dev-original'] !== undefined,
      env: d.spec.template.spec.containers[0].env,
    };
  };
  const journal = async (kind: string) =>
    (await records(path.join(shop.dir, '.kloop'))).filter((r) => r.kind === kind).map((r) => r.key);
  const purge = async (...apps: string[]) => {
    const r = await kloop(shop, ['purge', ...apps, '-n', 'default'], {}, 120_000);
    assert.equal(r.code, 0, r.stderr);
    return r;
  };

  test('dev patch: the dashboard purges one app, kill -9, then purge restores only the purged app', async () => {
    const deployed = {
      front: (await patched('front')).env,
      back: (await patched('back')).env,
    };
    const child = spawn(process.execPath, [bin, 'dev', '--ui', '--skip-deploy', '-n', 'default'], {
      cwd: shop.dir,
      env: shop.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const exited = new Promise((r) => child.on('close', r));
    try {
      await eventually(async () => (await patched('front')).annotated && (await patched('back')).annotated, 120_000);
      assert.deepEqual((await patched('back')).env, [...(deployed.back ?? []), { name: 'MODE', value: 'dev' }]);
      await eventually(async () => (await kloop(shop, ['ui', '-o', 'json', '--no-open'])).code === 0, 60_000);

      // the dashboard's purge of front: front's patch is undone, back's (the same session's) stays
      const dash = await kloop(shop, ['ui', 'purge', 'front'], {}, 120_000);
      assert.equal(dash.code, 0, dash.stderr + stderr);
      assert.deepEqual(await patched('front'), { annotated: false, env: deployed.front });
      assert.deepEqual(await patched('back'), {
        annotated: true,
        env: [...(deployed.back ?? []), { name: 'MODE', value: 'dev' }],
      });
      assert.deepEqual(await journal('dev-patch'), ['default/deployment/back']);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }

    // kill -9 left back patched; purging another app does not touch it
    await purge('front');
    assert.deepEqual(await patched('back'), {
      annotated: true,
      env: [...(deployed.back ?? []), { name: 'MODE', value: 'dev' }],
    });
    assert.deepEqual(await journal('dev-patch'), ['default/deployment/back']);
    // purging its app restores it (kloop did not deploy back: only the patch is undone, nothing deleted)
    await purge('back');
    assert.deepEqual(await patched('back'), { annotated: false, env: deployed.back });
    assert.deepEqual(await journal('dev-patch'), []);
    const fixture = await get('deployment', 'back');
    assert.match(fixture.spec.template.spec.containers[0].command[2], /^mkdir -p \/www/);
  });

  test('intercept: kill -9, purge of another app leaves it, purge of its app restores the Service', async () => {
    running = startKloop(shop, ['intercept', 'back', '--port', `${port}:8080`, '-n', 'default']);
    await running.waitForState((s) =>
      (s.intercept as { phase?: string } | undefined)?.phase === 'intercepting' ? true : undefined,
    );
    running.child.kill('SIGKILL');
    await running.exited;
    const switched = { 'kloop.dev/intercept': 'back' };
    assert.deepEqual((await get('service', 'back')).spec.selector, switched);
    assert.deepEqual(await journal('intercept'), ['default/back']);

    await purge('front');
    assert.deepEqual((await get('service', 'back')).spec.selector, switched, 'another app: left intercepted');
    assert.deepEqual(await journal('intercept'), ['default/back']);

    await purge('back');
    const svc = await get('service', 'back');
    assert.deepEqual(svc.spec.selector, { app: 'back' });
    assert.equal(svc.metadata.annotations?.['kloop.dev/intercept-original'], undefined);
    const left = await shop.sandbox.kubectl(['get', 'pods,svc,configmaps', '-l', 'kloop.dev/intercept', '-o', 'name']);
    assert.equal(left.stdout.trim(), '', 'no agent pod, ConfigMap or shadow Service is left');
    assert.deepEqual(await journal('intercept'), []);
  });

  test('created namespace: kill -9 mid-deploy, purge of another app keeps it, the full purge deletes only it', async () => {
    await shop.sandbox.kubectl(['create', 'namespace', 'bystander']);
    mkdirSync(path.join(shop.dir, 'extra'), { recursive: true });
    writeFileSync(path.join(shop.dir, 'extra/slow.yaml'), NEVER_READY);
    const deploy = spawn(process.execPath, [bin, 'deploy', 'extra', '--skip-build', '-n', 'default'], {
      cwd: shop.dir,
      env: shop.env,
      stdio: 'ignore',
    });
    const exited = new Promise((r) => deploy.on('close', r));
    await eventually(
      async () =>
        (await shop.sandbox.kubectl(['get', 'deployment', 'slow', '-n', 'extra-ns'], { allowFailure: true })).code ===
        0,
      60_000,
    );
    deploy.kill('SIGKILL');
    await exited;
    assert.deepEqual(await journal('namespace'), ['extra-ns']);

    await purge('front');
    assert.equal((await get('namespace', 'extra-ns')).status.phase, 'Active', 'another app: the namespace stays');

    const full = await purge();
    await eventually(
      async () => (await shop.sandbox.kubectl(['get', 'namespace', 'extra-ns'], { allowFailure: true })).code !== 0,
      60_000,
    ).catch((error) => {
      throw new Error(`${(error as Error).message}; purge said:\n${full.stderr}`);
    });
    assert.deepEqual(await journal('namespace'), []);
    assert.equal((await get('namespace', 'bystander')).status.phase, 'Active', 'a namespace kloop did not create');
    assert.deepEqual((await get('service', 'back')).spec.selector, { app: 'back' }, 'objects kloop did not apply');
    assert.equal((await get('deployment', 'front')).metadata.name, 'front');
  });
});
