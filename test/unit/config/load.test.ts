import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { GlobalOptions } from '../../../src/cli/options.ts';
import type { Kubeconfig } from '../../../src/config/kubeconfig.ts';
import { readKubeconfig } from '../../../src/config/kubeconfig.ts';
import { findConfigFile, loadProject } from '../../../src/config/load.ts';
import { writeState } from '../../../src/config/state.ts';
import { tempTree } from '../../helpers/fixtures.ts';

const project = (files: Record<string, string>) => tempTree(files, 'kloop-load-');

const g = (cwd: string, extra: Partial<GlobalOptions> = {}): GlobalOptions => ({
  cwd,
  vars: {},
  output: 'text',
  debug: false,
  color: false,
  ...extra,
});

const kube: Kubeconfig = {
  files: [],
  currentContext: 'current',
  contexts: [{ name: 'current', namespace: 'ctx-ns' }, { name: 'staging' }, { name: 'picked', namespace: 'picked-ns' }],
  clusters: [],
  users: [],
};

const full = `version: v1
name: shop
vars:
  TITLE: { default: "Shop" }
  RAW: "\${NOT_SUBSTITUTED}"
images:
  web: { image: r/web, context: src, buildArgs: { N: 3, B: true } }
apps:
  web:
    helm: { chart: chart, values: [values.yaml], set: { title: "\${TITLE}" } }
    dependsOn: [cache]
  cache:
    namespace: cache-ns
    manifests: ["deploy/*.yaml"]
dependencies:
  auth: { path: deps/auth }
dev:
  web: { app: web, sync: [{ from: src, to: /app }] }
  cache: { app: cache }
hooks:
  beforeDeploy: echo one
  afterDeploy: [echo a, echo b]
commands:
  shell: echo $TITLE $HOME
  long: { run: "echo $$TITLE", description: literal }
environments:
  staging:
    kubeContext: staging
    namespace: stg
    kubeVersion: "1.30"
    build: { parallel: 4 }
    gitops: { repo: ../fleet, path: "clusters/{app}.yaml" }
  prod:
    gitops: { repo: "git@github.com:acme/fleet.git", path: x }
`;
const files = {
  'kloop.yaml': full,
  'src/Dockerfile': 'FROM busybox\n',
  'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'values.yaml': '',
  'deps/auth/kloop.yaml': 'version: v1\nname: auth\n',
};

