// render() behaviour beyond equality with the pipeline: determinism, the cache, image wiring,
// metadata from the real git, and one clear error for each way a render can fail.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { imageTag } from '../../../src/images/tag.ts';
import { KloopError } from '../../../src/errors.ts';
import { render } from '../../../src/render/index.ts';
import { spawnCounts, which } from '../../../src/render/tools.ts';
import { copyFixture, makeProject } from './fixture.ts';

const copies: string[] = [];
function fixture(): string {
  const root = copyFixture();
  copies.push(root);
  return root;
}
after(() => {
  for (const c of copies) rmSync(c, { recursive: true, force: true });
});

function spawned(): number {
  return (spawnCounts.get('helm') ?? 0) + (spawnCounts.get('kubectl') ?? 0) + (spawnCounts.get('kustomize') ?? 0);
}

async function failure(promise: Promise<unknown>): Promise<KloopError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof KloopError, `expected a KloopError, got ${(e as Error).stack}`);
    return e;
  }
  assert.fail('expected the render to fail');
}

describe('determinism and cache', () => {
  test('identical bytes from two renders and from another checkout', async () => {
    const a = fixture();
    const b = fixture();
    const first = await render(makeProject(a, { env: 'staging' }), { cache: false });
    const second = await render(makeProject(a, { env: 'staging' }), { cache: false });
    const other = await render(makeProject(b, { env: 'staging' }), { cache: false });
    assert.deepEqual(
      first.apps.map((x) => x.yaml),
      second.apps.map((x) => x.yaml),
    );
    // a different checkout path changes image tags only if contents differ; the manifests are the same
    assert.deepEqual(
      first.apps.map((x) => x.yaml),
      other.apps.map((x) => x.yaml),
    );
  });

  test('objects are sorted: cluster-scoped first, then by install order and name', async () => {
    const root = fixture();
    const { apps } = await render(makeProject(root, { env: 'staging' }), { apps: ['platform', 'web'], cache: false });
    assert.deepEqual(
      apps.map((a) => a.name),
      ['platform', 'web'],
    );
    assert.deepEqual(
      apps[0]!.objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'Namespace/shop-staging',
        'CustomResourceDefinition/tenants.shop.example.com',
        'CustomResourceDefinition/widgets.shop.example.com',
        'ClusterRole/shop-reader',
        'Tenant/shop',
        'Widget/gadget',
      ],
    );
    assert.deepEqual(
      apps[1]!.objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Service/web-web-0', 'Service/web-web-1', 'Deployment/web-web'],
    );
  });

  test('a warm render spawns no helm or kustomize; a changed input renders that app again', async () => {
    const root = fixture();
    const project = makeProject(root, { env: 'staging' });
    const cold = await render(project);
    assert.ok(cold.apps.every((a) => !a.cached));
    const before = spawned();
    const warm = await render(project);
    assert.equal(spawned(), before, 'no helm/kubectl/kustomize process on a warm render');
    assert.ok(warm.apps.every((a) => a.cached));
    assert.deepEqual(
      warm.apps.map((a) => a.yaml),
      cold.apps.map((a) => a.yaml),
    );
    const entries = readdirSync(path.join(root, '.kloop', 'render-cache'));
    assert.equal(entries.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).length, 6, 'one render entry per app');
    assert.equal(entries.filter((n) => n.startsWith('valid-')).length, 6, 'one passed validation per app');

    appendFileSync(path.join(root, 'deploy/web/values.yaml'), 'extra: 1\n');
    const changedValues = await render(project);
    assert.deepEqual(
      changedValues.apps.filter((a) => !a.cached).map((a) => a.name),
      ['web'],
    );
    // a variable's value is an input too: the same files with another TITLE render again
    const otherTitle = await render(makeProject(root, { env: 'staging', extraVars: { TITLE: 'Other' } }));
    assert.deepEqual(
      otherTitle.apps.filter((a) => !a.cached).map((a) => a.name),
      ['web', 'api', 'jobs', 'platform', 'front'],
    );
    const noCache = await render(project, { cache: false });
    assert.ok(noCache.apps.every((a) => !a.cached));
  });
});

