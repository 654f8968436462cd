import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { addHostsBlock, hostsBlock, removeStaleBlocks, withoutBlocks } from '../../../src/hybrid/hosts-file.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'kloop-hosts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a block is added at the end and removed exactly, leaving the rest as it was', () => {
  const file = path.join(dir, 'hosts');
  const original = '127.0.0.1 localhost\n::1 localhost ip6-localhost\n';
  writeFileSync(file, original);
  const remove = addHostsBlock(file, [{ address: '127.0.0.2', names: ['back', 'back.default'] }]);
  const during = readFileSync(file, 'utf8');
  assert.ok(during.startsWith(original));
  assert.match(
    during,
    new RegExp(
      `# >>> kloop connect pid=${process.pid} .*\\n127\\.0\\.0\\.2\\tback back\\.default\\n# <<< kloop connect pid=${process.pid}\\n$`,
    ),
  );
  remove();
  remove();
  assert.equal(readFileSync(file, 'utf8'), original);
});

test('blocks of processes that are gone are removed; blocks of running ones stay', () => {
  const file = path.join(dir, 'stale');
  const live = hostsBlock(process.pid, [{ address: '127.0.0.5', names: ['live'] }]);
  const dead = hostsBlock(999_999, [{ address: '127.0.0.6', names: ['dead'] }]);
  writeFileSync(file, `127.0.0.1 localhost\n${dead}${live}`);
  assert.deepEqual(removeStaleBlocks(file), [999_999]);
  assert.equal(readFileSync(file, 'utf8'), `127.0.0.1 localhost\n${live}`);
  assert.deepEqual(removeStaleBlocks(file), []);
});

test('withoutBlocks keeps lines that merely look similar', () => {
  const text = '# kloop connect is great\n10.0.0.1 db\n';
  assert.deepEqual(
    withoutBlocks(text, () => true),
    { text, removed: [] },
  );
});
