import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseListingLine } from '../../../src/dev/sync/agent.ts';
import { createFilter, type LocalEntry } from '../../../src/dev/sync/local-tree.ts';
import { checkRemoteRoot, normalizeRelative, shQuote, symlinkStaysInside } from '../../../src/dev/sync/paths.ts';
import { type ModelEntry, planBatch } from '../../../src/dev/sync/plan.ts';

const file = (path: string, stamp = 's1', extra: Partial<LocalEntry> = {}): LocalEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  size: 3,
  mtimeMs: 1_700_000_000_500,
  stamp,
  ...extra,
});
const dir = (path: string, mode = 0o755): LocalEntry => ({ path, type: 'dir', mode, size: 0, mtimeMs: 0, stamp: 'd' });
const listed = (extra: Partial<ModelEntry> = {}): ModelEntry => ({
  type: 'file',
  mode: 0o644,
  size: 3,
  mtime: 1_700_000_000,
  ...extra,
});

test('initial plan: equal listing entries stay, different ones upload, extra ones go', () => {
  const model = new Map<string, ModelEntry>([
    ['same.txt', listed()],
    ['bigger.txt', listed({ size: 4 })],
    ['mode.txt', listed({ mode: 0o600 })],
    ['old', listed({ type: 'dir', mode: 0o755, size: 0 })],
    ['old/inner', listed()],
  ]);
  const plan = planBatch([''], [file('same.txt'), file('bigger.txt'), file('mode.txt'), file('new.txt')], model);
  assert.deepEqual(
    plan.uploads.map((u) => u.path),
    ['bigger.txt', 'new.txt'],
  );
  assert.deepEqual(
    plan.chmods.map((c) => c.path),
    ['mode.txt'],
  );
  assert.deepEqual(plan.deletes, ['old'], 'children of a deleted directory are not listed again');
  assert.deepEqual(
    plan.unchanged.map((u) => u.path),
    ['same.txt'],
  );
});

test('a changed stamp uploads even when size and second are equal', () => {
  const model = new Map([['a', { ...listed(), stamp: 's1', mtimeMs: 1_700_000_000_500 }]]);
  const plan = planBatch(['a'], [file('a', 's2', { mtimeMs: 1_700_000_000_900 })], model);
  assert.deepEqual(
    plan.uploads.map((u) => u.path),
    ['a'],
  );
  assert.equal(planBatch(['a'], [file('a', 's1')], model).uploads.length, 0);
});

test('a type change deletes before it uploads; deletes stay within the scopes', () => {
  const model = new Map<string, ModelEntry>([
    ['x', listed()],
    ['other', listed()],
  ]);
  const plan = planBatch(['x'], [dir('x'), file('x/in')], model);
  assert.deepEqual(plan.deletes, ['x']);
  assert.deepEqual(
    plan.uploads.map((u) => u.path),
    ['x', 'x/in'],
  );
});

test('symlinks leaving the folder are rejected and their old copy removed', () => {
  const link = (path: string, target: string): LocalEntry => ({ ...file(path), type: 'symlink', target });
  const model = new Map([['l', listed({ type: 'symlink' })]]);
  const plan = planBatch([''], [link('l', '../../etc'), link('ok', 'sub/f')], model);
  assert.deepEqual(plan.deletes, ['l']);
  assert.deepEqual(
    plan.uploads.map((u) => u.path),
    ['ok'],
  );
  assert.match(plan.rejected[0]!.reason, /points outside/);
});

test('paths: normalisation, escapes, quoting and the remote root', () => {
  assert.equal(normalizeRelative('./a/b'), 'a/b');
  assert.equal(normalizeRelative('a/../../b'), null);
  assert.equal(normalizeRelative('/abs'), null);
  assert.equal(normalizeRelative('a\nb'), null);
  assert.equal(normalizeRelative('..'), null);
  assert.equal(symlinkStaysInside('a/b', '../c'), true);
  assert.equal(symlinkStaysInside('a/b', '../../c'), false);
  assert.equal(symlinkStaysInside('a', '/etc/passwd'), false);
  assert.equal(shQuote("it's"), `'it'\\''s'`);
  assert.match(checkRemoteRoot('/') ?? '', /whole container/);
  assert.equal(checkRemoteRoot('/app/'), null);
});

test('listing lines from busybox stat', () => {
  assert.deepEqual(parseListingLine('81a4 12 1795686746 ./dir/a b.txt'), {
    path: 'dir/a b.txt',
    type: 'file',
    mode: 0o644,
    size: 12,
    mtime: 1795686746,
  });
  assert.equal(parseListingLine('41ed 4096 1 ./d')?.type, 'dir');
  assert.equal(parseListingLine('a1ff 5 1 ./l')?.type, 'symlink');
  assert.equal(parseListingLine('garbage'), null);
});

test('filter: gitignore excludes and rebuild globs', () => {
  const f = createFilter(['*.tmp', 'node_modules/', '/top.txt', '!keep.tmp'], ['package.json', 'docker/**']);
  assert.equal(f.excluded('a/b.tmp', false), true);
  assert.equal(f.excluded('keep.tmp', false), false);
  assert.equal(f.excluded('node_modules', true), true);
  assert.equal(f.excluded('node_modules', false), false, 'the trailing slash matches directories only');
  assert.equal(f.excluded('top.txt', false), true);
  assert.equal(f.excluded('sub/top.txt', false), false);
  assert.equal(f.rebuild('package.json'), true);
  assert.equal(f.rebuild('sub/package.json'), true, 'a glob without a slash matches in every directory');
  assert.equal(f.rebuild('docker/x/Dockerfile'), true);
  assert.equal(f.excluded('package.json', false), true, 'rebuild files are not synced');
});
