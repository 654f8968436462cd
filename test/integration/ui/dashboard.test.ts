// The dashboard in headless Chromium against dev targets on the sandbox: real TargetSessions (pod
// tracker, sync, port-forward, logs) reporting into a real store. The worker's container really
// crashes; its session's pod tracker reports the problem, nothing in this file describes it.
// KLOOP_UI_SCREENSHOTS=<dir> also writes screenshots.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ResolvedDevTarget } from '../../../src/config/project.ts';
import { applyRestartPatch } from '../../../src/dev/dev-patch.ts';
import { createDialer, type Dialer } from '../../../src/kube/streams.ts';
import { Reloader } from '../../../src/dev/reload.ts';
import { createStore, newTarget } from '../../../src/dev/store.ts';
import { TargetSession } from '../../../src/dev/target-session.ts';
import { connect, type KubeClient } from '../../../src/kube/client.ts';
import { resolveCredentials } from '../../../src/kube/credentials.ts';
import { type Dashboard, startDashboard } from '../../../src/ui/server.ts';
import { eventually as waitFor } from '../../helpers/wait.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { freePort, type Sandbox, startSandbox, webDeployment } from '../dev/sandbox.ts';
import { type Browser, chromiumAvailable, launch } from './browser.ts';

const haveDocker = await requireDocker('the dashboard tests');
const haveChromium = chromiumAvailable();

const CRASH = `apiVersion: apps/v1
kind: Deployment
metadata: { name: worker }
spec:
  replicas: 1
  selector: { matchLabels: { app: worker } }
  template:
    metadata: { labels: { app: worker } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: worker
          image: busybox:1.36
          imagePullPolicy: Never
          command: [sh, -c, 'echo "worker starting"; echo "fatal: DATABASE_URL is not set" >&2; exit 3']
`;

const eventually = <T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000) =>
  waitFor(what, fn, ok, ms);

const card = (page: Page, target: string) => page.locator(`.card[data-target="${target}"]`);

