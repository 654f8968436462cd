// `kloop build` through the CLI and loadProject: -o json on stdout (human output on stderr), the
// sandbox context (shares the engine: nothing to load), a push failure and a build failure (exit 1).
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCliSync } from '../../helpers/cli.ts';
import { tempDir } from '../../unit/images/project.ts';
import { docker, dockerAvailable, imageExists, testRepos } from './docker.ts';

const fixture = fileURLToPath(new URL('../../fixtures/build/app', import.meta.url));
const available = await dockerAvailable();

describe('kloop build (CLI)', { skip: available.ok ? false : available.skip }, () => {
  const repos = testRepos();
  const tmp = tempDir('kloop-build-cli-');
  after(() => {
    repos.cleanup();
    tmp.cleanup();
  });
  let n = 0;

  function project(images: string): string {
    const root = join(tmp.dir, `p${n++}`);
    cpSync(fixture, root, { recursive: true });
    writeFileSync(join(root, 'kloop.yaml'), `version: v1\nname: buildtest\nimages:\n${images}`);
    writeFileSync(
      join(root, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        'users: [{name: u, user: {}}]',
        'contexts: [{name: kloop-sandbox, context: {cluster: c, user: u}}, {name: remote, context: {cluster: c, user: u}}]',
        'current-context: kloop-sandbox',
        '',
      ].join('\n'),
    );
    return root;
  }

  function kloop(cwd: string, ...args: string[]) {
    return runCliSync(args, { cwd, env: { ...process.env, CI: 'true', KUBECONFIG: join(cwd, 'kubeconfig') } });
  }

  const image = (name: string, repo: string, args = '') =>
    `  ${name}:\n    image: ${repo}\n    context: .\n    buildArgs: { TEST_LABEL: ${repos.prefix}${args} }\n`;

  test('-o json prints exactly {images: {name: {ref, tag, skipped}}} on stdout; the sandbox needs no load', () => {
    const root = project(
      image('web', `${repos.prefix}/web`) + image('worker', `${repos.prefix}/worker`, ', GREETING: bye'),
    );
    const first = kloop(root, 'build', '-o', 'json');
    assert.equal(first.code, 0, first.stderr);
    const out = JSON.parse(first.stdout) as { images: Record<string, { ref: string; tag: string; skipped: boolean }> };
    assert.deepEqual(Object.keys(out), ['images']);
    assert.deepEqual(Object.keys(out.images).sort(), ['web', 'worker']);
    for (const [name, img] of Object.entries(out.images)) {
      assert.deepEqual(Object.keys(img).sort(), ['ref', 'skipped', 'tag']);
      assert.equal(img.ref, `${repos.prefix}/${name}:${img.tag}`);
      assert.equal(img.skipped, false);
      assert.ok(imageExists(img.ref));
    }
    assert.equal(docker(['run', '--rm', out.images.worker!.ref]).trim(), 'app says bye from v1');
    assert.match(first.stderr, /web │ Step 1\/\d+ : FROM busybox:1\.36/, 'build output is prefixed by image name');
    assert.doesNotMatch(first.stderr, /push|loading into/);

    const again = kloop(root, 'build', 'web', '-o', 'json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), {
      images: { web: { ref: out.images.web!.ref, tag: out.images.web!.tag, skipped: true } },
    });
    const text = kloop(root, 'build', 'web');
    assert.equal(text.stdout, '');
    assert.match(text.stderr, /web: .* is up to date \(skipped\)/);
  });

  test('a cluster that does not share the engine gets a push; an unreachable registry is one clear error before building, exit 1', () => {
    const root = project(image('web', `localhost:1/${repos.prefix}/web`));
    const r = kloop(root, 'build', '--kube-context', 'remote');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: registry localhost:1 is not reachable: /);
    assert.match(r.stderr, /--no-load builds without pushing/);
    assert.doesNotMatch(r.stderr, /web: building/);
    // --no-load builds and leaves the image in the local engine
    const noLoad = kloop(root, 'build', '--kube-context', 'remote', '--no-load', '-o', 'json');
    assert.equal(noLoad.code, 0, noLoad.stderr);
    assert.equal((JSON.parse(noLoad.stdout) as { images: { web: { skipped: boolean } } }).images.web.skipped, false);
  });

  test('a failed build exits 1 naming the Dockerfile, the step and the builder error; unknown images exit 1', () => {
    const root = project(image('web', `${repos.prefix}/broken`));
    writeFileSync(join(root, 'Dockerfile'), 'FROM busybox:1.36\nRUN echo compile error >&2; exit 2\n');
    const r = kloop(root, 'build', '-o', 'json');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /image "web" failed to build at step 2\/2: RUN echo compile error/);
    assert.match(r.stderr, /Dockerfile/);
    assert.match(r.stderr, /compile error/);
    const unknown = kloop(root, 'build', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no image "nope".*\n?.*images: web/);
    const usage = kloop(root, 'build', '--parallel', '0');
    assert.equal(usage.code, 2);
  });
});
