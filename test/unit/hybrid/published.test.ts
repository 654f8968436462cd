import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { hybridPublisher, readHybrids } from '../../../src/hybrid/published.ts';
import { hybridRows } from '../../../src/ui/page/render.ts';

test('a published connect/intercept state is read back; a dead process is dropped; clear removes it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-hybrid-'));
  try {
    const p = hybridPublisher(dir, 'intercept');
    p.publish({ phase: 'intercepting', service: 'back', port: 8080, local: 9000, header: 'x-dev: me' });
    // a file left by a process that no longer runs (kill -9)
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const stale = path.join(dir, 'hybrid', `connect-${dead.stdout}.json`);
    mkdirSync(path.dirname(stale), { recursive: true });
    writeFileSync(stale, JSON.stringify({ kind: 'connect', pid: Number(dead.stdout), state: {}, updatedAt: '' }));

    const read = readHybrids(dir);
    assert.deepEqual(Object.keys(read), [`intercept-${process.pid}`]);
    assert.equal(read[`intercept-${process.pid}`]!.kind, 'intercept');
    assert.equal(existsSync(stale), false, 'the dead process file is removed');
    const html = hybridRows(read);
    assert.match(html, /intercept back:8080 → 127\.0\.0\.1:9000 \(requests with x-dev: me\)/);
    assert.match(html, /intercepting/);

    p.clear();
    assert.deepEqual(readHybrids(dir), {});
    assert.equal(hybridRows({}), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
