// The session store's reducers: given a state and an action, the next state — and never a change
// to the state they were given (every input here is deep-frozen, so a reducer that writes into it
// throws).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, isProblem, type SessionAction, targetOf } from '../../../src/dev/actions.ts';
import { DEPLOY_HISTORY, reduce } from '../../../src/dev/reducers.ts';
import { newTarget, type SessionState } from '../../../src/dev/state.ts';
import type { SyncStatus } from '../../../src/dev/sync/engine.ts';

function frozen<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

function state(over: Partial<SessionState> = {}): SessionState {
  return frozen({
    project: 'shop',
    startedAt: '2026-12-07T10:00:00.000Z',
    phase: 'starting',
    targets: { web: { ...newTarget('web', 'shop'), phase: 'deploying' }, api: newTarget('api', 'shop') },
    ...over,
  });
}

/** runs the actions one after another, each on a frozen state */
const run = (s: SessionState, ...actions: SessionAction[]) => actions.reduce((acc, a) => frozen(reduce(acc, a)), s);

test('session phase', () => {
  const s = state();
  const next = reduce(s, { type: 'session-phase', phase: 'running' });
  assert.equal(next.phase, 'running');
  assert.equal(s.phase, 'starting');
  assert.equal(reduce(next, { type: 'session-phase', phase: 'running' }), next, 'no change, same state');
});

test('deployed: every target waits for its pod', () => {
  const next = reduce(state(), { type: 'targets-waiting' });
  assert.deepEqual(
    Object.values(next.targets).map((t) => t.phase),
    ['waiting-for-pod', 'waiting-for-pod'],
  );
});

test('pods: the one worked with, replacements in the history, errors and waiting', () => {
  const s = state();
  const pod = (name: string, started = false): SessionAction => ({
    type: 'pod',
    target: 'web',
    pod: { name, container: 'web' },
    started,
  });
  const first = run(s, pod('web-1'));
  assert.deepEqual(
    [first.targets.web!.pod, first.targets.web!.container, first.targets.web!.phase, first.targets.web!.podHistory],
    ['web-1', 'web', 'starting', ['web-1']],
  );
  assert.equal(first.targets.api, s.targets.api, 'another target is shared, not copied');

  const lost = run(first, { type: 'pod', target: 'web', started: true });
  assert.equal(lost.targets.web!.phase, 'reconnecting');
  assert.equal(lost.targets.web!.pod, 'web-1', 'the last pod stays visible while it waits');

  const failed = run(lost, { type: 'pod', target: 'web', started: true, error: 'no ready pod after 120 s' });
  assert.deepEqual([failed.targets.web!.phase, failed.targets.web!.error], ['error', 'no ready pod after 120 s']);

  const back = run(failed, pod('web-2', true), pod('web-2', true));
  assert.equal(back.targets.web!.phase, 'running');
  assert.equal(back.targets.web!.error, undefined, 'a pod again clears the error');
  assert.deepEqual(back.targets.web!.podHistory, ['web-1', 'web-2'], 'the same pod twice is one entry');
});

test('an action for a target the session does not have changes nothing', () => {
  const s = state();
  assert.equal(reduce(s, { type: 'target-phase', target: 'nope', phase: 'running' }), s);
});

test('pod status, syncs by index, ports by local port, reload, logs, debugger, GitOps owner', () => {
  const sync = (to: string, st: SyncStatus['state']): SyncStatus => ({
    from: '/src',
    to,
    state: st,
    pending: 0,
    files: 3,
    reconnects: 0,
  });
  const s = run(
    state(),
    { type: 'pod-status', target: 'web', pods: [{ name: 'web-1', phase: 'Running', ready: true, restarts: 0 }] },
    { type: 'sync', target: 'web', index: 1, status: sync('/b', 'syncing') },
    { type: 'sync', target: 'web', index: 0, status: sync('/a', 'in-sync') },
    { type: 'sync', target: 'web', index: 1, status: sync('/b', 'in-sync') },
    { type: 'port', target: 'web', port: { local: 8080, remote: 80, state: 'starting', connections: 0 } },
    { type: 'port', target: 'web', port: { local: 9229, remote: 9229, state: 'forwarding', connections: 0 } },
    { type: 'port', target: 'web', port: { local: 8080, remote: 80, state: 'forwarding', connections: 2 } },
    { type: 'reload', target: 'web', reload: { kind: 'restart', state: 'idle', count: 1 } },
    { type: 'log-stream', target: 'web', state: 'following', lines: 12 },
    { type: 'debug', target: 'web', debug: { runtime: 'node', port: 9229, wait: false, attach: 'kloop: web (node)' } },
    { type: 'gitops', target: 'web', gitops: { owner: 'Kustomization flux-system/shop', state: 'paused' } },
  );
  const web = s.targets.web!;
  assert.deepEqual(
    web.pods?.map((p) => p.name),
    ['web-1'],
  );
  assert.deepEqual(
    web.sync.map((x) => [x.to, x.state]),
    [
      ['/a', 'in-sync'],
      ['/b', 'in-sync'],
    ],
  );
  assert.deepEqual(
    web.ports.map((p) => [p.local, p.state, p.connections]),
    [
      [8080, 'forwarding', 2],
      [9229, 'forwarding', 0],
    ],
  );
  assert.equal(web.reload?.count, 1);
  assert.deepEqual(web.logs, { state: 'following', lines: 12 });
  assert.equal(web.debug?.attach, 'kloop: web (node)');
  assert.equal(web.gitops?.state, 'paused');
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s, 'still plain JSON');
});

