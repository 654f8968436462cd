import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { after, test } from 'node:test';
import { computeTag, imageTag } from '../../../src/images/tag.ts';
import { KloopError } from '../../../src/errors.ts';
import { makeProject, tempDir } from './project.ts';

const tmp = tempDir('kloop-tag-');
after(tmp.cleanup);
let n = 0;

/** A fresh project directory with a Dockerfile, an app file and a .dockerignore. */
function fixture(files: Record<string, string> = {}) {
  const root = join(tmp.dir, `p${n++}`);
  const all: Record<string, string> = {
    Dockerfile: 'FROM busybox:1.36\nCOPY . /app\n',
    'app.sh': 'echo hello\n',
    '.dockerignore': 'ignored/\n*.log\n',
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

test('same inputs give the same tag; the tag is 16 hex characters', async () => {
  const a = fixture();
  const b = fixture();
  const ta = await imageTag(makeProject(a, { web: { image: 'reg/web' } }), 'web');
  const tb = await imageTag(makeProject(b, { web: { image: 'other/web' } }), 'web');
  assert.match(ta, /^[0-9a-f]{16}$/);
  assert.equal(ta, tb);
});

test('a context file, a mode, the Dockerfile, a build arg, target and platform each change the tag', async () => {
  const root = fixture();
  const p = (extra = {}) => makeProject(root, { web: { image: 'reg/web', ...extra } });
  const base = await imageTag(p(), 'web');
  const seen = new Set([base]);
  const expectNew = async (what: string, tag: string) => {
    assert.ok(!seen.has(tag), `${what} should give a new tag`);
    seen.add(tag);
  };
  await expectNew('build arg', await imageTag(p({ buildArgs: { V: '1' } }), 'web'));
  await expectNew('other build arg value', await imageTag(p({ buildArgs: { V: '2' } }), 'web'));
  await expectNew('target', await imageTag(p({ target: 'prod' }), 'web'));
  await expectNew('platform', await imageTag(p({ platform: 'linux/arm64' }), 'web'));
  writeFileSync(join(root, 'app.sh'), 'echo changed\n');
  await expectNew('context file', await imageTag(p(), 'web'));
  chmodSync(join(root, 'app.sh'), 0o755);
  await expectNew('file mode', await imageTag(p(), 'web'));
  writeFileSync(join(root, 'Dockerfile'), 'FROM busybox:1.36\nCOPY . /srv\n');
  await expectNew('Dockerfile', await imageTag(p(), 'web'));
  writeFileSync(join(root, 'new.txt'), '');
  await expectNew('new empty file', await imageTag(p(), 'web'));
  mkdirSync(join(root, 'emptydir'));
  await expectNew('new empty directory', await imageTag(p(), 'web'));
  symlinkSync('app.sh', join(root, 'link'));
  await expectNew('symlink', await imageTag(p(), 'web'));
});

test('changes to files .dockerignore leaves out keep the tag', async () => {
  const root = fixture({ 'ignored/a.txt': 'a', 'debug.log': 'x' });
  const p = makeProject(root, { web: { image: 'reg/web' } });
  const before = await imageTag(p, 'web');
  writeFileSync(join(root, 'ignored/a.txt'), 'changed');
  writeFileSync(join(root, 'ignored/b.txt'), 'new');
  writeFileSync(join(root, 'debug.log'), 'changed');
  writeFileSync(join(root, 'other.log'), 'new');
  assert.equal(await imageTag(p, 'web'), before);
  // but the .dockerignore itself is always sent, so changing it changes the tag
  writeFileSync(join(root, '.dockerignore'), 'ignored/\n*.log\n# more\n');
  assert.notEqual(await imageTag(p, 'web'), before);
});

test('the Dockerfile and .dockerignore are part of the context even when .dockerignore excludes them', async () => {
  const root = fixture({ '.dockerignore': '*\n' });
  const r = computeTag(makeProject(root, { web: { image: 'reg/web' } }), 'web');
  assert.equal(r.stats.entries, 2);
});

test('a Dockerfile outside the context counts by content; build-arg order does not matter', async () => {
  const root = fixture({ 'ctx/app.sh': 'echo x\n', 'docker/web.Dockerfile': 'FROM busybox:1.36\n' });
  const spec = { image: 'reg/web', context: join(root, 'ctx'), dockerfile: join(root, 'docker/web.Dockerfile') };
  const a = await imageTag(makeProject(root, { web: { ...spec, buildArgs: { A: '1', B: '2' } } }), 'web');
  const b = await imageTag(makeProject(root, { web: { ...spec, buildArgs: { B: '2', A: '1' } } }), 'web');
  assert.equal(a, b);
  writeFileSync(join(root, 'docker/web.Dockerfile'), 'FROM busybox:1.36\nRUN true\n');
  assert.notEqual(await imageTag(makeProject(root, { web: { ...spec, buildArgs: { A: '1', B: '2' } } }), 'web'), a);
});

test('an unchanged context is decided from the stat cache without reading files', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 50; i++) files[`src/f${i}.txt`] = `content ${i}\n`;
  const root = fixture(files);
  // backdate everything: files written this very second are never trusted to the cache
  const old = new Date(Date.now() - 60_000);
  for (const f of readdirSync(join(root, 'src'))) utimesSync(join(root, 'src', f), old, old);
  for (const f of ['Dockerfile', 'app.sh', '.dockerignore']) utimesSync(join(root, f), old, old);
  await setTimeout(150); // let the change time (which utimes sets to now) age out of the racy window
  const p = makeProject(root, { web: { image: 'reg/web' } });
  const first = computeTag(p, 'web');
  assert.equal(first.stats.hashed, 53);
  const second = computeTag(p, 'web');
  assert.equal(second.tag, first.tag);
  assert.equal(second.stats.hashed, 0);
  assert.equal(second.stats.cached, 53);
  // a same-size rewrite with the old mtime is still noticed (ctime and inode change)
  writeFileSync(join(root, 'src/f1.txt'), 'content X\n');
  utimesSync(join(root, 'src/f1.txt'), old, old);
  await setTimeout(150);
  const third = computeTag(p, 'web');
  assert.equal(third.stats.hashed, 1);
  assert.notEqual(third.tag, first.tag);
});