describe('loadProject', () => {
  it('resolves paths, defaults, hooks and commands into a frozen Project', async () => {
    const dir = project(files);
    const p = await loadProject(g(join(dir, 'src')), { env: { HOME: '/home/me' }, kubeconfig: kube });
    assert.equal(p.root, dir);
    assert.equal(p.configFile, join(dir, 'kloop.yaml'));
    assert.equal(p.images.web?.context, join(dir, 'src'));
    assert.equal(p.images.web?.dockerfile, join(dir, 'src/Dockerfile'));
    assert.deepEqual(p.images.web?.buildArgs, { N: '3', B: 'true' });
    assert.equal(p.apps.web?.helm?.chart, join(dir, 'chart'));
    assert.deepEqual(p.apps.web?.helm?.values, [join(dir, 'values.yaml')]);
    assert.equal(p.apps.web?.helm?.releaseName, 'web');
    assert.equal(p.apps.web?.helm?.includeCRDs, true);
    assert.deepEqual(p.apps.web?.helm?.set, { title: 'Shop' });
    assert.equal(p.apps.web?.namespace, 'ctx-ns');
    assert.equal(p.apps.cache?.namespace, 'cache-ns');
    assert.deepEqual(p.apps.cache?.manifests, ['deploy/*.yaml']);
    assert.equal(p.apps.web?.wait, true);
    assert.equal(p.dev.cache?.namespace, 'cache-ns');
    assert.equal(p.dev.web?.namespace, 'ctx-ns');
    assert.deepEqual((p.dependencies.auth as { path: string }).path, join(dir, 'deps/auth'));
    assert.deepEqual(p.hooks, { beforeDeploy: ['echo one'], afterDeploy: ['echo a', 'echo b'] });
    // bare $TITLE is kloop's own variable; $HOME is not, and stays for the shell
    assert.deepEqual(p.commands.shell, { run: 'echo Shop $HOME' });
    assert.deepEqual(p.commands.long, { run: 'echo $TITLE', description: 'literal' });
    assert.equal(p.vars.own.get('RAW')?.value, '${NOT_SUBSTITUTED}', 'vars: definitions are not substituted');
    assert.equal(p.environments.staging?.gitops?.repo, join(dir, '..', 'fleet'));
    assert.equal(p.environments.prod?.gitops?.repo, 'git@github.com:acme/fleet.git');
    assert.equal(p.kubeVersion, '1.32');
    assert.deepEqual(p.build, { load: 'auto', parallel: 2 });
    assert.equal(p.stateDir, join(dir, '.kloop'));
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.apps.web) && Object.isFrozen(p.apps.web?.helm?.values));
    assert.throws(() => {
      (p.apps as Record<string, unknown>).x = 1;
    }, TypeError);
  });

  it('applies the environment: context, namespace, kubeVersion, build settings', async () => {
    const dir = project(files);
    const p = await loadProject(g(dir, { env: 'staging' }), { env: {}, kubeconfig: kube });
    assert.equal(p.environment?.name, 'staging');
    assert.deepEqual(p.cluster, { context: 'staging', namespace: 'stg' });
    assert.equal(p.kubeVersion, '1.30');
    assert.deepEqual(p.build, { load: 'auto', parallel: 4 });
    assert.equal(p.apps.web?.namespace, 'stg');
  });

  it('picks the cluster: --kube-context > environment > kloop use > current-context', async () => {
    const dir = project(files);
    const load = (extra: Partial<GlobalOptions>) => loadProject(g(dir, extra), { env: {}, kubeconfig: kube });
    assert.deepEqual((await load({})).cluster, { context: 'current', namespace: 'ctx-ns' });
    writeState(join(dir, '.kloop'), { context: 'picked' });
    assert.deepEqual((await load({})).cluster, { context: 'picked', namespace: 'picked-ns' });
    writeState(join(dir, '.kloop'), { namespace: 'mine' });
    assert.deepEqual((await load({})).cluster, { context: 'picked', namespace: 'mine' });
    assert.deepEqual((await load({ env: 'staging' })).cluster, { context: 'staging', namespace: 'stg' });
    assert.deepEqual((await load({ env: 'prod' })).cluster, { context: 'picked', namespace: 'mine' });
    assert.deepEqual((await load({ env: 'staging', kubeContext: 'x', namespace: 'y' })).cluster, {
      context: 'x',
      namespace: 'y',
    });
  });

  it('finds tools on PATH or at a configured path', async () => {
    const bin = project({ helm: '#!/bin/sh\n', docker: '#!/bin/sh\n' });
    chmodSync(join(bin, 'helm'), 0o755);
    chmodSync(join(bin, 'docker'), 0o755);
    const dir = project({ 'kloop.yaml': 'version: v1\nname: t\ntools: { git: ./tools/git, docker: docker }\n' });
    const p = await loadProject(g(dir), { env: { PATH: bin }, kubeconfig: kube });
    assert.equal(p.tools.helm, join(bin, 'helm'));
    assert.equal(p.tools.docker, join(bin, 'docker'));
    assert.equal(p.tools.git, join(dir, 'tools/git'));
    assert.equal(p.tools.kubectl, 'kubectl', 'a missing tool keeps its name, for doctor to report');
    assert.equal(p.tools.kustomize, undefined);
  });

  it('finds kloop.yaml upward, or from -c as a file or directory', () => {
    const dir = project({ 'kloop.yaml': 'version: v1\nname: t\n', 'a/b/c/.keep': '' });
    assert.equal(findConfigFile(join(dir, 'a/b/c')), join(dir, 'kloop.yaml'));
    assert.equal(findConfigFile('/', dir), join(dir, 'kloop.yaml'));
    assert.equal(findConfigFile(dir, 'kloop.yaml'), join(dir, 'kloop.yaml'));
    assert.throws(() => findConfigFile(dir, 'nope.yaml'), /config file nope\.yaml does not exist/);
  });
});

