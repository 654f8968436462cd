// kloop dev in a GitOps-managed cluster, on the sandbox with the real CRD kinds of Flux and Argo CD
// and a test controller that reverts drift as each tool documents (test/helpers/gitops-controller.ts):
// without a pause the controller undoes the dev patch and kloop says who did it; with the pause
// the patch survives reconciles; Ctrl-C, kill -9 + the next run, and purge give back exactly
// what was there (annotations and specs as before), and --resync asks the controllers to reconcile.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type KubeClient } from '../../../src/kube/client.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import {
  GITOPS_CRDS,
  type OwnedSet,
  startTestController,
  type TestController,
} from '../../helpers/gitops-controller.ts';
import { type Line, runKloop, startDev, until } from './cli.ts';
import { writeTree } from '../../helpers/fixtures.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { type Sandbox, startSandbox } from './sandbox.ts';

const haveDocker = await requireDocker('the GitOps pause tests');

const GIT_COMMAND = ['sh', '-c', 'mkdir -p /www && echo git > /www/index.html && exec httpd -f -p 8080 -h /www'];
const DEV_COMMAND = ['sh', '-c', 'mkdir -p /www && echo dev > /www/index.html && exec httpd -f -p 8080 -h /www'];

function deployment(name: string, labels: Record<string, string>, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels, ...(annotations ? { annotations } : {}) },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'web', image: 'busybox:1.36', imagePullPolicy: 'Never', command: GIT_COMMAND }],
        },
      },
    },
  };
}

const SETS: OwnedSet[] = [
  {
    owner: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
    objects: [
      deployment(
        'web-ks',
        { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' },
        { team: 'shop' },
      ),
    ],
  },
  {
    owner: { kind: 'HelmRelease', namespace: 'default', name: 'web-hr' },
    objects: [
      deployment('web-hr', { 'helm.toolkit.fluxcd.io/name': 'web-hr', 'helm.toolkit.fluxcd.io/namespace': 'default' }),
    ],
  },
  {
    owner: { kind: 'Application', namespace: 'argocd', name: 'web-argo' },
    objects: [
      deployment('web-argo', {}, { 'argocd.argoproj.io/tracking-id': 'web-argo:apps/Deployment:default/web-argo' }),
    ],
  },
];

const OWNERS = [
  {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'apps', namespace: 'flux-system' },
    spec: { interval: '1m', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } },
  },
  {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name: 'web-hr', namespace: 'default' },
    spec: { interval: '1m', chart: { spec: { chart: 'web' } }, driftDetection: { mode: 'enabled' } },
  },
  {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web-argo', namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL: 'https://example.com/fleet.git', path: 'web' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'default' },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  },
];

function project(dir: string): void {
  const target = (name: string) => `  ${name}:
    app: web
    workload: deployment/web-${name}
    patch: { command: ${JSON.stringify(DEV_COMMAND)} }
`;
  const files: Record<string, string> = {
    'kloop.yaml': `version: v1
name: gitopstest
apps:
  web:
    manifests: [deploy/*.yaml]
dev:
${['ks', 'hr', 'argo'].map(target).join('')}`,
    'deploy/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-config }\ndata: { a: b }\n',
  };
  writeTree(dir, files);
}

