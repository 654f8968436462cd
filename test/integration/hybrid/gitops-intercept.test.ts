// kloop intercept on a Service that Argo CD keeps in sync with Git (the real Application CRD kind
// and a test controller that self-heals as Argo CD documents): not paused, the controller switches
// the Service back and kloop names it; paused, the intercept survives reconciles and Ctrl-C gives
// the Application back exactly as it was, with a refresh requested (--resync).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { connect, type KubeClient } from '../../../src/kube/client.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { GITOPS_CRDS, startTestController, type TestController } from '../../helpers/gitops-controller.ts';
import { eventually } from '../../helpers/sandbox.ts';
import { requireDocker, type Running, type Shop, startKloop, startShop } from './helpers.ts';

const haveDocker = await requireDocker('the GitOps intercept tests');

describe('kloop intercept on a Service owned by Argo CD', { skip: !haveDocker && 'Docker is not available' }, () => {
  let shop: Shop;
  let client: KubeClient;
  let controller: TestController;
  let server: http.Server;
  let port = 0;
  let running: Running | undefined;

  const svc = async (): Promise<KubeObject> =>
    JSON.parse((await shop.sandbox.kubectl(['get', 'svc', 'back', '-o', 'json'])).stdout);
  const app = async (): Promise<KubeObject> =>
    JSON.parse(
      (await shop.sandbox.kubectl(['get', 'applications.argoproj.io', 'shop', '-n', 'argocd', '-o', 'json'])).stdout,
    );

  before(async () => {
    shop = await startShop();
    server = http.createServer((req, res) => res.end(`local ${req.url}\n`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
    const stream = (objects: object[]) => objects.map((o) => `---\n${JSON.stringify(o)}\n`).join('');
    await shop.sandbox.kubectl(['apply', '-f', '-'], { input: stream(GITOPS_CRDS) });
    await shop.sandbox.kubectl(['create', 'namespace', 'argocd']);
    const application = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'shop', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: 'https://example.com/fleet.git', path: 'shop' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'default' },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    };
    await shop.sandbox.kubectl(['apply', '-f', '-'], { input: stream([application]) });
    const live = await svc();
    const tracking = { 'argocd.argoproj.io/tracking-id': 'shop:/Service:default/back' };
    // Git's version of the Service: what Argo CD applies when it heals
    const git: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'back', namespace: 'default', annotations: tracking },
      spec: { selector: live.spec.selector, ports: live.spec.ports },
    };
    client = await connect({ kubeconfig: shop.sandbox.kubeconfig, namespace: 'default' });
    controller = startTestController(
      client,
      [{ owner: { kind: 'Application', namespace: 'argocd', name: 'shop' }, objects: [git] }],
      300,
    );
    await controller.reconcile();
  });
  after(async () => {
    running?.child.kill('SIGKILL');
    await controller?.stop();
    client?.close();
    server?.close();
    await shop?.stop();
  });
  afterEach(() => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
  });

  const intercepting = (s: Record<string, unknown>) => {
    const i = s.intercept as { phase: string; gitops?: { owner: string; state: string } };
    return i.phase === 'intercepting' ? i : undefined;
  };

  test('not paused: Argo CD switches the Service back, and kloop says who did', async () => {
    running = startKloop(shop, [
      'intercept',
      'back',
      '--port',
      `${port}:8080`,
      '-n',
      'default',
      '--gitops-pause',
      'never',
    ]);
    const state = await running.waitForState(intercepting, 120_000);
    assert.deepEqual(state.gitops, { owner: 'Argo CD Application argocd/shop', state: 'not-paused' });
    const r = running;
    const notice = await eventually(
      async () =>
        r.events.find(
          (e) =>
            e.type === 'notice' &&
            /Argo CD Application argocd\/shop switched it back \(not paused/.test(String(e.message)),
        ),
      30_000,
    );
    assert.ok(notice);
    running.child.kill('SIGINT');
    assert.equal(await running.exited, 0, running.stderr());
    // the controller merged Git's selector into the agent's; the original is put back all the same
    assert.deepEqual((await svc()).spec.selector, { app: 'back' });
  });

  test('paused: the intercept survives self-heal; Ctrl-C restores the Service and gives the Application back', async () => {
    const before = await app();
    running = startKloop(shop, ['intercept', 'back', '--port', `${port}:8080`, '-n', 'default', '--resync']);
    const state = await running.waitForState(intercepting, 120_000);
    assert.deepEqual(state.gitops, { owner: 'Argo CD Application argocd/shop', state: 'paused' });
    assert.equal((await app()).spec.syncPolicy.automated.selfHeal, false);
    for (let i = 0; i < 3; i++) await controller.reconcile();
    assert.deepEqual(
      (await svc()).spec.selector,
      { 'kloop.dev/intercept': 'back' },
      'still intercepted after reconciles',
    );
    const r = await shop.inFront('wget -qO- http://back:8080/paused');
    assert.equal(r.stdout, 'local /paused\n', r.stderr);

    running.child.kill('SIGINT');
    assert.equal(await running.exited, 0, running.stderr());
    const afterApp = await app();
    assert.deepEqual(afterApp.spec, before.spec, 'the Application spec as before');
    assert.deepEqual((await svc()).spec.selector, { app: 'back' });
    assert.ok(
      controller.requests.includes('Application/shop argocd.argoproj.io/refresh=normal'),
      controller.requests.join('\n'),
    );
  });
});