test('custom builders hash their inputs globs and command', async () => {
  const root = fixture({ 'src/main.go': 'package main\n', 'README.md': 'x' });
  const custom = (command: string) =>
    makeProject(root, { app: { image: 'reg/app', builder: 'custom', custom: { command, inputs: ['src/**'] } } });
  const a = await imageTag(custom('ko build'), 'app');
  writeFileSync(join(root, 'README.md'), 'changed');
  assert.equal(await imageTag(custom('ko build'), 'app'), a);
  writeFileSync(join(root, 'src/main.go'), 'package main\n// x\n');
  const b = await imageTag(custom('ko build'), 'app');
  assert.notEqual(b, a);
  assert.notEqual(await imageTag(custom('ko build --bare'), 'app'), b);
});

test('unknown images and missing Dockerfiles are clear errors', async () => {
  const root = fixture();
  const p = makeProject(root, { web: { image: 'reg/web', dockerfile: join(root, 'nope/Dockerfile') } });
  await assert.rejects(imageTag(p, 'api'), (e: unknown) => e instanceof KloopError && /no image "api"/.test(e.message));
  await assert.rejects(
    imageTag(p, 'web'),
    (e: unknown) => e instanceof KloopError && /nope\/Dockerfile does not exist/.test(e.message),
  );
  const missing = makeProject(root, {
    web: { image: 'reg/web', context: join(root, 'nodir'), dockerfile: join(root, 'Dockerfile') },
  });
  await assert.rejects(imageTag(missing, 'web'), /build context .*nodir is not a readable directory/);
});