describe('kloop dev in a GitOps-managed cluster', { skip: haveDocker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  let client: KubeClient;
  let controller: TestController;
  let dir = '';
  const children: ChildProcess[] = [];

  const get = async (kind: string, name: string, ns = 'default'): Promise<KubeObject> =>
    JSON.parse(await sandbox.kubectl('get', kind, name, '-n', ns, '-o', 'json'));
  const command = async (name: string) => (await get('deployment', name)).spec.template.spec.containers[0].command;
  /** what a pause may touch: the objects' annotations, the owners' specs */
  const snapshot = async () => ({
    ks: (await get('deployment', 'web-ks')).metadata.annotations,
    hr: (await get('helmreleases.helm.toolkit.fluxcd.io', 'web-hr')).spec,
    argo: (await get('applications.argoproj.io', 'web-argo', 'argocd')).spec,
    argoAnnotations: (await get('applications.argoproj.io', 'web-argo', 'argocd')).metadata.annotations,
  });
  const withoutRevision = (a: Record<string, string> | undefined) => {
    const { 'deployment.kubernetes.io/revision': _, ...rest } = a ?? {};
    return rest;
  };

  before(async () => {
    sandbox = await startSandbox();
    client = await connect({ kubeconfig: sandbox.kubeconfig, namespace: 'default' });
    dir = mkdtempSync(path.join(tmpdir(), 'kloop-gitops-'));
    project(dir);
    const stream = (objects: object[]) => objects.map((o) => `---\n${JSON.stringify(o)}\n`).join('');
    await sandbox.kubectlInput(stream(GITOPS_CRDS), 'apply', '-f', '-');
    await sandbox.kubectl('create', 'namespace', 'flux-system');
    await sandbox.kubectl('create', 'namespace', 'argocd');
    await sandbox.kubectlInput(stream(OWNERS), 'apply', '-f', '-');
    controller = startTestController(client, SETS, 300);
    await controller.reconcile();
    for (const n of ['web-ks', 'web-hr', 'web-argo'])
      await sandbox.kubectl('rollout', 'status', `deployment/${n}`, '-n', 'default', '--timeout=120s');
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await controller?.stop();
    client?.close();
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('not paused (--gitops-pause never): the controller reverts the dev patch and kloop names it', async () => {
    const dev = startDev(dir, sandbox.kubeconfig, 'default', ['ks', '--skip-deploy', '--gitops-pause', 'never']);
    children.push(dev.child);
    await until(
      'kloop warns that the workload is owned and not paused',
      dev,
      (l) =>
        l.type === 'notice' &&
        /deployment\/web-ks in default is owned by Flux Kustomization flux-system\/apps, not paused/.test(l.message),
      120_000,
    );
    const reverted = await until(
      'the revert is reported with the controller',
      dev,
      (l) => l.type === 'state' && l.state.targets.ks?.gitops?.state === 'reverted',
      60_000,
    );
    assert.match(
      reverted.state.targets.ks.gitops.note,
      /Flux Kustomization flux-system\/apps reverted the dev patch \(not paused/,
    );
    assert.deepEqual(await command('web-ks'), GIT_COMMAND, "Git's command is back");
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0, dev.stderr());
  });

  test('paused: the patches survive reconciles; Ctrl-C gives back exactly what was there; --resync asks for a reconcile', async () => {
    const before = await snapshot();
    const dev = startDev(dir, sandbox.kubeconfig, 'default', ['--skip-deploy', '--resync']);
    children.push(dev.child);
    const running = await until(
      'the session runs with all three paused',
      dev,
      (l) =>
        l.type === 'state' &&
        l.state.phase === 'running' &&
        ['ks', 'hr', 'argo'].every((t) => l.state.targets[t]?.gitops?.state === 'paused'),
      120_000,
    );
    assert.deepEqual(Object.fromEntries(['ks', 'hr', 'argo'].map((t) => [t, running.state.targets[t].gitops.owner])), {
      ks: 'Flux Kustomization flux-system/apps',
      hr: 'Flux HelmRelease default/web-hr',
      argo: 'Argo CD Application argocd/web-argo',
    });
    assert.ok(
      dev.lines.some((l: Line) => l.type === 'notice' && /hr: .*the whole HelmRelease is suspended/.test(l.message)),
      'a pause of the whole release is stated',
    );
    const paused = await snapshot();
    assert.equal(paused.ks?.['kustomize.toolkit.fluxcd.io/reconcile'], 'disabled');
    assert.equal(paused.hr.suspend, true);
    assert.equal(paused.argo.syncPolicy.automated.selfHeal, false);

    const corrections = controller.corrections.length;
    for (let i = 0; i < 3; i++) await controller.reconcile();
    await new Promise((r) => setTimeout(r, 1500)); // several of the controller's own intervals too
    assert.equal(controller.corrections.length, corrections, 'the controller left the paused objects alone');
    for (const n of ['web-ks', 'web-hr', 'web-argo']) assert.deepEqual(await command(n), DEV_COMMAND, n);
    assert.ok(
      !dev.lines.some(
        (l: Line) =>
          l.type === 'state' && Object.values(l.state.targets).some((t: Line) => t.gitops?.state === 'reverted'),
      ),
    );

    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0, dev.stderr());
    const after = await snapshot();
    assert.deepEqual(
      withoutRevision(after.ks),
      withoutRevision(before.ks),
      'the Kustomization-owned object: annotations as before',
    );
    assert.deepEqual(after.hr, before.hr, 'the HelmRelease spec as before');
    assert.deepEqual(after.argo, before.argo, 'the Application spec as before');
    await controller.reconcile();
    for (const n of ['web-ks', 'web-hr', 'web-argo']) assert.deepEqual(await command(n), GIT_COMMAND, n);
    assert.ok(
      controller.requests.some((r) => /^Kustomization\/apps reconcile\.fluxcd\.io\/requestedAt=/.test(r)),
      controller.requests.join('\n'),
    );
    assert.ok(controller.requests.some((r) => /^HelmRelease\/web-hr reconcile\.fluxcd\.io\/requestedAt=/.test(r)));
    assert.ok(controller.requests.some((r) => r === 'Application/web-argo argocd.argoproj.io/refresh=normal'));
  });

  test('kill -9: the next kloop dev gives the pauses back first; after another kill -9, purge does', async () => {
    const before = await snapshot();
    const first = startDev(dir, sandbox.kubeconfig, 'default', ['--skip-deploy']);
    children.push(first.child);
    const paused = (l: Line) =>
      l.type === 'state' && ['ks', 'hr', 'argo'].every((t) => l.state.targets[t]?.gitops?.state === 'paused');
    await until('paused', first, paused, 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    assert.equal((await snapshot()).hr.suspend, true, 'kill -9 leaves the pause in place');

    const second = startDev(dir, sandbox.kubeconfig, 'default', ['--skip-deploy']);
    children.push(second.child);
    await until('paused again', second, paused, 120_000);
    const given = second.lines.filter(
      (l: Line) => l.type === 'notice' && /^restored .*\(left paused by an earlier session\)$/.test(l.message),
    );
    assert.equal(
      given.length,
      3,
      `the three pauses were given back first: ${JSON.stringify(second.lines.filter((l: Line) => l.type === 'notice'))}`,
    );
    second.child.kill('SIGKILL');
    await second.exited;

    const purge = await runKloop(dir, sandbox.kubeconfig, ['purge']);
    assert.equal(purge.code, 0, purge.stderr);
    const after = await snapshot();
    assert.deepEqual(withoutRevision(after.ks), withoutRevision(before.ks));
    assert.deepEqual(after.hr, before.hr);
    assert.deepEqual(after.argo, before.argo);
    assert.deepEqual(after.argoAnnotations, before.argoAnnotations);
    for (const n of ['web-ks', 'web-hr', 'web-argo']) assert.deepEqual(await command(n), GIT_COMMAND, n);
  });
  test('without the right to patch the owner: one error naming verb and resource, before anything changes', async () => {
    // a developer whose ServiceAccount may change workloads but only read HelmReleases
    const rbac = [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'dev-user', namespace: 'default' } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'dev-workloads' },
        rules: [
          { apiGroups: ['', 'apps'], resources: ['*'], verbs: ['*'] },
          { apiGroups: ['helm.toolkit.fluxcd.io'], resources: ['helmreleases'], verbs: ['get', 'list', 'watch'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'dev-user-workloads' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'dev-workloads' },
        subjects: [{ kind: 'ServiceAccount', name: 'dev-user', namespace: 'default' }],
      },
    ];
    await sandbox.kubectlInput(rbac.map((o) => `---\n${JSON.stringify(o)}\n`).join(''), 'apply', '-f', '-');
    const token = (await sandbox.kubectl('create', 'token', 'dev-user', '-n', 'default')).trim();
    const config = JSON.parse(readFileSync(sandbox.kubeconfig, 'utf8'));
    for (const u of config.users) u.user = { token };
    const kubeconfig = path.join(dir, 'dev-user.kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify(config));

    const before = await snapshot();
    const patchedBefore = await command('web-hr');
    // (a session that starts after all would be stopped after 60 s, and fail the exit-code check)
    const r = await runKloop(dir, kubeconfig, ['dev', 'hr', '--skip-deploy', '--gitops-pause', 'auto'], 60_000);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /cannot pause GitOps reconciliation: you may not patch helmreleases\.helm\.toolkit\.fluxcd\.io "web-hr" in default/,
    );
    assert.match(r.stderr, /ask for the RBAC verb "patch" on helmreleases\.helm\.toolkit\.fluxcd\.io/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(await snapshot(), before, 'the owner was not paused');
    assert.deepEqual(await command('web-hr'), patchedBefore, 'the workload was not patched');
  });
});