describe('image wiring', () => {
  test('unpinned images get the tag kloop build computes, in containers, initContainers and CronJobs', async () => {
    const root = fixture();
    const project = makeProject(root, { env: 'staging' });
    const webTag = await imageTag(project, 'web');
    const apiTag = await imageTag(project, 'api');
    const result = await render(project, { cache: false });
    const rewrites = result.apps.flatMap((a) => a.imageRewrites.map((r) => `${r.object}:${r.container}->${r.to}`));
    assert.deepEqual(rewrites.sort(), [
      `CronJob/shop-staging/backup:backup->registry.example.com/shop/api:${apiTag}`,
      `Deployment/shop-staging/api:api->registry.example.com/shop/api:${apiTag}`,
      `Deployment/shop-staging/web-web:warm->registry.example.com/shop/web:${webTag}`,
      `Deployment/shop-staging/web-web:web->registry.example.com/shop/web:${webTag}`,
    ]);
    assert.equal(result.metadata.kloop.images.web!.tag, webTag);
    const withDigest = await render(project, { apps: ['web'], digests: { web: 'sha256:feed' } });
    assert.equal(withDigest.metadata.kloop.images.web!.digest, 'sha256:feed', 'digests from kloop build are recorded');
    assert.match(withDigest.apps[0]!.yaml, new RegExp(`image: registry.example.com/shop/web:${webTag}\\n`));
    assert.equal(result.metadata.kloop.images.web!.pinned, false);
    assert.deepEqual(result.warnings, []);
  });

  test('a pinned digest is recorded; an images: entry that matched nothing is a warning', async () => {
    const root = fixture();
    const ref = `registry.example.com/shop/web@sha256:${'a'.repeat(64)}`;
    const result = await render(makeProject(root), { apps: ['web'], images: { web: ref }, cache: false });
    assert.ok(result.apps[0]!.imageRewrites.every((r) => r.to === ref));
    assert.equal(result.metadata.kloop.images.web!.digest, `sha256:${'a'.repeat(64)}`);
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]!, /image api .* matched no container/);
  });

  test('--image for an unknown image is an error naming the known ones', async () => {
    const e = await failure(render(makeProject(fixture()), { images: { nope: 'x:1' } }));
    assert.match(e.message, /no image "nope"/);
    assert.match(e.hint ?? '', /web, api/);
  });
});

describe('for the other commands', () => {
  test('each app lists the files it read (dev re-renders when one changes)', async () => {
    const root = fixture();
    const { apps } = await render(makeProject(root), { apps: ['web', 'api', 'jobs'], cache: false });
    const rel = (name: string) =>
      apps
        .find((a) => a.name === name)!
        .inputs.map((f) => path.relative(root, f))
        .sort();
    assert.deepEqual(rel('api'), [
      'deploy/api/base/deployment.yaml',
      'deploy/api/base/kustomization.yaml',
      'deploy/api/base/service.yaml',
      'deploy/api/overlay/app.properties',
      'deploy/api/overlay/kustomization.yaml',
      'deploy/api/overlay/replicas.yaml',
    ]);
    assert.ok(rel('web').includes('deploy/web/values.yaml'));
    assert.ok(rel('web').includes('deploy/web/chart/templates/_helpers.tpl'));
    assert.deepEqual(rel('jobs'), ['deploy/jobs/backup.yaml', 'deploy/jobs/scripts.yaml']);
    const cached = await render(makeProject(root), { apps: ['api'] });
    const again = await render(makeProject(root), { apps: ['api'] });
    assert.ok(again.apps[0]!.cached);
    assert.deepEqual(again.apps[0]!.inputs, cached.apps[0]!.inputs);
  });

  test("secrets: 'forbid' refuses output holding a secret variable's value, plain or base64", async () => {
    const root = fixture();
    appendFileSync(
      path.join(root, 'deploy/jobs/scripts.yaml'),
      '---\napiVersion: v1\nkind: Secret\nmetadata: { name: token }\ndata: { token: c2VjcmV0LXZhbHVl }\n',
    );
    const project = makeProject(root, { extraVars: { TOKEN: 'secret-value' }, secret: ['TOKEN'] });
    const e = await failure(render(project, { apps: ['jobs'], secrets: 'forbid' }));
    assert.match(
      e.message,
      /secret variable would be written .*app jobs: Secret\/shop-dev\/token holds the value of TOKEN/,
    );
    const allowed = await render(project, { apps: ['jobs'] });
    assert.equal(allowed.apps[0]!.objects.length, 3);
  });
});

