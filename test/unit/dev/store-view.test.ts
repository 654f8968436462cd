import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePort } from '../../../src/dev/port-forward.ts';
import { createStore, newTarget, type TargetState } from '../../../src/dev/store.ts';
import { attachView, summarize } from '../../../src/dev/view.ts';

test('the store is plain JSON, changed only by dispatched actions, seen by every subscriber', () => {
  const store = createStore({
    project: 'p',
    startedAt: 't',
    phase: 'starting',
    targets: { web: newTarget('web', 'ns') },
  });
  const seen: string[] = [];
  const off = store.subscribe((state, action) => seen.push(`${action.type}:${state.targets.web!.phase}`));
  const before = store.get();
  store.dispatch({ type: 'target-phase', target: 'web', phase: 'running' });
  assert.equal(before.targets.web!.phase, 'waiting-for-pod', 'earlier snapshots do not change');
  off();
  store.dispatch({ type: 'session-phase', phase: 'running' });
  assert.deepEqual(seen, ['target-phase:running']);
  assert.deepEqual(JSON.parse(JSON.stringify(store.get())), store.get());
});

test('an action dispatched by a subscriber reaches every subscriber after the current one, in order', () => {
  const store = createStore({ project: 'p', startedAt: 't', phase: 'starting', targets: {} });
  const first: string[] = [];
  const second: string[] = [];
  store.subscribe((_, a) => {
    first.push(a.type);
    if (a.type === 'session-phase' && a.phase === 'running') store.dispatch({ type: 'notice', message: 'hi' });
  });
  store.subscribe((s, a) => second.push(`${a.type}:${s.phase}`));
  store.dispatch({ type: 'session-phase', phase: 'running' });
  assert.deepEqual(first, ['session-phase', 'notice']);
  assert.deepEqual(second, ['session-phase:running', 'notice:running']);
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
  t.pods = [
    { name: 'web-2', phase: 'Running', ready: false, restarts: 4, reason: 'CrashLoopBackOff' },
    { name: 'web-1', phase: 'Running', ready: true, restarts: 0 },
  ];
  assert.match(summarize(t), /^pod web-1 · pod web-2 CrashLoopBackOff \(4 restarts\) · sync/);
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
  store.dispatch({ type: 'pod', target: 'web', pod: { name: 'web-1', container: 'web' }, started: false });
  store.dispatch({ type: 'log-stream', target: 'web', state: 'following', lines: 5 });
  store.dispatch({ type: 'log', line: { target: 'web', pod: 'web-1', container: 'web', text: 'GET /' } });
  store.dispatch({ type: 'notice', message: 'web: redeployed' });
  assert.deepEqual(text, ['web * starting · pod web-1', 'web │ GET /', 'kloop web: redeployed']);
  assert.deepEqual(
    json.map((l) => JSON.parse(l)),
    [
      {
        type: 'state',
        change: 'web: pod web-1',
        action: { type: 'pod', target: 'web', pod: { name: 'web-1', container: 'web' }, started: false },
        state: JSON.parse(json[0]!).state,
      },
      {
        type: 'state',
        change: 'web: logs following',
        action: { type: 'log-stream', target: 'web', state: 'following', lines: 5 },
        state: store.get(),
      },
      { type: 'log', target: 'web', pod: 'web-1', container: 'web', text: 'GET /' },
      { type: 'notice', message: 'web: redeployed' },
    ],
  );
  assert.equal(JSON.parse(json[0]!).state.targets.web.pod, 'web-1');
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
  store.dispatch({
    type: 'hybrid',
    key: 'intercept-42',
    started: true,
    entry: { kind: 'intercept', pid: 42, state: { phase: 'intercepting', service: 'back', port: 8080, local: 9000 } },
  });
  store.dispatch({ type: 'hybrid', key: 'intercept-42', entry: null });
  const hybridLines = out.filter((l) => l.startsWith('kloop '));
  assert.deepEqual(hybridLines, [
    'kloop intercept back:8080 → 127.0.0.1:9000 intercepting (pid 42)',
    'kloop intercept (pid 42) ended',
  ]);
});
