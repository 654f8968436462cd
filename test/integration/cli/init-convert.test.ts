// kloop init on another tool's config, per schema version: the conversion loads (`kloop print`),
// and `kloop render` of the converted project equals what the source tool renders for the same
// manifests — the commands its documentation says it runs (kubectl kustomize, helm template with
// the values, the raw files concatenated), with built images put in by repository as it does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { kloop } from './helpers.ts';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/init');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
// written here, not taken from kloop: the kinds that never get a namespace
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

function copy(fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kloop-init-${fixture}-`));
  dirs.push(dir);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

const sh = (dir: string, script: string) =>
  execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, encoding: 'utf8' });

function objects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o && typeof o === 'object');
}

const repository = (image: string) => image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');

/** What the source tools do to what they render: built images in by repository, the namespace for those without one. */
function asDeployed(list: Obj[], pins: Record<string, string>, namespace: string): Obj[] {
  for (const o of list) {
    if (!CLUSTER_SCOPED.has(o.kind) && !o.metadata.namespace) o.metadata.namespace = namespace;
    const spec = o.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined;
    for (const c of spec?.template?.spec?.containers ?? [])
      if (c.image && pins[repository(c.image)]) c.image = pins[repository(c.image)];
  }
  return list;
}

const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const sorted = (list: Obj[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));

async function convert(
  fixture: string,
): Promise<{ dir: string; config: Record<string, any>; text: string; stderr: string }> {
  const dir = copy(fixture);
  const r = await kloop(dir, ['init']);
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(join(dir, 'kloop.yaml'), 'utf8');
  const print = await kloop(dir, ['print', '-o', 'json']);
  assert.equal(print.status, 0, `kloop print rejects the conversion of ${fixture}:\n${print.stderr}\n${text}`);
  return { dir, config: parse(text), text, stderr: r.stderr };
}

/** kloop render of the converted project with every image pinned; returns the objects and the pins by repository. */
async function renderPinned(
  dir: string,
  repos: Record<string, string>,
): Promise<{ ours: Obj[]; pins: Record<string, string> }> {
  const pins: Record<string, string> = {};
  const args = ['render', '-n', 'default'];
  for (const [name, repo] of Object.entries(repos)) {
    pins[repo] = `${repo}:pinned-${name}`;
    args.push('--image', `${name}=${pins[repo]}`);
  }
  const r = await kloop(dir, args);
  assert.equal(r.status, 0, r.stderr);
  return { ours: objects(r.stdout), pins };
}

function assertSameRender(ours: Obj[], theirs: Obj[]): void {
  assert.deepEqual(ours.map(key).sort(), theirs.map(key).sort(), 'the same objects');
  assert.deepEqual(sorted(ours), sorted(theirs), 'the same object contents');
}

describe('kloop init converts DevSpace configs', () => {
  it('v1beta10: registry kept, vars, kustomize app, dev target on the workload, hook, command; render = kubectl kustomize', async () => {
    const { dir, config, text } = await convert('devspace-v1beta10');
    assert.equal(config.images.front.image, '${REGISTRY_NAME}.azurecr.io/azvote/azure-vote-front');
    assert.deepEqual(config.images.front.buildArgs, { TITLE: 'Azure Voting App' });
    assert.equal(config.images.back.image, '${REGISTRY_NAME}.azurecr.io/azvote/azure-vote-back');
    assert.equal(config.envFile, '.env');
    assert.equal(config.vars.REGISTRY_NAME.required, true);
    assert.equal(config.vars.REDIS_PASSWORD.secret, true);
    assert.deepEqual(Object.keys(config.apps), ['azure-vote'], 'exactly the apps devspace.yaml names');
    assert.deepEqual(config.dev['azure-vote-front'], {
      app: 'azure-vote',
      workload: 'deployment/azure-vote-front',
      sync: [{ from: 'azure-vote/public', to: '/www', exclude: ['*.tmp'] }],
      ports: ['8080:80'],
      open: 'http://localhost:8080/',
    });
    assert.deepEqual(config.hooks, { beforeDeploy: ['./scripts/before-deploy.sh'] });
    assert.deepEqual(config.commands.seed, {
      run: './scripts/seed.sh',
      description: 'put sample votes in the back end',
    });
    assert.match(text, /^# - devspace\.yaml: images\.front\.tags: kloop computes the tag/m);
    assert.match(text, /^# - devspace\.yaml: profiles\[0\]\.patches\[0\]: .*prodregistry/m);
    assert.match(text, /^# - devspace\.yaml: dev\.logs: /m);
    // a profile that sets a variable is an environment with that value in its env file
    assert.deepEqual(config.environments, { production: {}, staging: { envFile: 'envs/staging.env' } });
    assert.match(readFileSync(join(dir, 'envs/staging.env'), 'utf8'), /^REGISTRY_NAME=kloopstaging$/m);
    const staging = await kloop(dir, ['print', '-o', 'json', '--env', 'staging'], { REDIS_PASSWORD: 'x' });
    assert.equal(staging.status, 0, staging.stderr);
    assert.equal(JSON.parse(staging.stdout).images.front.image, 'kloopstaging.azurecr.io/azvote/azure-vote-front');

    const { ours, pins } = await renderPinned(dir, {
      front: 'kloopdemo.azurecr.io/azvote/azure-vote-front',
      back: 'kloopdemo.azurecr.io/azvote/azure-vote-back',
    });
    assertSameRender(ours, asDeployed(objects(sh(dir, 'kubectl kustomize kubernetes/overlays/dev')), pins, 'default'));
    assert.equal(ours.filter((o) => o.kind === 'Deployment').length, 2);
  });

  it('v1beta11: imageSelector, helm values files + inline values, container hook, events; render = cat + helm template', async () => {
    const { dir, config, text } = await convert('devspace-v1beta11');
    assert.deepEqual(config.images.api, {
      image: '${IMAGE}',
      context: 'api',
      buildArgs: { GO_VERSION: '1.22' },
      target: 'dev',
    });
    assert.deepEqual(config.vars.DB_PASSWORD, { default: 'local-only', secret: true });
    assert.deepEqual(config.apps.db, { manifests: ['deploy/db/*.yaml', 'deploy/db/*.yml'] });
    assert.deepEqual(config.apps.orders.helm.values, ['chart/values-dev.yaml', 'kloop/values-orders.yaml']);
    assert.deepEqual(config.dev.orders.ports, ['9090:8080', '2345:2345']);
    assert.equal(config.dev.orders.container, 'api');
    assert.deepEqual(config.dev.orders.onSync, { exec: 'go build -o /tmp/app .' });
    assert.deepEqual(config.hooks.afterDeploy, [
      {
        container: { app: 'orders', labelSelector: { 'app.kubernetes.io/name': 'orders' }, command: './migrate.sh up' },
      },
    ]);
    assert.match(text, /dev\.ports\[0\]\.reverseForward: kloop has no reverse port-forward/);
    assert.match(text, /dependencies\[0\]: \.\.\/auth does not exist here/);
    assert.match(text, /hooks\[2\]\.events\[0\]: the event devCommand:after:sync has no kloop hook/);

    // DevSpace hands helm the valuesFiles, then its inline values (its own ${VAR}s resolved) on top
    const ds = parse(readFileSync(join(dir, 'devspace.yaml'), 'utf8'));
    const inline = stringify(ds.deployments[1].helm.values)
      .replaceAll('${IMAGE}', 'ghcr.io/acme/orders-api')
      .replaceAll('${LOG_LEVEL}', 'debug');
    writeFileSync(join(dir, 'devspace-inline.yaml'), inline);
    const { ours, pins } = await renderPinned(dir, { api: 'ghcr.io/acme/orders-api' });
    const theirs = objects(
      sh(
        dir,
        'cat deploy/db/db.yaml; echo ---; cat deploy/db/service.yml; echo ---; helm template orders ./chart -f chart/values-dev.yaml -f devspace-inline.yaml',
      ),
    );
    assertSameRender(ours, asDeployed(theirs, pins, 'default'));
  });

  it('v2beta1: map forms, devImage → patch.image, sync path local:remote, .env.template as envFile; render = the manifests', async () => {
    const { dir, config, text } = await convert('devspace-v2beta1');
    assert.equal(config.name, 'storefront');
    assert.equal(config.envFile, '.env.template');
    assert.deepEqual(config.vars.STRIPE_KEY, { required: true, secret: true });
    assert.deepEqual(config.dev.app, {
      app: 'web',
      workload: 'deployment/web',
      sync: [{ from: 'web/src', to: '/app/src', exclude: ['node_modules/'], download: true }],
      onSync: 'restart',
      patch: {
        image: 'node:20-alpine',
        command: ['npm', 'run', 'dev'],
        workingDir: '/app',
        env: { GREETING: '${GREETING}' },
      },
      ports: ['3000:3000', '9229:9229'],
      open: 'http://localhost:3000',
    });
    assert.deepEqual(config.dependencies.payments, {
      git: 'https://github.com/example/payments.git',
      ref: 'main',
      subPath: 'deploy',
    });
    assert.deepEqual(
      config.hooks.beforeDeploy,
      ['echo "deploying with $STRIPE_KEY and $${HOME}"'],
      'the shell keeps ${HOME}',
    );
    assert.match(text, /pipelines: kloop runs one fixed pipeline/);
    assert.deepEqual(config.environments.production, { envFile: 'envs/production.env' });
    assert.match(readFileSync(join(dir, 'envs/production.env'), 'utf8'), /^GREETING=welcome$/m);
    assert.match(text, /profiles\[0\]\.patches\[0\]: .*registry\.example\.com\/prod\/web/);
    assert.match(text, /images\.web\.rebuildStrategy: kloop has no equivalent/);

    const { ours, pins } = await renderPinned(dir, { web: 'registry.example.com/storefront/web' });
    assertSameRender(
      ours,
      asDeployed(objects(sh(dir, 'for f in k8s/*.yaml; do cat "$f"; echo ---; done')), pins, 'shop'),
    );
  });
});

describe('kloop init converts Skaffold configs', () => {
  it('v2beta: artifacts, kubectl + helm deployers, service port-forward on the container port, sync.manual, hooks, profile context', async () => {
    const { dir, config } = await convert('skaffold-v2beta');
    assert.deepEqual(config.apps.redis.helm, {
      chart: 'charts/redis',
      values: ['charts/redis/values-dev.yaml'],
      set: { replicas: 1 },
      setString: { image: 'gcr.io/example/guestbook-backend' },
    });
    assert.deepEqual(config.dev['guestbook-frontend'], {
      app: 'guestbook',
      workload: 'deployment/frontend',
      sync: [{ from: 'frontend/static', to: '/app/static' }],
      ports: ['4503:8080'],
    });
    assert.deepEqual(config.environments.gke, { kubeContext: 'gke_example_us-central1_guestbook' });
    assert.deepEqual(config.hooks, {
      beforeBuild: ['echo building $SKAFFOLD_IMAGE'],
      beforeDeploy: ['./scripts/check.sh'],
    });

    const { ours, pins } = await renderPinned(dir, {
      'guestbook-frontend': 'gcr.io/example/guestbook-frontend',
      'guestbook-backend': 'gcr.io/example/guestbook-backend',
    });
    const theirs = objects(
      sh(
        dir,
        `for f in kubernetes-manifests/*.yaml; do cat "$f"; echo ---; done
         helm template redis charts/redis -f charts/redis/values-dev.yaml --set replicas=1 --set-string image=${pins['gcr.io/example/guestbook-backend']}`,
      ),
    );
    assertSameRender(ours, asDeployed(theirs, pins, 'default'));
  });

  it('v3: rawYaml, custom build, sync.infer from the Dockerfile; render = the files concatenated', async () => {
    const { dir, config, text } = await convert('skaffold-v3');
    assert.deepEqual(config.images['leeroy-app'], {
      image: 'leeroy-app',
      context: 'leeroy-app',
      builder: 'custom',
      custom: { command: './build.sh', inputs: ['*.go', 'go.mod'] },
    });
    assert.deepEqual(config.dev['leeroy-web'].sync, [{ from: 'leeroy-web/web', to: '/srv/web' }]);
    assert.doesNotMatch(text, /^# - skaffold\.yaml: deploy/m, 'kubectl: {} is what kloop does');
    const { ours, pins } = await renderPinned(dir, { 'leeroy-web': 'leeroy-web', 'leeroy-app': 'leeroy-app' });
    const theirs = objects(
      sh(dir, 'for f in leeroy-web/kubernetes/* leeroy-app/kubernetes/*; do cat "$f"; echo ---; done'),
    );
    assertSameRender(ours, asDeployed(theirs, pins, 'default'));
  });

  it('v4beta: kustomize paths, helm with setValueTemplates, render hooks, profile patches; render = kubectl kustomize + helm template', async () => {
    const { dir, config, text } = await convert('skaffold-v4beta');
    assert.deepEqual(Object.keys(config.apps).sort(), ['cart', 'redis']);
    assert.deepEqual(config.hooks, { beforeRender: ['./scripts/gen.sh'] });
    assert.deepEqual(config.environments.staging, { kubeContext: 'staging-cluster' });
    assert.match(text, /profiles\[0\]\.patches\[0\]: .*overlays\/staging/);
    assert.match(text, /setValueTemplates\.podAnnotations\.built: a template value/);
    const { ours, pins } = await renderPinned(dir, { cart: 'ghcr.io/acme/cart' });
    const theirs = objects(
      sh(
        dir,
        `kubectl kustomize deploy/redis/overlays/dev; echo ---
         helm template cart deploy/cart-chart --set persistence.enabled=false --set replicaCount=1 \
           --set-string image.repository=ghcr.io/acme/cart --set-string image.tag=pinned-cart`,
      ),
    );
    assertSameRender(ours, asDeployed(theirs, pins, 'default'));
  });

  it('several configs that require each other: dependsOn inside the file, a path dependency converted too', async () => {
    const { dir, config } = await convert('skaffold-multi');
    assert.deepEqual(config.apps.api.dependsOn, ['db']);
    assert.deepEqual(config.dependencies, { worker: { path: 'worker' } });
    assert.deepEqual(config.dev.api.ports, ['8088:3000'], 'the Service port 80 is forwarded to the container port');
    const worker = parse(readFileSync(join(dir, 'worker/kloop.yaml'), 'utf8'));
    assert.deepEqual(worker.apps, { worker: { manifests: ['k8s/*.yaml'] } });
    const { ours, pins } = await renderPinned(dir, { api: 'example/api' });
    const theirs = objects(sh(dir, 'cat db/*.yaml; echo ---; cat api/k8s/*.yaml'));
    assertSameRender(ours, asDeployed(theirs, pins, 'default'));
  });
});

describe('kloop init converts compose files', () => {
  it('docker-compose.yml: build → image, ports and bind mount → a dev target on the scanned manifests', async () => {
    const { dir, config, text } = await convert('compose-build');
    assert.ok(config.images.web);
    const app = Object.keys(config.apps)[0];
    assert.deepEqual(config.dev.web, {
      app,
      workload: 'deployment/web',
      sync: [{ from: 'web', to: '/code' }],
      ports: ['8000:5000'],
    });
    assert.match(text, /services\.web\.depends_on: a container runtime setting of compose/);
    const { ours, pins } = await renderPinned(dir, {});
    assertSameRender(
      ours,
      asDeployed(objects(sh(dir, 'for f in k8s/*.yaml; do cat "$f"; echo ---; done')), pins, 'default'),
    );
  });

  it('compose.yaml: long syntax, build args list, tag dropped, targets only suggested without manifests', async () => {
    const { config, text } = await convert('compose-spec');
    assert.deepEqual(config.images.api, {
      image: 'ghcr.io/notes/api',
      context: 'api',
      dockerfile: 'api/Dockerfile.dev',
      target: 'dev',
      buildArgs: { PYTHON_VERSION: '3.12', EXTRAS: '${API_EXTRAS:-none}' },
    });
    assert.equal(config.dev, undefined);
    assert.match(text, /^# {5}ports:\n# {7}- 8081:8000$/m);
    assert.match(text, /^# {7}- from: frontend\/src\n# {9}to: \/app\/src$/m);
    assert.match(text, /services\.frontend\.volumes\[1\]: a mount of a directory outside the project/);
  });
});

describe('kloop init without another tool’s config', () => {
  it('a script that runs helm template into a kustomize base is one app; components and overlays of it are not', async () => {
    const { dir, config, text } = await convert('helm-kustomize-layout');
    assert.deepEqual(config.apps, {
      shop: {
        namespace: 'shop',
        helm: { chart: 'helm/shop', releaseName: 'shop', values: ['helm/shop/values.yaml'] },
        kustomize: 'kustomize/base',
      },
    });
    assert.match(text, /kustomize\/components\/debug: kind: Component: a kustomize Component is not an app/);
    const { ours, pins } = await renderPinned(dir, {});
    // the reference: the repository's own script, then kubectl kustomize of the base
    const theirs = objects(sh(dir, './utils/generate-manifests.sh && kubectl kustomize kustomize/base'));
    assertSameRender(ours, asDeployed(theirs, pins, 'shop'));
  });
});
