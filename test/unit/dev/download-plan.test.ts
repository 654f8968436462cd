import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RemoteEntry } from '../../../src/dev/sync/agent.ts';
import { downloadCandidates, planDownload } from '../../../src/dev/sync/download.ts';
import type { LocalEntry } from '../../../src/dev/sync/local-tree.ts';
import type { ModelEntry } from '../../../src/dev/sync/plan.ts';

const r = (path: string, extra: Partial<RemoteEntry> = {}): RemoteEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  size: 1,
  mtime: 100,
  ...extra,
});
const m = (extra: Partial<ModelEntry> = {}): ModelEntry => ({
  type: 'file',
  mode: 0o644,
  size: 1,
  mtime: 100,
  stamp: 's',
  ...extra,
});
const l = (path: string, stamp = 's'): LocalEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  size: 1,
  mtimeMs: 100_000,
  stamp,
});

test('changed, new and deleted container paths are fetched or deleted locally; unchanged ones are left', () => {
  const model = new Map([
    ['same', m()],
    ['changed', m()],
    ['gone', m()],
    ['gone-dir', m({ type: 'dir' })],
    ['gone-dir/child', m()],
  ]);
  const remote = [r('same'), r('changed', { size: 2 }), r('new')];
  assert.deepEqual(downloadCandidates(remote, model).sort(), ['changed', 'gone', 'gone-dir', 'gone-dir/child', 'new']);
  const local = new Map<string, LocalEntry | null>([
    ['changed', l('changed')],
    ['gone', l('gone')],
    ['gone-dir', { ...l('gone-dir'), type: 'dir' }],
    ['gone-dir/child', l('gone-dir/child')],
    ['new', null],
  ]);
  const plan = planDownload(remote, model, local, new Set());
  assert.deepEqual(
    plan.fetch.map((e) => e.path),
    ['changed', 'new'],
  );
  assert.deepEqual(plan.deleteLocal, ['gone', 'gone-dir'], 'a deleted directory takes its children');
  assert.deepEqual(plan.conflicts, []);
});

test('local wins: a path changed locally since the last sync is a conflict, not overwritten', () => {
  const model = new Map([
    ['edited', m()],
    ['pending', m()],
    ['deleted-here', m()],
  ]);
  const remote = [
    r('edited', { size: 5 }),
    r('pending', { size: 5 }),
    r('deleted-here', { size: 5 }),
    r('created-both'),
  ];
  const local = new Map<string, LocalEntry | null>([
    ['edited', l('edited', 'changed-stamp')],
    ['pending', l('pending')],
    ['deleted-here', null],
    ['created-both', l('created-both')],
  ]);
  const plan = planDownload(remote, model, local, new Set(['pending']));
  assert.deepEqual(plan.fetch, []);
  assert.deepEqual(plan.conflicts.sort(), ['created-both', 'deleted-here', 'edited', 'pending']);
});