describe('tools', () => {
  test('a configured standalone kustomize runs as `kustomize build DIR`', async () => {
    const root = fixture();
    const script = path.join(root, 'fake-kustomize');
    // stands in for the kustomize binary: answers `version`, and builds through kubectl's kustomize
    writeFileSync(
      script,
      `#!/bin/sh\nif [ "$1" = version ]; then echo v5.9.9-fake; exit 0; fi\n[ "$1" = build ] || exit 9\nshift\nexec "${which('kubectl')}" kustomize "$@"\n`,
      { mode: 0o755 },
    );
    const base = makeProject(root);
    const viaKubectl = await render(base, { apps: ['api'], cache: false });
    const project = { ...base, tools: { ...base.tools, kustomize: script } };
    const viaKustomize = await render(project, { apps: ['api'], cache: false });
    assert.equal(viaKustomize.apps[0]!.yaml, viaKubectl.apps[0]!.yaml);
    assert.equal(viaKustomize.metadata.kloop.tools.kustomize, 'v5.9.9-fake');
    assert.equal(viaKustomize.metadata.kloop.tools.kubectl, undefined);
  });
});

describe('metadata from git', () => {
  test('source commit, author, subject and the dirty flag', async () => {
    const root = fixture();
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', root, ...args], {
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'Ada',
          GIT_AUTHOR_EMAIL: 'ada@example.com',
          GIT_COMMITTER_NAME: 'Ada',
          GIT_COMMITTER_EMAIL: 'ada@example.com',
          GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
        },
      });
    git('init', '-q', '-b', 'main');
    git('remote', 'add', 'origin', 'https://user:secret-token@git.example.com/shop.git');
    writeFileSync(path.join(root, '.gitignore'), '.kloop/\n');
    git('add', '.');
    git('commit', '-qm', 'Shop release');
    const sha = git('rev-parse', 'HEAD').trim();
    const clean = await render(makeProject(root), { apps: ['jobs'] });
    assert.equal(clean.metadata.drySha, sha);
    assert.equal(clean.metadata.repoURL, 'https://git.example.com/shop.git', 'credentials stripped');
    assert.equal(clean.metadata.author, 'Ada <ada@example.com>');
    assert.equal(clean.metadata.subject, 'Shop release');
    assert.equal(clean.metadata.date, '2026-01-02T03:04:05+00:00');
    assert.equal(clean.metadata.kloop.dirty, false, 'the render cache under .kloop does not make the tree dirty');
    appendFileSync(path.join(root, 'deploy/jobs/scripts.yaml'), '# edited\n');
    const dirty = await render(makeProject(root), { apps: ['jobs'] });
    assert.equal(dirty.metadata.kloop.dirty, true);
  });
});

