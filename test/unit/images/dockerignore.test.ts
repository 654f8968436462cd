import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DockerIgnore, parseDockerignore } from '../../../src/images/dockerignore.ts';

const ig = (text: string) => new DockerIgnore(parseDockerignore(text));

test('reading: comments, trimming, exceptions, path cleaning and leading slash', () => {
  assert.deepEqual(parseDockerignore('# comment\n\n  a  \n!b\n! c\n/d/\n./e/f/\n a/../g\n #x\n/\n'), [
    'a',
    '!b',
    '!c',
    'd',
    'e/f',
    'g',
    '#x',
    '/',
  ]);
  assert.deepEqual(parseDockerignore('\uFEFFx\r\ny\r\n'), ['x', 'y']);
});

test('"*" and "?" stay within one path segment', () => {
  const m = ig('*.md\ntemp?\n');
  assert.equal(m.excludes('README.md'), true);
  assert.equal(m.excludes('docs/a.md'), false);
  assert.equal(m.excludes('tempa'), true);
  assert.equal(m.excludes('tempab'), false);
  assert.equal(m.excludes('temp/a'), false);
});

test('"**" spans any number of directories, including none', () => {
  const m = ig('**/*.md\n');
  assert.equal(m.excludes('README.md'), true);
  assert.equal(m.excludes('a/b/c.md'), true);
  assert.equal(m.excludes('a/b/c.txt'), false);
  const under = ig('a/**\n');
  assert.equal(under.excludes('a/b'), true);
  assert.equal(under.excludes('a'), false);
  assert.equal(under.excludes('ab'), false);
  const mid = ig('a/**/z\n');
  assert.equal(mid.excludes('a/z'), true);
  assert.equal(mid.excludes('a/b/c/z'), true);
  assert.equal(mid.excludes('b/z'), false);
  const suffix = ig('**/b\n');
  assert.equal(suffix.excludes('b'), true);
  assert.equal(suffix.excludes('x/y/b'), true);
  assert.equal(suffix.excludes('xb'), false);
  assert.equal(ig('**\n').excludes('any/thing'), true);
});

test('a matching parent directory excludes everything under it', () => {
  const m = ig('node_modules\nbuild/out\n');
  assert.equal(m.excludes('node_modules'), true);
  assert.equal(m.excludes('node_modules/x/y.js'), true);
  assert.equal(m.excludes('build/out/a'), true);
  assert.equal(m.excludes('build/other'), false);
  assert.equal(m.excludes('src/node_modules/x'), false);
});

test('the last matching pattern wins; "!" re-includes', () => {
  const m = ig('*.md\n!README*.md\nREADME-secret.md\n');
  assert.equal(m.excludes('CHANGES.md'), true);
  assert.equal(m.excludes('README.md'), false);
  assert.equal(m.excludes('README-secret.md'), true);
  const dir = ig('dir\n!dir/keep\n');
  assert.equal(dir.excludes('dir/keep'), false);
  assert.equal(dir.excludes('dir/other'), true);
  assert.equal(dir.excludes('dir/keep/below'), false);
  const all = ig('**\n!Dockerfile\n!src/**\n');
  assert.equal(all.excludes('Dockerfile'), false);
  assert.equal(all.excludes('src/a/b.ts'), false);
  assert.equal(all.excludes('test/a.ts'), true);
});

test('character classes, escapes and regexp characters are literal where Go treats them so', () => {
  const m = ig('[a-c].txt\nfoo.bar\n\\*.lit\nx+y\n(p)\n');
  assert.equal(m.excludes('b.txt'), true);
  assert.equal(m.excludes('d.txt'), false);
  assert.equal(m.excludes('foo.bar'), true);
  assert.equal(m.excludes('fooxbar'), false);
  assert.equal(m.excludes('*.lit'), true);
  assert.equal(m.excludes('a.lit'), false);
  assert.equal(m.excludes('x+y'), true);
  assert.equal(m.excludes('xxy'), false);
  assert.equal(m.excludes('(p)'), true);
  assert.equal(ig('[^a].txt\n').excludes('b.txt'), true);
  assert.equal(ig('[^a].txt\n').excludes('a.txt'), false);
});

test('an excluded directory is walked only when an exception could reach below it', () => {
  const classic = (text: string) => new DockerIgnore(parseDockerignore(text), undefined, 'classic');
  const buildkit = (text: string) => new DockerIgnore(parseDockerignore(text), undefined, 'buildkit');
  for (const m of [classic, buildkit]) {
    assert.equal(m('dir\n').mayIncludeBelow('dir'), false);
    assert.equal(m('dir\n!dir/keep\n').mayIncludeBelow('dir'), true);
    assert.equal(m('dir\n!dir/kee?\n').mayIncludeBelow('dir'), true);
    assert.equal(m('dir\n!other/keep\n').mayIncludeBelow('dir'), false);
  }
  // Docker's classic sender compares the exception's text with the directory path; BuildKit's
  // walks into excluded directories whenever an exception has a wildcard
  assert.equal(classic('dir\n!*/keep\n').mayIncludeBelow('dir'), false);
  assert.equal(classic('dir\n!**/keep\n').mayIncludeBelow('dir'), false);
  assert.equal(buildkit('dir\n!*/keep\n').mayIncludeBelow('dir'), true);
  assert.equal(buildkit('dir\n!**/keep\n').mayIncludeBelow('dir'), true);
});

test('a path starts from the results of its parent directory, as the Docker walk does', () => {
  // "!vendor" is evaluated for vendor/a (excluded by then) against vendor/a itself, not its parent
  const m = ig('vendor/a\n!vendor\n');
  assert.equal(m.excludes('vendor'), false);
  assert.equal(m.excludes('vendor/a'), true);
  assert.equal(m.excludes('vendor/a/x.go'), true);
  assert.equal(m.excludes('vendor/b.go'), false);
  const top = m.match('vendor');
  assert.deepEqual(m.match('vendor/a', top.matches), { excluded: true, matches: [true, false] });
});

test('a lone "!" is an error', () => {
  assert.throws(() => ig('!\n'), /illegal exclusion pattern/);
});
