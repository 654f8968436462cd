// kloop deploy / purge against the sandbox: real pods in Docker, real kubectl to check and to
// play the other tools (a foreign object, another field manager).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { connect } from '../../../src/kube/client.ts';
import { watchCollection } from '../../../src/kube/watch.ts';
import {
  configMap,
  createProject,
  run as runCommand,
  deployment,
  type Project,
  type Sandbox,
  startSandbox,
} from './fixture.ts';
import { requireDocker } from '../../helpers/docker.ts';

const docker = await requireDocker('the deploy suite');

const kloopYaml = `version: v1
name: shop
apps:
  cache:
    manifests: [deploy/cache/*.yaml]
  web:
    manifests: [deploy/web/*.yaml]
    dependsOn: [cache]
`;

async function jsonOf(p: Project, ...args: string[]) {
  const r = await p.kubectl(...args, '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('kloop deploy and purge on the sandbox', { skip: docker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  const projects: Project[] = [];
  const project = (ns: string, files: Record<string, string>) => {
    const p = createProject(sandbox.kubeconfig, ns, files);
    projects.push(p);
    return p;
  };

  before(async () => {
    sandbox = await startSandbox();
  });
  after(async () => {
    for (const p of projects) p.cleanup();
    await sandbox?.stop();
  });

  it('deploys a two-app project in dependency order, prunes, skips a no-op, purges exactly the inventory', async () => {
    const p = project('shop', {
      'kloop.yaml': kloopYaml,
      'deploy/cache/deployment.yaml': deployment('cache', { probeDelay: 2 }),
      'deploy/cache/config.yaml': configMap('cache-config', { size: '64m' }),
      'deploy/cache/role.yaml': `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: shop-cache-reader }
rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }]
`,
      'deploy/web/deployment.yaml': deployment('web'),
    });

    const first = await p.kloop('deploy', '--skip-build');
    assert.equal(first.code, 0, first.stderr);
    // the dependent waits: web is applied only after cache is ready
    const lines = first.stderr.split('\n');
    const cacheReady = lines.findIndex((l) => /cache: ready/.test(l));
    const webApplying = lines.findIndex((l) => /web: applying/.test(l));
    assert.ok(cacheReady >= 0 && webApplying > cacheReady, first.stderr);
    for (const name of ['cache', 'web']) {
      const d = await jsonOf(p, 'get', 'deployment', name, '-n', 'shop', '--show-managed-fields');
      assert.equal(d.status.availableReplicas, 1);
      assert.equal(d.metadata.labels['kloop.dev/project'], 'shop');
      assert.equal(d.metadata.labels['kloop.dev/app'], name);
      assert.equal(d.metadata.labels['kloop.dev/environment'], 'local');
      assert.ok(
        d.metadata.managedFields.some(
          (m: { manager: string; operation: string }) => m.manager === 'kloop' && m.operation === 'Apply',
        ),
      );
    }
    const inventory = await jsonOf(p, 'get', 'configmap', 'kloop-inventory-shop-local', '-n', 'shop');
    const cacheEntries = JSON.parse(inventory.data['app.cache']);
    assert.deepEqual(cacheEntries.map((e: { kind: string; name: string }) => `${e.kind}/${e.name}`).sort(), [
      'ClusterRole/shop-cache-reader',
      'ConfigMap/cache-config',
      'Deployment/cache',
    ]);
    assert.ok(
      cacheEntries.every((e: { uid?: string }) => e.uid),
      'uids recorded after the apply',
    );

    // no change: nothing is applied, nothing in the cluster moves
    const before = await jsonOf(p, 'get', 'deployment,configmap', '-n', 'shop');
    const noop = await p.kloop('deploy', '--skip-build', '-o', 'json');
    assert.equal(noop.code, 0, noop.stderr);
    const summary = JSON.parse(noop.stdout);
    assert.equal(summary.apps.cache.status, 'unchanged');
    assert.equal(summary.apps.web.status, 'unchanged');
    assert.deepEqual(summary.apps.web.applied, []);
    assert.match(noop.stderr, /apply skipped/);
    const afterNoop = await jsonOf(p, 'get', 'deployment,configmap', '-n', 'shop');
    const versions = (list: { items: Array<{ metadata: { name: string; resourceVersion: string } }> }) =>
      list.items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
    assert.deepEqual(versions(afterNoop), versions(before));

    // an object deleted behind kloop's back is not a no-op
    assert.equal((await p.kubectl('delete', 'configmap', 'cache-config', '-n', 'shop')).code, 0);
    const heal = await p.kloop('deploy', '--skip-build', 'cache', '-o', 'json');
    assert.equal(heal.code, 0, heal.stderr);
    assert.equal(JSON.parse(heal.stdout).apps.cache.status, 'applied');
    assert.equal((await p.kubectl('get', 'configmap', 'cache-config', '-n', 'shop')).code, 0);

    // an object that left the config is pruned
    p.remove('deploy/cache/config.yaml');
    const pruned = await p.kloop('deploy', '--skip-build', '-o', 'json');
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(JSON.parse(pruned.stdout).apps.cache.pruned, ['configmap/cache-config in shop']);
    const gone = await p.kubectl('get', 'configmap', 'cache-config', '-n', 'shop');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound|not found/);

    // a look-alike kloop did not apply, with every kloop label, survives purge
    assert.equal((await p.kubectl('create', 'configmap', 'foreign', '-n', 'shop', '--from-literal=a=b')).code, 0);
    const labelled = await p.kubectl(
      'label',
      'configmap',
      'foreign',
      '-n',
      'shop',
      'kloop.dev/project=shop',
      'kloop.dev/app=web',
      'kloop.dev/environment=local',
    );
    assert.equal(labelled.code, 0, labelled.stderr);

    const purge = await p.kloop('purge', '-o', 'json');
    assert.equal(purge.code, 0, purge.stderr);
    const purged = JSON.parse(purge.stdout);
    assert.deepEqual(Object.keys(purged.apps).sort(), ['cache', 'web']);
    // web (the dependent) is purged before cache
    assert.ok(purge.stderr.indexOf('web: purged') < purge.stderr.indexOf('cache: purging'), purge.stderr);
    for (const [kind, name] of [
      ['deployment', 'web'],
      ['deployment', 'cache'],
      ['configmap', 'kloop-inventory-shop-local'],
    ]) {
      const r = await p.kubectl('get', kind!, name!, '-n', 'shop');
      assert.notEqual(r.code, 0, `${kind}/${name} should be gone`);
    }
    assert.notEqual(
      (await p.kubectl('get', 'clusterrole', 'shop-cache-reader')).code,
      0,
      'cluster-scoped object purged',
    );
    assert.equal(
      (await p.kubectl('get', 'configmap', 'foreign', '-n', 'shop')).code,
      0,
      'the foreign object is left alone',
    );

    // deploy again after purge: the same state as the first time
    const again = await p.kloop('deploy', '--skip-build', '-o', 'json');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).apps.web.status, 'applied');
    assert.equal((await jsonOf(p, 'get', 'deployment', 'web', '-n', 'shop')).status.availableReplicas, 1);

    // an app that left kloop.yaml is pruned by the next full deploy
    p.write({ 'kloop.yaml': 'version: v1\nname: shop\napps:\n  cache:\n    manifests: [deploy/cache/*.yaml]\n' });
    const removed = await p.kloop('deploy', '--skip-build', '-o', 'json');
    assert.equal(removed.code, 0, removed.stderr);
    const removedSummary = JSON.parse(removed.stdout);
    assert.equal(removedSummary.apps.web.status, 'removed');
    assert.deepEqual(removedSummary.apps.web.pruned, ['deployment/web in shop']);
    assert.equal(removedSummary.apps.cache.status, 'unchanged');
    assert.notEqual((await p.kubectl('get', 'deployment', 'web', '-n', 'shop')).code, 0, 'web pruned');
    assert.equal((await p.kloop('purge')).code, 0);
  });

  it('fails a rollout with the reason per object: a missing image and a crashing container with its logs', async () => {
    const p = project('broken', {
      'kloop.yaml': `version: v1
name: broken
apps:
  api:
    manifests: [deploy/*.yaml]
    timeout: 5m
`,
      'deploy/missing.yaml': deployment('missing', { image: 'kloop-test/not-built:1.0' }),
      'deploy/crash.yaml': deployment('crash', {
        command: 'echo booting crash; echo "fatal: cannot open /etc/crash.conf" >&2; exit 3',
      }),
    });
    const r = await p.kloop('deploy', '--skip-build', '--timeout', '15s');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /app api is not ready/);
    assert.match(
      r.stderr,
      /deployment\/missing in broken: .*\n.*image "kloop-test\/not-built:1\.0" not available \(ErrImageNeverPull\)/,
    );
    assert.match(r.stderr, /deployment\/crash in broken: not ready after 15s/);
    assert.match(r.stderr, /container crash (keeps crashing \(CrashLoopBackOff|exited with code 3)/);
    assert.match(r.stderr, /fatal: cannot open \/etc\/crash\.conf/);
    assert.equal((await p.kloop('purge')).code, 0);
  });

  it('reports a conflict with another field manager; purge after the failed deploy leaves the other tool’s object; --force-conflicts takes over', async () => {
    const p = project('conflict', {
      'kloop.yaml': 'version: v1\nname: conflict\napps:\n  settings:\n    manifests: [config/*.yaml]\n',
      'config/settings.yaml': configMap('settings', { mode: 'kloop' }),
      'config/other.yaml': configMap('other', { a: '1' }),
    });
    // another tool owns "settings"
    const theirs = await p.kubectlInput(
      `apiVersion: v1\nkind: Namespace\nmetadata: { name: conflict }\n---\n${configMap('settings', { mode: 'helm' })}`,
      'apply',
      '--server-side',
      '--field-manager=helm',
      '-n',
      'conflict',
      '-f',
      '-',
    );
    assert.equal(theirs.code, 0, theirs.stderr);

    const r = await p.kloop('deploy', '--skip-build');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /configmap\/settings in conflict: 1 field conflict with "helm"/);
    assert.match(r.stderr, /\.data\.mode is owned by "helm"/);
    assert.match(r.stderr, /--force-conflicts/);
    assert.equal((await jsonOf(p, 'get', 'configmap', 'other', '-n', 'conflict')).data.a, '1');

    // the failed deploy recorded both objects before applying: purge finds "other" and leaves helm's object
    const purge = await p.kloop('purge');
    assert.equal(purge.code, 0, purge.stderr);
    assert.notEqual((await p.kubectl('get', 'configmap', 'other', '-n', 'conflict')).code, 0, 'other was purged');
    assert.equal((await jsonOf(p, 'get', 'configmap', 'settings', '-n', 'conflict')).data.mode, 'helm');
    assert.match(purge.stderr, /configmap\/settings in conflict was not applied by kloop/);

    const forced = await p.kloop('deploy', '--skip-build', '--force-conflicts');
    assert.equal(forced.code, 0, forced.stderr);
    const cm = await jsonOf(p, 'get', 'configmap', 'settings', '-n', 'conflict');
    assert.equal(cm.data.mode, 'kloop');
    assert.equal((await p.kloop('purge')).code, 0);
    assert.notEqual(
      (await p.kubectl('get', 'configmap', 'settings', '-n', 'conflict')).code,
      0,
      'taken over, then purged',
    );
  });

  it('converges when a deploy is killed midway, and purge still finds everything', async () => {
    const p = project('killed', {
      'kloop.yaml': 'version: v1\nname: killed\napps:\n  slow:\n    manifests: [deploy/*.yaml]\n',
      'deploy/slow.yaml': deployment('slow', { probeDelay: 6 }),
      'deploy/config.yaml': configMap('slow-config', { a: '1' }),
    });
    const child = p.spawnKloop('deploy', '--skip-build');
    const exited = new Promise((r) => child.on('exit', r));
    // kill it while it waits for readiness (the probe holds the pod unready for 6 s)
    for (let i = 0; i < 200; i++) {
      if ((await p.kubectl('get', 'deployment', 'slow', '-n', 'killed')).code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await exited;

    const again = await p.kloop('deploy', '--skip-build', '--timeout', '90s', '-o', 'json');
    assert.equal(again.code, 0, again.stderr);
    // depending on when the kill landed, the rerun applies again or only has to wait
    assert.ok(['applied', 'unchanged'].includes(JSON.parse(again.stdout).apps.slow.status));
    assert.equal((await jsonOf(p, 'get', 'deployment', 'slow', '-n', 'killed')).status.availableReplicas, 1);

    const purge = await p.kloop('purge', '-o', 'json');
    assert.equal(purge.code, 0, purge.stderr);
    assert.deepEqual(JSON.parse(purge.stdout).apps.slow.deleted.sort(), [
      'configmap/slow-config in killed',
      'deployment/slow in killed',
    ]);
  });

  it('reaches the cluster through an exec credential plugin; an unauthorised or unreachable cluster is one clear error', async () => {
    const config = parse(readFileSync(sandbox.kubeconfig, 'utf8'));
    const token: string = config.users[0].user.token;
    const variant = (name: string, edit: (c: typeof config) => void) => {
      const c = structuredClone(config);
      edit(c);
      const file = join(p.dir, `${name}.kubeconfig`);
      writeFileSync(file, stringify(c));
      return file;
    };
    const p = project('creds', {
      'kloop.yaml': 'version: v1\nname: creds\napps:\n  settings:\n    manifests: [config.yaml]\n',
      'config.yaml': configMap('settings', { a: '1' }),
    });
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token },
    });
    const exec = variant('exec', (c) => {
      c.users[0].user = {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: 'sh',
          args: ['-c', `printf '%s' '${credential}'`],
          interactiveMode: 'Never',
        },
      };
    });
    const viaPlugin = await p.kloopWith({ KUBECONFIG: exec }, 'deploy', '--skip-build');
    assert.equal(viaPlugin.code, 0, viaPlugin.stderr);
    assert.equal((await jsonOf(p, 'get', 'configmap', 'settings', '-n', 'creds')).data.a, '1');

    const badToken = variant('bad-token', (c) => {
      c.users[0].user.token = 'not-the-token';
    });
    const refused = await p.kloopWith({ KUBECONFIG: badToken }, 'deploy', '--skip-build');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /error: the cluster at https:\/\/127\.0\.0\.1:\d+ refused kloop's credentials \(401/);
    assert.match(refused.stderr, /hint: .*kube context "kloop-sandbox"/);

    const closed = variant('closed', (c) => {
      c.clusters[0].cluster.server = 'https://127.0.0.1:1';
    });
    const unreachable = await p.kloopWith({ KUBECONFIG: closed }, 'deploy', '--skip-build');
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /error: cannot reach the cluster at https:\/\/127\.0\.0\.1:1: connection refused/);
    assert.doesNotMatch(unreachable.stderr, /\n\s+at /, 'no stack trace');
    const purge = await p.kloop('purge');
    assert.equal(purge.code, 0, purge.stderr);
  });

  it('deploys dependency projects (path and git) first, runs hooks, and purges them after the project', async () => {
    const p = project('deps', {
      'shop/kloop.yaml': `version: v1
name: shop
dependencies:
  auth: { path: ../auth }
  pay: { git: "file://\${REPO}", ref: main, subPath: services/pay }
apps:
  web:
    manifests: [web.yaml]
hooks:
  beforeDeploy: ["echo before-deploy >> hooks.log"]
  afterDeploy: ["echo after-deploy >> hooks.log"]
  afterPurge: ["echo after-purge >> hooks.log"]
`,
      'shop/web.yaml': configMap('web', { a: '1' }),
      'auth/kloop.yaml': 'version: v1\nname: auth\napps:\n  auth:\n    manifests: [auth.yaml]\n',
      'auth/auth.yaml': deployment('auth'),
      'repo/services/pay/kloop.yaml': 'version: v1\nname: pay\napps:\n  pay:\n    manifests: [pay.yaml]\n',
      'repo/services/pay/pay.yaml': configMap('pay', { b: '2' }),
    });
    const repo = join(p.dir, 'repo');
    for (const args of [
      ['init', '-q', '-b', 'main'],
      ['add', '.'],
      ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'pay'],
    ]) {
      const g = await runCommand('git', ['-C', repo, ...args]);
      assert.equal(g.code, 0, g.stderr);
    }
    const deploy = await p.kloopIn('shop', { REPO: repo }, 'deploy', '--skip-build', '-o', 'json');
    assert.equal(deploy.code, 0, deploy.stderr);
    const summary = JSON.parse(deploy.stdout);
    assert.deepEqual(Object.keys(summary.dependencies).sort(), ['auth', 'pay']);
    assert.equal(summary.dependencies.auth.apps.auth.status, 'applied');
    assert.equal(summary.dependencies.pay.apps.pay.status, 'applied');
    // the dependencies are ready before the project's own app is applied
    assert.ok(deploy.stderr.indexOf('auth: ready') < deploy.stderr.indexOf('web: applying'), deploy.stderr);
    assert.ok(deploy.stderr.indexOf('pay: ready') < deploy.stderr.indexOf('web: applying'), deploy.stderr);
    assert.equal((await jsonOf(p, 'get', 'deployment', 'auth', '-n', 'deps')).status.availableReplicas, 1);
    assert.equal(
      (await jsonOf(p, 'get', 'configmap', 'pay', '-n', 'deps')).metadata.labels['kloop.dev/project'],
      'pay',
    );
    assert.equal(readFileSync(join(p.dir, 'shop/hooks.log'), 'utf8'), 'before-deploy\nafter-deploy\n');

    const purge = await p.kloopIn('shop', { REPO: repo }, 'purge', '-o', 'json');
    assert.equal(purge.code, 0, purge.stderr);
    const purged = JSON.parse(purge.stdout);
    assert.deepEqual(purged.dependencies.auth.apps.auth.deleted, ['deployment/auth in deps']);
    assert.deepEqual(purged.dependencies.pay.apps.pay.deleted, ['configmap/pay in deps']);
    for (const [kind, name] of [
      ['deployment', 'auth'],
      ['configmap', 'pay'],
      ['configmap', 'web'],
    ])
      assert.notEqual((await p.kubectl('get', kind!, name!, '-n', 'deps')).code, 0, `${kind}/${name} purged`);
    assert.match(readFileSync(join(p.dir, 'shop/hooks.log'), 'utf8'), /after-purge\n$/);
  });

  it('applies a CRD first, waits until it is established, then its custom resources; purge removes both', async () => {
    const p = project('crds', {
      'kloop.yaml': 'version: v1\nname: crds\napps:\n  widgets:\n    manifests: [crd.yaml, widget.yaml]\n',
      'crd.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.kloop.dev }
spec:
  group: example.kloop.dev
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, properties: { size: { type: integer } } }
`,
      'widget.yaml': 'apiVersion: example.kloop.dev/v1\nkind: Widget\nmetadata: { name: small }\nspec: { size: 1 }\n',
    });
    const deploy = await p.kloop('deploy', '--skip-build', '-o', 'json');
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.deepEqual(JSON.parse(deploy.stdout).apps.widgets.applied.sort(), [
      'customresourcedefinition/widgets.example.kloop.dev',
      'widget/small in crds',
    ]);
    assert.equal((await jsonOf(p, 'get', 'widgets.example.kloop.dev', 'small', '-n', 'crds')).spec.size, 1);
    const purge = await p.kloop('purge');
    assert.equal(purge.code, 0, purge.stderr);
    assert.notEqual((await p.kubectl('get', 'crd', 'widgets.example.kloop.dev')).code, 0, 'CRD purged');
  });

  it('waits for Jobs: a completed one is ready, a failed one fails with its pods’ logs', async () => {
    const job = (name: string, command: string) => `apiVersion: batch/v1
kind: Job
metadata: { name: ${name} }
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
        - { name: ${name}, image: "busybox:1.36", imagePullPolicy: Never, command: ["sh", "-c", ${JSON.stringify(command)}] }
`;
    const p = project('jobs', {
      'kloop.yaml':
        'version: v1\nname: jobs\napps:\n  seed:\n    manifests: [seed.yaml]\n  migrate:\n    manifests: [migrate.yaml]\n',
      'seed.yaml': job('seed', 'echo seeded'),
      'migrate.yaml': job('migrate', "echo 'migration 0042 failed: relation users does not exist'; exit 1"),
    });
    const r = await p.kloop('deploy', '--skip-build', '--timeout', '60s');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /seed: ready/);
    assert.match(r.stderr, /job\/migrate in jobs: job failed: BackoffLimitExceeded/);
    assert.match(r.stderr, /container migrate exited with code 1/);
    assert.match(r.stderr, /│ migration 0042 failed: relation users does not exist/);
    assert.equal((await p.kloop('purge')).code, 0);
  });

  it('waits for StatefulSets, DaemonSets and bare Pods to be ready', async () => {
    const podSpec = (name: string) => `
      terminationGracePeriodSeconds: 1
      containers:
        - { name: ${name}, image: "busybox:1.36", imagePullPolicy: Never, command: ["sh", "-c", "sleep 3600"] }`;
    const p = project('kinds', {
      'kloop.yaml': 'version: v1\nname: kinds\napps:\n  all:\n    manifests: [all.yaml]\n',
      'all.yaml': `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  serviceName: db
  replicas: 1
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:${podSpec('db')}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:${podSpec('agent')}
---
apiVersion: v1
kind: Pod
metadata: { name: solo }
spec:${podSpec('solo').replace(/\n {4}/g, '\n')}
`,
    });
    const r = await p.kloop('deploy', '--skip-build', '--timeout', '90s');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await jsonOf(p, 'get', 'statefulset', 'db', '-n', 'kinds')).status.readyReplicas, 1);
    assert.equal((await jsonOf(p, 'get', 'daemonset', 'agent', '-n', 'kinds')).status.numberAvailable, 1);
    const solo = await jsonOf(p, 'get', 'pod', 'solo', '-n', 'kinds');
    assert.ok(
      solo.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'),
    );
    assert.equal((await p.kloop('purge')).code, 0);
  });

  it('purging one app keeps the namespace that holds the inventory; purging all removes it', async () => {
    const p = project('partial', {
      'kloop.yaml':
        'version: v1\nname: partial\napps:\n  ns:\n    manifests: [ns.yaml]\n  web:\n    manifests: [web.yaml]\n    dependsOn: [ns]\n',
      'ns.yaml':
        'apiVersion: v1\nkind: Namespace\nmetadata: { name: partial }\n---\n' + configMap('ns-settings', { a: '1' }),
      'web.yaml': configMap('web', { b: '2' }),
    });
    assert.equal((await p.kloop('deploy', '--skip-build')).code, 0);
    const one = await p.kloop('purge', 'ns', '-o', 'json');
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(JSON.parse(one.stdout).apps.ns.deleted, ['configmap/ns-settings in partial']);
    assert.match(one.stderr, /namespace partial holds kloop's inventory/);
    assert.equal((await p.kubectl('get', 'configmap', 'web', '-n', 'partial')).code, 0, 'web untouched');
    const all = await p.kloop('purge', '-o', 'json');
    assert.equal(all.code, 0, all.stderr);
    const summary = JSON.parse(all.stdout);
    assert.deepEqual(summary.apps.web.deleted, ['configmap/web in partial']);
    assert.deepEqual(summary.apps.ns.deleted, ['namespace/partial']);
    assert.notEqual((await p.kubectl('get', 'namespace', 'partial')).code, 0, 'namespace gone');
  });

  it('watches resume after the idle timer drops a silent connection, without missing events', async () => {
    const client = await connect({ kubeconfig: sandbox.kubeconfig, env: {} });
    const p = project('watch', {});
    assert.equal((await p.kubectl('create', 'namespace', 'watch')).code, 0);
    const seen: string[] = [];
    let lists = 0;
    const watcher = watchCollection(
      client,
      '/api/v1/namespaces/watch/configmaps',
      {
        onList: () => {
          lists++;
        },
        onEvent: (type, obj) => {
          seen.push(`${type} ${obj.metadata.name}`);
        },
      },
      { idleMs: 200, fieldSelector: 'metadata.name=w' },
    );
    try {
      // several idle periods pass with nothing to report: the watch is re-established each time
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal((await p.kubectl('create', 'configmap', 'w', '-n', 'watch', '--from-literal=a=1')).code, 0);
      assert.equal((await p.kubectl('create', 'configmap', 'other', '-n', 'watch')).code, 0);
      const created = await waitUntil(() => seen.includes('ADDED w'));
      assert.ok(created, `events: ${seen.join(', ')}`);
      assert.equal((await p.kubectl('delete', 'configmap', 'w', '-n', 'watch')).code, 0);
      assert.ok(await waitUntil(() => seen.includes('DELETED w')), `events: ${seen.join(', ')}`);
      assert.ok(!seen.some((e) => e.endsWith(' other')), 'the field selector applies');
      assert.equal(lists, 1, 'resumed from the last resourceVersion, not relisted');
    } finally {
      watcher.stop();
      client.close();
    }
  });
});

async function waitUntil(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