describe('errors', () => {
  test('an undefined ${VAR} is left as written, a likely typo is a warning, strict vars make it an error', async () => {
    const root = fixture();
    appendFileSync(path.join(root, 'deploy/jobs/scripts.yaml'), '  extra: "${MISSING_VAR} ${TITEL} ${X:-d}"\n');
    const lenient = await render(makeProject(root), { apps: ['jobs'], cache: false });
    const cm = lenient.apps[0]!.objects.find((o) => (o as { data?: { extra?: string } }).data?.extra);
    assert.equal((cm as unknown as { data: { extra: string } }).data.extra, '${MISSING_VAR} ${TITEL} d');
    assert.deepEqual(
      lenient.warnings.filter((w) => w.includes('not a kloop variable')),
      [
        'deploy/jobs/scripts.yaml:10:26: ${TITEL} is not a kloop variable and was left as written; did you mean ${TITLE}? (--strict-vars makes this an error)',
      ],
    );
    const strict = { ...makeProject(root), strictVars: true };
    const e = await failure(render(strict, { apps: ['jobs'], cache: false }));
    assert.match(e.message, /undefined variable \$\{MISSING_VAR\}/);
    assert.equal(e.location?.file, 'deploy/jobs/scripts.yaml');
    assert.equal(e.location?.line, 10);
  });

  test('a broken chart names the app and the template', async () => {
    const root = fixture();
    writeFileSync(path.join(root, 'deploy/front/chart/templates/broken.yaml'), 'x: {{ .Values.nope.deeper }\n');
    const e = await failure(render(makeProject(root), { apps: ['front'], cache: false }));
    assert.match(e.message, /^helm failed for app front: .*broken\.yaml/);
    assert.doesNotMatch(e.message, /kloop-render-/, 'work-copy paths are mapped back to the source');
    assert.equal(e.location?.file, 'deploy/front/chart');
  });

  test('a kustomize error names the app and the kustomization', async () => {
    const root = fixture();
    const file = path.join(root, 'deploy/api/overlay/kustomization.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('- ../base', '- ../missing-base'));
    const e = await failure(render(makeProject(root), { apps: ['api'], cache: false }));
    assert.match(e.message, /^kustomize failed for app api: /);
    assert.equal(e.location?.file, 'deploy/api/overlay/kustomization.yaml');
  });

  test('a schema violation names app, object and field path; --validate=false skips', async () => {
    const root = fixture();
    appendFileSync(
      path.join(root, 'deploy/platform/objects.yaml'),
      '---\napiVersion: shop.example.com/v1\nkind: Widget\nmetadata: { name: tiny }\nspec: { size: 0, color: green }\n',
    );
    appendFileSync(
      path.join(root, 'deploy/jobs/scripts.yaml'),
      '---\napiVersion: v1\nkind: Service\nmetadata: { name: bad }\nspec:\n  ports: [{ port: "eighty" }]\n',
    );
    const project = makeProject(root, { env: 'staging' });
    const e = await failure(render(project, { apps: ['jobs', 'platform'] }));
    const all = [e.message, ...e.details].join('\n');
    assert.match(all, /app jobs: Service\/shop-staging\/bad: spec\.ports\[0\]\.port: must be integer/);
    assert.match(all, /app platform: Widget\/shop-staging\/tiny: spec\.size: must be >= 1/);
    assert.match(all, /app platform: Widget\/shop-staging\/tiny: spec\.color: must be one of red, blue/);
    const skipped = await render(project, { apps: ['jobs', 'platform'], validate: false });
    assert.equal(skipped.metadata.kloop.validated, false);
  });

  test('objects no schema covers are a warning, and an image no rendered app uses needs no build context', async () => {
    const root = fixture();
    appendFileSync(
      path.join(root, 'deploy/jobs/scripts.yaml'),
      '---\napiVersion: monitoring.example.com/v1\nkind: Probe\nmetadata: { name: p }\nspec: { any: thing }\n',
    );
    rmSync(path.join(root, 'src/web'), { recursive: true }); // web's tag cannot be computed now
    const result = await render(makeProject(root), { apps: ['jobs'] });
    const warm = await render(makeProject(root), { apps: ['jobs'] });
    assert.deepEqual(warm.warnings, result.warnings, 'a remembered validation repeats its warnings');
    assert.ok(
      result.warnings.includes(
        'no schema for 1 object(s), not validated (their CRDs are not in the render): jobs: Probe/shop-dev/p',
      ),
      result.warnings.join('\n'),
    );
    assert.deepEqual(Object.keys(result.metadata.kloop.images), ['api']);
  });

  test('a missing tool is one line saying what to install', async () => {
    const root = fixture();
    const base = makeProject(root);
    const project = { ...base, tools: { ...base.tools, helm: '/nonexistent/helm' } };
    const e = await failure(render(project, { apps: ['web'], cache: false }));
    assert.match(e.message, /^helm not found/);
    assert.match(e.hint ?? '', /install Helm/);
  });

  test('an unknown app and a glob that matches nothing', async () => {
    const root = fixture();
    const e = await failure(render(makeProject(root), { apps: ['nope'] }));
    assert.match(e.message, /no app "nope"/);
    const project = makeProject(root, { apps: { x: { manifests: ['deploy/none/*.yaml'] } } });
    const g = await failure(render(project));
    assert.match(g.message, /apps\.x\.manifests: "deploy\/none\/\*\.yaml" matches no files/);
  });
});
