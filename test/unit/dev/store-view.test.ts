import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePort } from '../../../src/dev/port-forward.ts';
import { createStore, newTarget, type TargetState } from '../../../src/dev/store.ts';
import { attachView, summarize } from '../../../src/dev/view.ts';

test('the store is plain JSON, updated through one function, seen by every subscriber', () => {
  const store = createStore({
    project: 'p',
    startedAt: 't',
    phase: 'starting',
    targets: { web: newTarget('web', 'ns') },
  });
  const seen: string[] = [];
  const off = store.subscribe((state, change) => seen.push(`${change}:${state.targets.web!.phase}`));
  const before = store.get();
  store.update('web: running', (s) => {
    s.targets.web!.phase = 'running';
  });
  assert.equal(before.targets.web!.phase, 'waiting-for-pod', 'earlier snapshots do not change');
  off();
  store.update('ignored', () => {});
  assert.deepEqual(seen, ['web: running:running']);
  assert.deepEqual(JSON.parse(JSON.stringify(store.get())), store.get());
});

test('the per-target status line', () => {
  const t: TargetState = {
    ...newTarget('web', 'ns'),
    phase: 'running',
    pod: 'web-1',
    sync: [{ from: '/l', to: '/www', state: 'syncing', pending: 3, files: 10, reconnects: 0 }],
    ports: [{ local: 8085, remote: 80, state: 'forwarding', connections: 1 }],
    reload: { kind: 'restart', state: 'idle', count: 2, at: '2026-11-26T10:00:05.000Z' },
  };
  assert.equal(
    summarize(t),
    'pod web-1 · sync /www syncing 3 files · 127.0.0.1:8085→80 forwarding · restart #2 at 10:00:05',
  );
  t.sync[0] = { ...t.sync[0]!, state: 'reconnecting', error: 'the sync stream ended' };
  assert.match(summarize(t), /sync \/www reconnecting \(the sync stream ended\)/);
});

test('text view prints a line only when a summary changes; json view prints every change', () => {
  const store = createStore({
    project: 'p',
    startedAt: 't',
    phase: 'running',
    targets: { web: newTarget('web', 'ns') },
  });
  const text: string[] = [];
  const json: string[] = [];
  attachView(store, { json: false, color: false, write: (l) => text.push(l) });
  attachView(store, { json: true, color: false, write: (l) => json.push(l) });
  store.update('web: pod', (s) => {
    s.targets.web!.pod = 'web-1';
  });
  store.update('web: logs following', (s) => {
    s.targets.web!.logs.lines = 5;
  });
  assert.equal(text.length, 1);
  assert.match(text[0]!, /^web \* waiting-for-pod · pod web-1$/);
  assert.equal(json.length, 2);
  assert.equal(JSON.parse(json[1]!).change, 'web: logs following');
});

test('port specs', () => {
  assert.deepEqual(parsePort('8085:80'), { local: 8085, remote: 80 });
  assert.deepEqual(parsePort(3000), { local: 3000, remote: 3000 });
});

test('text view shows connect / intercept processes beside the session, and when they end', () => {
  const store = createStore({
    project: 'p',
    startedAt: 't',
    phase: 'running',
    targets: { web: newTarget('web', 'ns') },
  });
  const out: string[] = [];
  attachView(store, { json: false, color: false, write: (l) => out.push(l) });
  store.update('intercept-42 started', (s) => {
    s.hybrid = {
      'intercept-42': {
        kind: 'intercept',
        pid: 42,
        state: { phase: 'intercepting', service: 'back', port: 8080, local: 9000 },
      },
    };
  });
  store.update('hybrid state', (s) => {
    s.hybrid = {};
  });
  const hybridLines = out.filter((l) => l.startsWith('kloop '));
  assert.deepEqual(hybridLines, [
    'kloop intercept back:8080 → 127.0.0.1:9000 intercepting (pid 42)',
    'kloop intercept (pid 42) ended',
  ]);
});
