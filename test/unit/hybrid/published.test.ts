import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { hybridPublisher, type PublishedHybrid, readHybrids, watchHybrids } from '../../../src/hybrid/published.ts';
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

async function eventually(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a watch sees a connect/intercept start, change and end by its file events alone', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-hybrid-watch-'));
  const seen: Array<Record<string, PublishedHybrid>> = [];
  // checks a minute apart: within this test only file events can tell the watch anything
  const w = watchHybrids(dir, (now) => seen.push(now), 60_000);
  try {
    assert.deepEqual(seen, [{}], 'the first read, with nothing running');
    const key = `intercept-${process.pid}`;
    const p = hybridPublisher(dir, 'intercept');
    p.publish({ phase: 'starting' });
    await eventually(
      'the start is seen',
      () => (seen.at(-1)?.[key]?.state as { phase?: string })?.phase === 'starting',
    );
    p.publish({ phase: 'starting' });
    p.publish({ phase: 'intercepting' });
    await eventually(
      'the change is seen',
      () => (seen.at(-1)?.[key]?.state as { phase?: string })?.phase === 'intercepting',
    );
    const reads = seen.length;
    p.clear();
    await eventually('the end is seen', () => seen.at(-1)?.[key] === undefined);
    assert.equal(seen.length, reads + 1, 'one call per change; a write of the same state again is no change');
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a watch drops a connect/intercept killed with -9 (no file event) at its next check', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-hybrid-kill-'));
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const seen: Array<Record<string, PublishedHybrid>> = [];
  const w = watchHybrids(dir, (now) => seen.push(now), 100);
  try {
    const key = `connect-${child.pid}`;
    writeFileSync(
      path.join(dir, 'hybrid', `${key}.json`),
      JSON.stringify({ kind: 'connect', pid: child.pid, state: { phase: 'connected' }, updatedAt: '' }),
    );
    await eventually('the connect is seen', () => Boolean(seen.at(-1)?.[key]));
    child.kill('SIGKILL');
    await eventually('the killed connect is dropped', () => seen.at(-1)?.[key] === undefined);
    assert.equal(existsSync(path.join(dir, 'hybrid', `${key}.json`)), false, 'its file is removed');
  } finally {
    w.close();
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
