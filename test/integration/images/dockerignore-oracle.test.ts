// The files kloop hashes must be exactly the files Docker puts in the build context. The oracle is
// Docker itself: build `COPY . /ctx` over a tree with a tricky .dockerignore and list what arrived.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { computeTag } from '../../../src/images/tag.ts';
import { walkContext } from '../../../src/images/context.ts';
import { ignoreFileFor, loadDockerignore } from '../../../src/images/dockerignore.ts';
import { makeProject, tempDir } from '../../unit/images/project.ts';
import { docker, dockerAvailable, testRepos } from './docker.ts';

const available = await dockerAvailable();

const dockerignore = [
  '# a comment, then patterns in every form Docker accepts',
  '*.md',
  '!docs/**/*.md',
  'docs/deep/secret.md',
  'node_modules',
  '/keep/*',
  '!keep/me.txt',
  'dir',
  '!dir/sub/keep.go',
  '\\*.lit',
  'temp?',
  '**/*.log',
  '!src/keep.log',
  './build/',
  '  .hidden  ',
  'a[0-9].txt',
  'sp ace/**',
  '!sp ace/kept',
  'vendor/a',
  '!vendor',
  'hid',
  '!*/keep',
  'lib/*/gen',
  '!lib/keep/gen/important.go',
  'Dockerfile',
  '.dockerignore',
].join('\n');

const files = [
  'a.txt',
  'a1.txt',
  'ab.txt',
  'b.md',
  'docs/c.md',
  'docs/deep/d.md',
  'docs/deep/secret.md',
  'docs/x.txt',
  'node_modules/x/y.js',
  'src/node_modules/z.js',
  'keep/me.txt',
  'keep/not.txt',
  'keep/sub/n.txt',
  'dir/sub/keep.go',
  'dir/sub/drop.go',
  'dir/top.go',
  '*.lit',
  'x.lit',
  'temp1',
  'temp12',
  'src/a.log',
  'src/keep.log',
  'src/deep/b.log',
  'top.log',
  '.hidden',
  'build/out/z',
  'builder/y',
  'sp ace/kept',
  'sp ace/dropped',
  'vendor/a/x.go',
  'vendor/b.go',
  'lib/one/gen/g.go',
  'lib/keep/gen/important.go',
  'lib/keep/gen/other.go',
  'lib/main.go',
  'hid/keep',
  'hid/other',
];

describe('.dockerignore: kloop hashes exactly what Docker sends', {
  skip: available.ok ? false : available.skip,
}, () => {
  const repos = testRepos();
  const tmp = tempDir('kloop-oracle-');
  after(() => {
    repos.cleanup();
    tmp.cleanup();
  });

  test('the walked file list equals the files a classic docker build receives', () => {
    const root = tmp.dir;
    for (const f of files) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), f);
    }
    mkdirSync(join(root, 'emptydir'));
    mkdirSync(join(root, 'keep/emptysub'), { recursive: true });
    symlinkSync('a.txt', join(root, 'link-to-a'));
    writeFileSync(join(root, '.dockerignore'), `${dockerignore}\n`);
    writeFileSync(join(root, 'Dockerfile'), `FROM busybox:1.36\nLABEL kloop-test=${repos.prefix}\nCOPY . /ctx\n`);

    const ref = `${repos.prefix}/oracle:latest`;
    execFileSync('docker', ['build', '-q', '-t', ref, root], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      stdio: 'ignore',
    });
    const list = (type: string) =>
      docker(['run', '--rm', ref, 'find', '/ctx', '-mindepth', '1', '-type', type])
        .split('\n')
        .filter(Boolean)
        .map((p) => p.slice('/ctx/'.length))
        .sort();
    const dockerFiles = [...list('f'), ...list('l')].sort();
    const dockerDirs = list('d');

    const dockerfile = join(root, 'Dockerfile');
    const { entries } = walkContext(root, {
      ignore: loadDockerignore(ignoreFileFor(root, dockerfile, 'classic'), 'classic', ['.dockerignore', 'Dockerfile']),
      alwaysInclude: ['.dockerignore', 'Dockerfile'],
    });
    const ours = entries
      .filter((e) => e.type !== 'dir')
      .map((e) => e.path)
      .sort();
    const ourDirs = new Set(entries.filter((e) => e.type === 'dir').map((e) => e.path));
    // a re-included file brings its (otherwise excluded) parent directories with it
    for (const e of entries) {
      const parts = e.path.split('/');
      for (let i = 1; i < parts.length; i++) ourDirs.add(parts.slice(0, i).join('/'));
    }
    // COPY never copies the Dockerfile and .dockerignore when .dockerignore names them, though both are sent
    assert.deepEqual(
      ours.filter((p) => p !== 'Dockerfile' && p !== '.dockerignore'),
      dockerFiles,
    );
    assert.deepEqual([...ourDirs].sort(), dockerDirs);
    // and computeTag sees the same: one entry per file, directory and link
    const tag = computeTag(makeProject(root, { o: { image: `${repos.prefix}/o` } }), 'o');
    assert.equal(tag.stats.entries, entries.length);
  });
});
