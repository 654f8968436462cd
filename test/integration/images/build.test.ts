// kloop build against the real Docker Engine: runnable images, skips, new tags, parallelism,
// clean failures. Every image is created under a unique repository and removed at the end.
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildImages } from '../../../src/images/build.ts';
import { KloopError } from '../../../src/errors.ts';
import { makeProject, tempDir } from '../../unit/images/project.ts';
import { docker, dockerAvailable, imageExists, testRepos } from './docker.ts';

const fixture = fileURLToPath(new URL('../../fixtures/build/app', import.meta.url));
const available = await dockerAvailable();

describe('kloop build with Docker Engine', { skip: available.ok ? false : available.skip }, () => {
  const repos = testRepos();
  const tmp = tempDir('kloop-build-');
  let n = 0;
  after(() => {
    repos.cleanup();
    tmp.cleanup();
  });

  /** A copy of the fixture app and a project with one image per name. */
  function setup(names = ['app'], extra: Record<string, unknown> = {}) {
    const root = join(tmp.dir, `p${n++}`);
    cpSync(fixture, root, { recursive: true });
    const images = Object.fromEntries(
      names.map((name) => [
        name,
        { image: `${repos.prefix}/${name}`, buildArgs: { TEST_LABEL: repos.prefix }, ...extra },
      ]),
    );
    return {
      root,
      project: (over = {}) =>
        makeProject(root, Object.fromEntries(Object.entries(images).map(([k, v]) => [k, { ...v, ...over }]))),
    };
  }

  /** Runs buildImages and records every builder output line. */
  async function build(project: ReturnType<typeof makeProject>, names: string[] = [], opts = {}) {
    const lines: Array<[string, string]> = [];
    const result = await buildImages(project, names, { onOutput: (image, line) => lines.push([image, line]), ...opts });
    return { result, lines };
  }

  test('a build produces a runnable image containing the app, tagged by its inputs', async () => {
    const { project } = setup();
    const { result, lines } = await build(project());
    const app = result.app!;
    assert.equal(app.skipped, false);
    assert.match(app.tag, /^[0-9a-f]{16}$/);
    assert.equal(app.ref, `${repos.prefix}/app:${app.tag}`);
    assert.ok(lines.length > 0, 'the builder output is streamed');
    assert.equal(docker(['run', '--rm', app.ref]).trim(), 'app says hello from v1');
    // .dockerignore is honoured by the build itself too
    assert.equal(
      docker(['run', '--rm', app.ref, 'ls', '/app']).split('\n').filter(Boolean).sort().join(','),
      'greeting,main.sh,version.txt',
    );
  });

  test('a rebuild with nothing changed, or only ignored files changed, skips without the builder', async () => {
    const { root, project } = setup();
    const first = (await build(project())).result.app!;
    const again = await build(project());
    assert.equal(again.result.app!.skipped, true);
    assert.equal(again.result.app!.ref, first.ref);
    assert.deepEqual(again.lines, [], 'the builder was not run');
    writeFileSync(join(root, 'ignored/notes.txt'), 'changed');
    writeFileSync(join(root, 'src/debug.log'), 'new log');
    const ignored = await build(project());
    assert.equal(ignored.result.app!.skipped, true);
    assert.equal(ignored.result.app!.tag, first.tag);
    const forced = await build(project(), [], { force: true });
    assert.equal(forced.result.app!.skipped, false);
    assert.ok(forced.lines.length > 0);
  });

  test('a change to the Dockerfile, a build arg or a context file produces a new tag and image', async () => {
    const { root, project } = setup();
    const tags = new Set<string>();
    const first = (await build(project())).result.app!;
    tags.add(first.tag);

    const arg = (await build(project({ buildArgs: { TEST_LABEL: repos.prefix, GREETING: 'hi' } }))).result.app!;
    assert.equal(arg.skipped, false);
    assert.ok(!tags.has(arg.tag));
    tags.add(arg.tag);
    assert.equal(docker(['run', '--rm', arg.ref]).trim(), 'app says hi from v1');

    writeFileSync(join(root, 'src/version.txt'), 'v2\n');
    const file = (await build(project())).result.app!;
    assert.ok(!tags.has(file.tag));
    tags.add(file.tag);
    assert.equal(docker(['run', '--rm', file.ref]).trim(), 'app says hello from v2');

    writeFileSync(
      join(root, 'Dockerfile'),
      `FROM busybox:1.36\nARG TEST_LABEL\nLABEL kloop-test=$TEST_LABEL\nCOPY src/ /app/\nRUN echo howdy > /app/greeting\nCMD ["sh", "/app/main.sh"]\n`,
    );
    const df = (await build(project())).result.app!;
    assert.ok(!tags.has(df.tag));
    assert.equal(docker(['run', '--rm', df.ref]).trim(), 'app says howdy from v2');
    // earlier images keep their tags: each tag names one set of inputs
    assert.ok(imageExists(first.ref) && imageExists(arg.ref) && imageExists(file.ref));
  });

  test('target picks the stage of a multi-stage Dockerfile, and is part of the tag', async () => {
    const { root, project } = setup();
    writeFileSync(
      join(root, 'Dockerfile'),
      'FROM busybox:1.36 AS base\nARG TEST_LABEL\nLABEL kloop-test=$TEST_LABEL\nCMD ["echo", "base stage"]\n' +
        'FROM base AS dev\nCMD ["echo", "dev stage"]\nFROM base AS prod\nCMD ["echo", "prod stage"]\n',
    );
    const dev = (await build(project({ target: 'dev' }))).result.app!;
    const prod = (await build(project({ target: 'prod' }))).result.app!;
    assert.notEqual(dev.tag, prod.tag);
    assert.equal(docker(['run', '--rm', dev.ref]).trim(), 'dev stage');
    assert.equal(docker(['run', '--rm', prod.ref]).trim(), 'prod stage');
  });

  test('images build in parallel up to the bound', async () => {
    const { root, project } = setup(['one', 'two']);
    // a step that takes a while and misses the layer cache (unique per run)
    writeFileSync(
      join(root, 'Dockerfile'),
      `FROM busybox:1.36\nARG TEST_LABEL\nLABEL kloop-test=$TEST_LABEL\nRUN sleep 2 && echo ${repos.prefix}-${n} > /stamp\n`,
    );
    const overlapping = (lines: Array<[string, string]>) => {
      const first = (img: string) => lines.findIndex(([i]) => i === img);
      const last = (img: string) => lines.findLastIndex(([i]) => i === img);
      return first('two') < last('one') && first('one') < last('two');
    };
    const parallel = await build(project(), [], { parallel: 2 });
    assert.equal(parallel.result.one!.skipped, false);
    assert.equal(parallel.result.two!.skipped, false);
    assert.ok(overlapping(parallel.lines), 'with parallel 2 both builds run at once');

    writeFileSync(join(root, 'src/version.txt'), 'serial\n');
    writeFileSync(
      join(root, 'Dockerfile'),
      `FROM busybox:1.36\nARG TEST_LABEL\nLABEL kloop-test=$TEST_LABEL\nRUN sleep 1 && echo ${repos.prefix}-serial > /stamp\n`,
    );
    const serial = await build(project(), [], { parallel: 1 });
    assert.equal(serial.result.one!.skipped, false);
    assert.ok(!overlapping(serial.lines), 'with parallel 1 one build finishes before the other starts');
  });

  test('a broken Dockerfile fails cleanly: builder error and failing step, no tag left', async () => {
    const { root, project } = setup();
    writeFileSync(
      join(root, 'Dockerfile'),
      `FROM busybox:1.36\nARG TEST_LABEL\nLABEL kloop-test=$TEST_LABEL\nRUN echo boom-${repos.prefix} >&2 && exit 3\n`,
    );
    const p = project();
    const ref = `${repos.prefix}/app:${(await import('../../../src/images/tag.ts')).computeTag(p, 'app').tag}`;
    await assert.rejects(build(p), (e: unknown) => {
      assert.ok(e instanceof KloopError);
      assert.match(e.message, /image "app" failed to build at step 4\/4: RUN echo boom/);
      assert.ok(
        e.details.some((d) => d.includes(`boom-${repos.prefix}`)),
        'the builder error is shown',
      );
      assert.equal(e.location?.file, join(root, 'Dockerfile'));
      return true;
    });
    assert.equal(imageExists(ref), false, 'no image is tagged');

    writeFileSync(join(root, 'Dockerfile'), 'FROM busybox:1.36\nNOPE this\n');
    await assert.rejects(build(project()), (e: unknown) => {
      assert.ok(e instanceof KloopError);
      assert.match(e.message, /image "app" failed to build/);
      assert.ok(e.details.join('\n').match(/unknown instruction/i), e.details.join('\n'));
      assert.equal(e.location?.line, 2);
      return true;
    });
  });

  test('a failure of one image does not stop the other; both are reported', async () => {
    const { root, project } = setup(['good', 'bad']);
    writeFileSync(join(root, 'bad.Dockerfile'), 'FROM busybox:1.36\nRUN exit 1\n');
    const base = project();
    const p = {
      ...base,
      images: { ...base.images, bad: { ...base.images.bad!, dockerfile: join(root, 'bad.Dockerfile') } },
    };
    await assert.rejects(
      buildImages(p, [], { onOutput: () => {} }),
      /image "bad" failed to build at step 2\/2: RUN exit 1/,
    );
    assert.ok(
      imageExists(`${repos.prefix}/good:${(await import('../../../src/images/tag.ts')).computeTag(p, 'good').tag}`),
    );
  });

  test('builder: custom runs the command with IMAGE, TAG and CONTEXT and checks the image exists', async () => {
    const { root, project } = setup(['app'], {
      builder: 'custom',
      custom: { command: 'docker build -q --label kloop-test=$IMAGE_REPO -t "$IMAGE" "$CONTEXT" && echo "tag=$TAG"' },
    });
    const { result, lines } = await build(project());
    const app = result.app!;
    assert.equal(app.skipped, false);
    assert.ok(lines.some(([, l]) => l === `tag=${app.tag}`));
    assert.equal(docker(['run', '--rm', app.ref]).trim(), 'app says hello from v1');
    assert.equal((await build(project())).result.app!.skipped, true);

    writeFileSync(join(root, 'src/version.txt'), 'v3\n');
    await assert.rejects(build(project({ custom: { command: 'echo doing nothing' } })), /did not produce/);
    await assert.rejects(build(project({ custom: { command: 'echo bad >&2; exit 4' } })), (e: unknown) => {
      assert.ok(e instanceof KloopError);
      assert.match(e.message, /custom build command exited with code 4/);
      assert.ok(e.details.includes('bad'));
      return true;
    });
  });

  test('hooks beforeBuild and afterBuild run around the build; a failing hook stops it', async () => {
    const { root, project } = setup();
    const log = join(root, 'hooks.out');
    const hooks = {
      beforeBuild: [`echo "before $KLOOP_IMAGES" >> ${log}`],
      afterBuild: [`echo "after $KLOOP_IMAGE_REFS" >> ${log}`],
    };
    const p = { ...project(), hooks };
    const { result } = await build(p);
    const { readFileSync } = await import('node:fs');
    assert.equal(readFileSync(log, 'utf8'), `before app\nafter ${result.app!.ref}\n`);
    await assert.rejects(
      build({ ...p, hooks: { beforeBuild: ['exit 7'] } }),
      /hook beforeBuild failed: `exit 7` exited with code 7/,
    );
  });
});
