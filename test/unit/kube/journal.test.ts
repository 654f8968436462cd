// The journal's bookkeeping without a cluster: records are whole files written before the change,
// the same kind + key replaces its record, owners are told apart by pid and host, JSON pointers
// are escaped as RFC 6901 says.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { KubeClient } from '../../../src/kube/client.ts';
import { forget, orphaned, pointer, record, records, self } from '../../../src/kube/journal.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'kloop-journal-'));
const ctx = { client: { server: 'https://127.0.0.1:6443' } as KubeClient, stateDir: dir };
const plan = { patches: [{ path: '/api/v1/namespaces/a/services/b', ops: [{ op: 'remove' as const, path: '/x' }] }] };

describe('journal records', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('one file per record, replaced by kind + key, no temporary files left', async () => {
    await record(ctx, { kind: 'dev-patch', key: 'a/deployment/web', app: 'web', describe: 'web', undo: plan });
    await record(ctx, { kind: 'dev-patch', key: 'a/deployment/web', app: 'web', describe: 'web again', undo: plan });
    await record(ctx, { kind: 'intercept', key: 'a/b', app: 'api', describe: 'b', undo: plan });
    const all = await records(dir);
    assert.deepEqual(
      all.map((r) => [r.kind, r.key, r.describe, r.until, r.cluster]),
      [
        ['dev-patch', 'a/deployment/web', 'web again', 'session', 'https://127.0.0.1:6443'],
        ['intercept', 'a/b', 'b', 'session', 'https://127.0.0.1:6443'],
      ],
    );
    assert.deepEqual(all[0]!.owner, self());
    assert.deepEqual(
      readdirSync(path.join(dir, 'journal')).filter((f) => !f.endsWith('.json')),
      [],
    );
    await forget(dir, all[1]!);
    assert.deepEqual(
      (await records(dir)).map((r) => r.kind),
      ['dev-patch'],
    );
  });

  test('orphans: a dead process on this host; never this process, never another host', async () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const dead = Number(child.stdout.toString());
    const gone = await record(ctx, {
      kind: 'k',
      key: 'dead',
      describe: 'd',
      undo: {},
      owner: { pid: dead, host: hostname() },
    });
    const elsewhere = await record(ctx, {
      kind: 'k',
      key: 'far',
      describe: 'f',
      undo: {},
      owner: { pid: dead, host: 'not-this-host' },
    });
    const mine = await record(ctx, { kind: 'k', key: 'mine', describe: 'm', undo: {} });
    assert.equal(orphaned(gone, dir), true);
    assert.equal(orphaned(elsewhere, dir), false);
    assert.equal(orphaned(mine, dir), false);
    // a record naming this pid that this process did not write: a crashed predecessor with the same pid
    const reused = { ...mine, key: 'reused' };
    assert.equal(orphaned(reused, dir), true);
  });

  test('JSON pointer tokens escape ~ and /', () => {
    assert.equal(pointer('kloop.dev/dev-original'), 'kloop.dev~1dev-original');
    assert.equal(pointer('a~b/c'), 'a~0b~1c');
  });
});