describe('the dashboard of a dev session on the sandbox', {
  skip: !haveDocker ? 'Docker is not available' : !haveChromium ? 'chromium is not installed' : false,
}, () => {
  let sandbox: Sandbox;
  let client: KubeClient;
  let dialer: Dialer;
  let tmp = '';
  let browser: Browser;
  let dash: Dashboard;
  let session: TargetSession | undefined;
  let worker: TargetSession | undefined;
  let workerStarted: Promise<unknown> | undefined;

  before(async () => {
    [sandbox, browser] = await Promise.all([startSandbox(), launch('light')]);
    client = await connect({ kubeconfig: sandbox.kubeconfig, namespace: 'default' });
    dialer = createDialer(await resolveCredentials({ kubeconfig: sandbox.kubeconfig }));
    tmp = await mkdtemp(path.join(tmpdir(), 'kloop-ui-session-'));
  });
  after(async () => {
    await worker?.stop().catch(() => {});
    await workerStarted;
    await session?.stop().catch(() => {});
    await dash?.close();
    await browser?.close();
    client?.close();
    await sandbox?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  test('readiness, a sync with its latency, a crash with its reason and restarts from its own session, resync and restart', async () => {
    await sandbox.kubectlInput(webDeployment('web'), 'apply', '-f', '-');
    await sandbox.kubectlInput(CRASH, 'apply', '-f', '-');
    await writeFile(path.join(tmp, 'index.html'), 'first\n');
    const port = await freePort();
    const target: ResolvedDevTarget = {
      name: 'web',
      app: 'shop-web',
      namespace: 'default',
      workload: 'deployment/web',
      container: 'web',
      sync: [{ from: '.', to: '/www' }],
      ports: [`${port}:8080`],
    };
    // the restart loop `onSync: restart` relies on, so the restart button has a process to restart
    await applyRestartPatch(client, path.join(tmp, '.kloop'), target);
    await sandbox.kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');

    const store = createStore({
      project: 'shop',
      startedAt: new Date().toISOString(),
      phase: 'starting',
      targets: { web: { ...newTarget('web', 'default'), phase: 'deploying' }, worker: newTarget('worker', 'default') },
    });
    session = new TargetSession({
      client,
      dialer,
      root: tmp,
      target,
      store,
      podTimeoutMs: 60_000,
    });
    const reloader = new Reloader(
      dialer,
      'restart',
      () => session!.pod,
      (status) => store.dispatch({ type: 'reload', target: 'web', reload: { ...status } }),
    );
    let restartDone = () => {};
    const restarted = new Promise<void>((resolve) => {
      restartDone = resolve;
    });
    const purged: string[] = [];
    dash = await startDashboard({
      store,
      apps: { web: 'shop-web', worker: 'shop-worker' },
      actions: {
        resync: (t) => {
          assert.equal(t, 'web');
          session!.reconnect();
        },
        restart: async (t) => {
          assert.equal(t, 'web');
          reloader.trigger();
          await eventually(
            'the restart finished',
            async () => store.get().targets.web!.reload,
            (r) => r?.state !== 'running' && (r?.count ?? 0) > 0,
          );
          restartDone();
        },
        purge: (t) => {
          purged.push(t);
        },
      },
    });

    // A browser without the token is refused.
    const blank = await browser.context.newPage();
    const none = await blank.goto(`http://127.0.0.1:${dash.port}/`);
    assert.equal(none?.status(), 401);
    assert.match((await blank.locator('body').textContent()) ?? '', /Unauthorized: no token/);
    const refused = await blank.goto(`http://127.0.0.1:${dash.port}/?token=not-the-token`);
    assert.equal(refused?.status(), 403);
    assert.match((await blank.locator('body').textContent()) ?? '', /Forbidden: wrong token/);
    await blank.close();

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(dash.url);
    assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
    await page.locator('#conn', { hasText: 'live' }).waitFor();
    await card(page, 'web').locator('.badge', { hasText: 'deploying' }).waitFor();

    // The service becomes ready.
    const started = session.start();
    store.dispatch({ type: 'session-phase', phase: 'running' });
    await started;
    const web = card(page, 'web');
    await web.locator('.badge.s-running', { hasText: 'running' }).waitFor();
    const pod = store.get().targets.web!.pod!;
    await web.getByText(pod).waitFor();
    await web.locator(`a[href="http://127.0.0.1:${port}/"]`).waitFor();
    await web.locator('.badge.s-forwarding').waitFor();
    await page.locator('#history li', { hasText: `web: pod ${pod}` }).waitFor();
    assert.match((await page.locator('.app h3').first().textContent()) ?? '', /app shop-web/);

    // A file edit shows up as a sync with its latency.
    await writeFile(path.join(tmp, 'index.html'), 'second\n');
    await eventually(
      'the edit is served',
      () => fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.text()),
      (t) => t === 'second\n',
    );
    const batch = await eventually(
      'a batch with a latency',
      async () => store.get().targets.web!.sync[0]?.lastBatch,
      (b) => b !== undefined && b.uploaded >= 1,
    );
    await web.getByText(new RegExp(`last ${batch!.ms < 1000 ? `${Math.round(batch!.ms)} ms` : '[\\d.]+ s'}`)).waitFor();
    await web.locator('.badge.s-in-sync').waitFor();

    // The crashing worker, through its own session: the pod tracker's report reaches the card (the
    // pod, its reason, its restarts) with nothing in between written by this test.
    const workerTarget: ResolvedDevTarget = {
      name: 'worker',
      app: 'shop-worker',
      namespace: 'default',
      workload: 'deployment/worker',
      container: 'worker',
    };
    worker = new TargetSession({
      client,
      dialer,
      root: tmp,
      target: workerTarget,
      store,
      podTimeoutMs: 5_000,
    });
    // it never gets a ready pod: start() gives up after podTimeoutMs, the tracker keeps reporting
    workerStarted = worker.start().then(
      () => 'started',
      (error: Error) => error,
    );
    const crash = card(page, 'worker');
    const workerPod = (
      await sandbox.kubectl('get', 'pods', '-l', 'app=worker', '-o', 'jsonpath={.items[0].metadata.name}')
    ).trim();
    assert.ok(workerPod, 'the worker has a pod');
    await crash.getByText(workerPod).waitFor({ timeout: 30_000 });
    await crash.locator('.badge.s-error').first().waitFor({ timeout: 30_000 });
    await eventually(
      'kubectl reports the worker in CrashLoopBackOff',
      () =>
        sandbox.kubectl(
          'get',
          'pod',
          workerPod,
          '-o',
          'jsonpath={.status.containerStatuses[0].state.waiting.reason}/{.status.containerStatuses[0].restartCount}',
        ),
      (v) => /^CrashLoopBackOff\/[1-9]/.test(v),
      60_000,
    );
    await crash.locator('.reason', { hasText: 'CrashLoopBackOff' }).waitFor({ timeout: 30_000 });
    await crash.getByText(/^[1-9]\d* restarts$/).waitFor({ timeout: 30_000 });

    // Resync: a file removed in the container behind the session's back comes back.
    await sandbox.kubectl('exec', pod, '-c', 'web', '--', 'rm', '/www/index.html');
    assert.equal((await fetch(`http://127.0.0.1:${port}/index.html`)).status, 404);
    // from the keyboard: Tab from the card's pod link reaches the buttons, Enter presses
    await web.locator(`a[href="http://127.0.0.1:${port}/"]`).focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Resync');
    await page.keyboard.press('Enter');
    await eventually(
      'the resync restored the file',
      () => fetch(`http://127.0.0.1:${port}/index.html`).then((r) => `${r.status} ${r.status === 200 ? 'x' : ''}`),
      (t) => t === '200 x',
    );
    await page.locator('#history li.action', { hasText: 'web: resync done' }).waitFor();

    // Restart: the process starts again in the same pod (its start line appears a second time).
    await page.locator('#log-target').selectOption('web');
    await page.locator('#log-filter').fill('started');
    await page.locator('#log-count', { hasText: ' of ' }).waitFor();
    await page.locator('.log-row', { hasText: 'started' }).first().waitFor();
    const before = await page.locator('.log-row:not([hidden])', { hasText: 'started' }).count();
    const httpd = () => sandbox.kubectl('exec', pod, '-c', 'web', '--', 'pidof', 'httpd').then((o) => o.trim());
    const pidBefore = await httpd();
    await web.getByRole('button', { name: 'Restart process' }).click();
    await restarted;
    const reload = store.get().targets.web!.reload;
    assert.equal(reload?.state, 'idle', `the restart ran: ${JSON.stringify(reload)}`);
    await eventually('httpd runs again with a new pid', httpd, (pid) => pid !== '' && pid !== pidBefore);
    await eventually(
      `a second start line (reload ${JSON.stringify(store.get().targets.web!.reload)})`,
      () => page.locator('.log-row:not([hidden])', { hasText: 'started' }).count(),
      (n) => n > before,
    );
    assert.equal(store.get().targets.web!.pod, pod, 'the same pod: only the process restarted');
    await web.getByText(/restart .*#1/).waitFor();

    const shots = process.env.KLOOP_UI_SCREENSHOTS;
    if (shots) {
      await page.locator('#log-filter').fill('');
      await page.locator('#log-target').selectOption('');
      await page.waitForSelector('.toast.show', { state: 'detached' });
      await page.screenshot({ path: path.join(shots, 'dashboard-light.png') });
      const dark = await launch('dark');
      try {
        const p = await dark.context.newPage();
        await p.goto(dash.url);
        await p.locator('.card[data-target="worker"] .reason').first().waitFor();
        await p.screenshot({ path: path.join(shots, 'dashboard-dark.png') });
      } finally {
        await dark.close();
      }
    }
    // Purge asks first: Escape cancels, the dialog's Purge button confirms.
    const purge = web.getByRole('button', { name: 'Purge…' });
    await purge.click();
    await page.locator('#confirm[open]').waitFor();
    assert.match((await page.locator('#confirm-cli').textContent()) ?? '', /kloop purge shop-web/);
    await page.keyboard.press('Escape');
    await page.locator('#confirm:not([open])').waitFor({ state: 'attached' });
    assert.deepEqual(purged, []);
    await purge.click();
    await page.locator('#confirm-ok').click();
    await page.locator('#history li.action', { hasText: 'web: purge done' }).waitFor();
    assert.deepEqual(purged, ['web']);

    assert.deepEqual(errors, [], 'no script errors in the page');
  });
});
