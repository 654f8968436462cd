import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cacheDir, writeCache } from '../../../src/render/cache.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('render cache', () => {
  it('parallel writes past the size limit all succeed and leave the newest 400', async () => {
    const state = mkdtempSync(path.join(tmpdir(), 'kloop-cache-'));
    dirs.push(state);
    mkdirSync(cacheDir(state), { recursive: true });
    for (let i = 0; i < 420; i++) writeFileSync(path.join(cacheDir(state), `old${i}.json`), '{"objects":[]}');
    const results = await Promise.allSettled(
      // staggered, so one prune lists the folder while another is deleting from it
      Array.from({ length: 40 }, (_, i) =>
        new Promise((r) => setTimeout(r, i % 10)).then(() => writeCache(state, `new${i}`, { objects: [] })),
      ),
    );
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
      [],
    );
    const left = readdirSync(cacheDir(state)).filter((n) => n.endsWith('.json'));
    assert.equal(left.length, 400, 'pruned to the newest 400');
    assert.ok(left.filter((n) => n.startsWith('new')).length >= 30, 'the newest entries are kept');
  });
});
