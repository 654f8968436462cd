import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newTarget } from '../../../src/dev/store.ts';
import { deployRows, targetInfo, type TargetView } from '../../../src/ui/page/render.ts';

test('a target card shows the failure reason, pods with restarts, sync latency, port links and reload', () => {
  const t: TargetView = {
    ...newTarget('api', 'shop'),
    phase: 'error',
    error: 'container api: CrashLoopBackOff (exit code 1)',
    pod: 'api-1',
    podHistory: ['api-0', 'api-1'],
    pods: [{ name: 'api-1', ready: false, phase: 'Running', restarts: 4, reason: 'CrashLoopBackOff: exit code 1' }],
    sync: [
      {
        from: '/src',
        to: '/app',
        state: 'in-sync',
        pending: 0,
        files: 10,
        reconnects: 0,
        lastBatch: { at: '2026-01-01T10:00:00Z', uploaded: 1, deleted: 0, bytes: 10, ms: 42 },
      },
    ],
    ports: [{ local: 8085, remote: 80, state: 'forwarding', connections: 0 }],
    reload: { kind: 'restart', state: 'idle', count: 3, at: '2026-01-01T10:00:01Z' },
  };
  const html = targetInfo(t);
  assert.match(html, /CrashLoopBackOff \(exit code 1\)/);
  assert.match(html, /4 restarts/);
  assert.match(html, /replaced<\/dt><dd>1×/);
  assert.match(html, /last 42 ms/);
  assert.match(html, /href="http:\/\/127\.0\.0\.1:8085\/"/);
  assert.match(html, /restart .*#3/);
});

test('values from the cluster are escaped', () => {
  const t: TargetView = { ...newTarget('x', 'ns'), phase: 'error', error: '<img src=x onerror=alert(1)>' };
  const html = targetInfo(t);
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(deployRows([{ at: '', apps: ['<b>'], state: 'error', error: '"x"' }]), /&lt;b&gt;.*&quot;x&quot;/);
});