describe('readKubeconfig', () => {
  it('merges KUBECONFIG files like kubectl: first wins', () => {
    const dir = project({
      a: 'current-context: one\ncontexts:\n- name: one\n  context: { cluster: c, user: u, namespace: n1 }\nclusters:\n- name: c\n  cluster: { server: "https://a", certificate-authority: ca.crt }\n',
      b: 'current-context: two\ncontexts:\n- name: one\n  context: { namespace: other }\n- name: two\n  context: {}\nusers:\n- name: u\n  user: { token: t }\n',
    });
    const k = readKubeconfig({ KUBECONFIG: `${join(dir, 'a')}:${join(dir, 'missing')}:${join(dir, 'b')}` });
    assert.equal(k.currentContext, 'one');
    assert.deepEqual(
      k.contexts.map((c) => [c.name, c.namespace]),
      [
        ['one', 'n1'],
        ['two', undefined],
      ],
    );
    assert.equal(k.clusters[0]?.certificateAuthority, join(dir, 'ca.crt'));
    assert.equal(k.users[0]?.token, 't');
    assert.deepEqual(k.files, [join(dir, 'a'), join(dir, 'b')]);
  });

  it('reads YAML 1.1 scalars as kubectl does (insecure-skip-tls-verify: yes is true)', () => {
    const dir = project({
      kc: 'current-context: x\ncontexts:\n- name: x\n  context: { cluster: c, user: u, namespace: "on" }\nclusters:\n- name: c\n  cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: yes }\nusers:\n- name: u\n  user: { token: t }\n',
    });
    const kubectl = execFileSync(
      'kubectl',
      [
        'config',
        'view',
        '-o',
        'jsonpath={.clusters[0].cluster.insecure-skip-tls-verify} {.contexts[0].context.namespace}',
      ],
      { env: { ...process.env, KUBECONFIG: join(dir, 'kc') }, encoding: 'utf8' },
    );
    const k = readKubeconfig({ KUBECONFIG: join(dir, 'kc') });
    assert.equal(`${k.clusters[0]?.insecureSkipTlsVerify} ${k.contexts[0]?.namespace}`, kubectl);
    assert.equal(kubectl, 'true on');
  });

  it('reads a JSON kubeconfig, and a YAML flow map that is not JSON, as the same YAML', () => {
    const dir = project({
      json: JSON.stringify({
        'current-context': 'one',
        contexts: [{ name: 'one', context: { cluster: 'c', namespace: 'n1' } }],
        clusters: [{ name: 'c', cluster: { server: 'https://a' } }],
      }),
      flow: '{ current-context: one, contexts: [{ name: one, context: { cluster: c, namespace: n1 } }], clusters: [{ name: c, cluster: { server: "https://a" } }] }',
      yaml: 'current-context: one\ncontexts:\n- name: one\n  context: { cluster: c, namespace: n1 }\nclusters:\n- name: c\n  cluster: { server: "https://a" }\n',
    });
    const read = (f: string) => {
      const { files: _, ...k } = readKubeconfig({ KUBECONFIG: join(dir, f) });
      return k;
    };
    assert.equal(read('yaml').contexts[0]?.namespace, 'n1');
    assert.deepEqual(read('json'), read('yaml'));
    assert.deepEqual(read('flow'), read('yaml'));
  });

  it('reads ~/.kube/config without KUBECONFIG', () => {
    const home = project({ '.kube/config': 'current-context: home\ncontexts:\n- name: home\n  context: {}\n' });
    assert.equal(readKubeconfig({ HOME: home }).currentContext, 'home');
  });
});