test('lines, notices, rebuild requests and launch entries leave the state as it was', () => {
  const s = state();
  for (const a of [
    { type: 'log', line: { target: 'web', pod: 'p', container: 'c', text: 'x' } },
    { type: 'notice', message: 'hello' },
    { type: 'rebuild', target: 'web', paths: ['package.json'] },
    { type: 'debug-launch', configurations: [] },
  ] satisfies SessionAction[])
    assert.equal(reduce(s, a), s, a.type);
});

test('deploys: history (the last 50), apps deploying, ready with dependencies, failed with the problem', () => {
  const at = '2026-12-07T10:00:01.000Z';
  const started = run(state(), { type: 'deploy-started', at, project: 'shop', apps: ['web'] });
  assert.deepEqual(started.deploys, [{ at, apps: ['web'], state: 'running' }]);
  assert.deepEqual(started.apps, { web: { project: 'shop', state: 'deploying', at } });

  const done = run(started, {
    type: 'deploy-done',
    apps: ['web'],
    ms: 1200,
    deployed: {
      web: { project: 'shop', namespace: 'shop', state: 'ready', result: 'applied', at },
      'db/cache': { project: 'db', dependency: 'db', namespace: 'shop', state: 'ready', result: 'unchanged', at },
    },
  });
  assert.deepEqual(done.deploys, [{ at, apps: ['web'], state: 'ok', ms: 1200 }]);
  assert.deepEqual(Object.keys(done.apps ?? {}), ['web', 'db/cache']);
  assert.equal(done.apps?.['db/cache']?.dependency, 'db');

  const failed = run(
    done,
    { type: 'deploy-started', at, project: 'shop', apps: ['web'] },
    { type: 'deploy-failed', apps: ['web'], ms: 300, error: 'deployment/web in shop: ImagePullBackOff' },
  );
  assert.deepEqual(failed.deploys?.at(-1), {
    at,
    apps: ['web'],
    state: 'error',
    ms: 300,
    error: 'deployment/web in shop: ImagePullBackOff',
  });
  assert.deepEqual(
    [failed.apps?.web?.state, failed.apps?.web?.problem],
    ['failed', 'deployment/web in shop: ImagePullBackOff'],
  );
  assert.equal(failed.apps?.['db/cache']?.state, 'ready', 'an app the failed deploy did not touch keeps its state');

  let many = failed;
  for (let i = 0; i < DEPLOY_HISTORY + 5; i++)
    many = run(many, { type: 'deploy-started', at: String(i), project: 'shop', apps: ['web'] });
  assert.equal(many.deploys?.length, DEPLOY_HISTORY);
  assert.equal(many.deploys?.at(-1)?.at, String(DEPLOY_HISTORY + 4), 'the newest kept');
});

test('connect / intercept beside the session: started, changed, ended', () => {
  const entry = (phase: string) => ({ kind: 'intercept' as const, pid: 42, state: { phase } });
  const s = state();
  assert.equal(s.hybrid, undefined);
  const one = run(s, { type: 'hybrid', key: 'intercept-42', entry: entry('starting'), started: true });
  const changed = run(one, { type: 'hybrid', key: 'intercept-42', entry: entry('intercepting') });
  assert.deepEqual(changed.hybrid, { 'intercept-42': entry('intercepting') });
  const ended = run(changed, { type: 'hybrid', key: 'intercept-42', entry: null });
  assert.deepEqual(ended.hybrid, {}, 'an empty map, not absent: the session has seen hybrids');
});

test('what an action says, the target it is about, whether it is a problem', () => {
  const cases: Array<[SessionAction, string, string | undefined, boolean]> = [
    [
      { type: 'pod', target: 'web', pod: { name: 'web-1', container: 'web' }, started: true },
      'web: pod web-1',
      'web',
      false,
    ],
    [{ type: 'pod', target: 'web', started: true, error: 'gone' }, 'web: error: gone', 'web', true],
    [{ type: 'pod', target: 'web', started: true }, 'web: waiting for a ready pod', 'web', false],
    [
      {
        type: 'sync',
        target: 'web',
        index: 0,
        status: { from: '', to: '/www', state: 'error', pending: 0, files: 0, reconnects: 0 },
      },
      'web: sync /www error',
      'web',
      true,
    ],
    [{ type: 'deploy-failed', apps: ['web', 'api'], ms: 1, error: 'x' }, 'deploy failed: web, api', undefined, true],
    [{ type: 'session-phase', phase: 'running' }, 'session running', undefined, false],
    [
      {
        type: 'pod-status',
        target: 'web',
        pods: [
          { name: 'web-2', phase: 'Running', ready: false, restarts: 3, reason: 'CrashLoopBackOff' },
          { name: 'web-1', phase: 'Running', ready: true, restarts: 1 },
          { name: 'web-0', phase: 'Pending', ready: false, restarts: 0 },
        ],
      },
      'web: pods web-2 CrashLoopBackOff (3 restarts), web-1 ready (1 restart), web-0 pending',
      'web',
      true,
    ],
    [{ type: 'pod-status', target: 'web', pods: [] }, 'web: pods none', 'web', false],
    [{ type: 'hybrid', key: 'connect-7', entry: null }, 'connect-7 ended', undefined, false],
    [
      { type: 'notice', message: 'web: rebuild failed: boom', level: 'error' },
      'web: rebuild failed: boom',
      undefined,
      true,
    ],
    [{ type: 'log', line: { target: 'api', pod: 'p', container: 'c', text: 'hi' } }, 'api: hi', 'api', false],
  ];
  for (const [action, text, target, problem] of cases) {
    assert.equal(describe(action), text);
    assert.equal(targetOf(action), target, text);
    assert.equal(isProblem(action), problem, text);
  }
});
