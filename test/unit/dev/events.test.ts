// The dev session's -o jsonl subscriber: what it emits for each action, every event valid against
// schema/events.schema.json (the contract consumers code against).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { attachEvents } from '../../../src/dev/events.ts';
import { createStore, newTarget } from '../../../src/dev/store.ts';
import { enableEvents } from '../../../src/log/events.ts';

const schema = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../../schema/events.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true, validateFormats: false }).compile(schema);

test('dev -o jsonl: phases, sync batches, pods, reloads, logs, notices and connect/intercept beside the session', () => {
  const lines: string[] = [];
  enableEvents((l) => lines.push(l));
  const store = createStore({
    project: 'shop',
    startedAt: 't',
    phase: 'starting',
    targets: { web: newTarget('web', 'shop') },
  });
  const events = attachEvents(store);
  const at = '2026-12-07T10:00:00.000Z';
  const entry = {
    kind: 'intercept' as const,
    pid: 4242,
    state: { phase: 'intercepting', service: 'back', port: 8080, local: 9000 },
  };
  store.dispatch({ type: 'pod', target: 'web', pod: { name: 'web-1', container: 'web' }, started: false });
  store.dispatch({
    type: 'sync',
    target: 'web',
    index: 0,
    status: {
      from: '/l',
      to: '/www',
      state: 'in-sync',
      pending: 0,
      files: 2,
      reconnects: 0,
      lastBatch: { at, uploaded: 2, deleted: 0, bytes: 10, ms: 4 },
    },
  });
  store.dispatch({ type: 'session-phase', phase: 'running' });
  const crashing = { name: 'web-1', phase: 'Running', ready: false, restarts: 2, reason: 'CrashLoopBackOff' };
  store.dispatch({ type: 'pod-status', target: 'web', pods: [crashing] });
  store.dispatch({ type: 'pod-status', target: 'web', pods: [crashing] });
  store.dispatch({
    type: 'pod-status',
    target: 'web',
    pods: [{ name: 'web-1', phase: 'Running', ready: true, restarts: 2 }],
  });
  store.dispatch({ type: 'reload', target: 'web', reload: { kind: 'restart', state: 'running', count: 0 } });
  store.dispatch({ type: 'reload', target: 'web', reload: { kind: 'restart', state: 'idle', count: 1, at } });
  store.dispatch({
    type: 'reload',
    target: 'web',
    reload: { kind: 'restart', state: 'error', count: 2, at, error: 'restart failed (exit 3)' },
  });
  store.dispatch({ type: 'log', line: { target: 'web', pod: 'web-1', container: 'web', text: 'GET /' } });
  store.dispatch({ type: 'notice', message: 'web: web redeployed' });
  store.dispatch({ type: 'notice', message: 'web: rebuild failed: exit 1', level: 'error' });
  store.dispatch({ type: 'hybrid', key: 'intercept-4242', entry, started: true });
  store.dispatch({ type: 'hybrid', key: 'intercept-4242', entry: null });
  events.close();
  store.dispatch({ type: 'notice', message: 'after close' });

  const emitted = lines.map((l) => JSON.parse(l));
  for (const e of emitted) assert.ok(validate(e), `${JSON.stringify(e)}: ${JSON.stringify(validate.errors)}`);
  const strip = emitted.map(({ ts: _, ...e }) => e);
  assert.deepEqual(strip, [
    { type: 'session', phase: 'starting' },
    { type: 'session', phase: 'waiting-for-pod', target: 'web' },
    { type: 'session', phase: 'starting', target: 'web', pod: 'web-1' },
    { type: 'sync', target: 'web', to: '/www', state: 'in-sync', uploaded: 2, deleted: 0, bytes: 10, ms: 4 },
    { type: 'session', phase: 'running' },
    {
      type: 'pod',
      target: 'web',
      pod: 'web-1',
      phase: 'Running',
      ready: false,
      restarts: 2,
      reason: 'CrashLoopBackOff',
    },
    { type: 'pod', target: 'web', pod: 'web-1', phase: 'Running', ready: true, restarts: 2 },
    { type: 'reload', target: 'web', kind: 'restart', state: 'done', count: 1 },
    { type: 'reload', target: 'web', kind: 'restart', state: 'failed', count: 2, error: 'restart failed (exit 3)' },
    { type: 'log', target: 'web', pod: 'web-1', container: 'web', text: 'GET /' },
    { type: 'message', level: 'info', text: 'web: web redeployed' },
    { type: 'message', level: 'warning', text: 'web: rebuild failed: exit 1' },
    {
      type: 'hybrid',
      key: 'intercept-4242',
      kind: 'intercept',
      pid: 4242,
      change: 'started',
      summary: 'intercept back:8080 → 127.0.0.1:9000 intercepting (pid 4242)',
      state: entry.state,
    },
    { type: 'hybrid', key: 'intercept-4242', kind: 'intercept', pid: 4242, change: 'ended' },
  ]);
});
