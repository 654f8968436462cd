import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EVENTS } from '../../../../sandbox/node/events.ts';
import { PODS } from '../../../../sandbox/node/types.ts';
import {
  getPod,
  type Harness,
  isReady,
  pod,
  readAll,
  run,
  runningPod,
  sleeper,
  startNode,
  waitFor,
} from './harness.ts';

let h: Harness;
before(async () => {
  h = await startNode({ backoffMs: 400 });
});
after(async () => {
  await h?.close();
});

const running = (name: string) => runningPod(h, name);

test('a crashing container reaches CrashLoopBackOff with a growing restartCount and lastState', async () => {
  h.store.create(
    PODS,
    pod('crash', { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', 'exit 3'] }] }),
  );
  const status = await waitFor('CrashLoopBackOff after restarts', () => {
    const s = getPod(h, 'crash')?.status?.containerStatuses?.[0];
    return s?.state.waiting?.reason === 'CrashLoopBackOff' && s.restartCount >= 2 ? s : undefined;
  });
  assert.equal(status.lastState.terminated?.exitCode, 3);
  assert.equal(status.lastState.terminated?.reason, 'Error');
  assert.match(status.state.waiting!.message!, /^back-off [\d.]+s restarting failed container=c pod=crash_default\(/);
  assert.equal(getPod(h, 'crash')?.status?.phase, 'Running');
  await waitFor(
    'restartCount grows',
    () => (getPod(h, 'crash')?.status?.containerStatuses?.[0]?.restartCount ?? 0) > status.restartCount,
  );
});

test('restartPolicy Never: a finished pod is Succeeded or Failed with terminated reasons', async () => {
  h.store.create(
    PODS,
    pod('ok', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36', command: ['true'] }] }),
  );
  h.store.create(
    PODS,
    pod('bad', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36', command: ['false'] }] }),
  );
  const ok = await waitFor('ok Succeeded', () =>
    getPod(h, 'ok')?.status?.phase === 'Succeeded' ? getPod(h, 'ok') : undefined,
  );
  assert.equal(ok.status!.containerStatuses![0]!.state.terminated?.reason, 'Completed');
  const bad = await waitFor('bad Failed', () =>
    getPod(h, 'bad')?.status?.phase === 'Failed' ? getPod(h, 'bad') : undefined,
  );
  assert.equal(bad.status!.containerStatuses![0]!.state.terminated?.exitCode, 1);
  assert.equal(bad.status!.containerStatuses![0]!.restartCount, 0);
  // the finished pod's sandbox container stops; its logs stay readable
  await waitFor('sandbox of a finished pod stopped', () => {
    const out = execFileSync(
      'docker',
      [
        'ps',
        '-q',
        '--filter',
        `label=kloop.sandbox/pod-uid=${ok.metadata.uid}`,
        '--filter',
        'label=kloop.sandbox/role=pod-sandbox',
      ],
      { encoding: 'utf8' },
    );
    return out.trim() === '';
  });
  const stopped = execFileSync(
    'docker',
    [
      'ps',
      '-aq',
      '--filter',
      `label=kloop.sandbox/pod-uid=${ok.metadata.uid}`,
      '--filter',
      'label=kloop.sandbox/role=pod-sandbox',
    ],
    { encoding: 'utf8' },
  );
  assert.notEqual(stopped.trim(), '', 'stopped, not removed');
  assert.equal(await readAll(await h.node.logs({ namespace: 'default', pod: 'bad', container: 'c' })), '');
});

test('images missing from the local Docker: ErrImageNeverPull for pull policy Never, else a pull that fails into ImagePullBackOff', async () => {
  h.store.create(
    PODS,
    pod('ghost-image', { containers: [{ name: 'c', image: 'kloop-test/absent:1.0', imagePullPolicy: 'Never' }] }),
  );
  // IfNotPresent (the default for a tag): pulled from Docker Hub, which has no such repository
  // (and is not reachable from CI at all)
  h.store.create(PODS, pod('ghost-pulled', { containers: [{ name: 'c', image: 'kloop-test/absent:1.0' }] }));
  const never = await waitFor('ErrImageNeverPull', () => {
    const w = getPod(h, 'ghost-image')?.status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === 'ErrImageNeverPull' ? w : undefined;
  });
  assert.equal(never.message, 'Container image "kloop-test/absent:1.0" is not present with pull policy of Never');
  const pulled = await waitFor('ImagePullBackOff', () => {
    const w = getPod(h, 'ghost-pulled')?.status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === 'ImagePullBackOff' ? w : undefined;
  });
  assert.match(
    pulled.message!,
    /^Back-off pulling image "kloop-test\/absent:1\.0": ErrImagePull: .*Error response from daemon/,
  );
  assert.equal(getPod(h, 'ghost-image')?.status?.phase, 'Pending');
  assert.equal(getPod(h, 'ghost-image')?.status?.containerStatuses?.[0]?.image, 'kloop-test/absent:1.0');
});

test('a readiness probe gates Ready; a startup probe holds started and ready; a failing liveness probe restarts the container', async () => {
  h.store.create(
    PODS,
    pod('gated', {
      containers: [
        sleeper('c', {
          readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 },
        }),
        {
          name: 'web',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'mkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 8081 -h /w'],
          readinessProbe: { httpGet: { path: '/index.html', port: 8081 }, periodSeconds: 1 },
          livenessProbe: { tcpSocket: { port: 8081 }, periodSeconds: 1 },
        },
      ],
    }),
  );
  await running('gated');
  await waitFor('web ready', () => getPod(h, 'gated')?.status?.containerStatuses?.find((c) => c.name === 'web')?.ready);
  const before = getPod(h, 'gated')!;
  assert.equal(isReady(before), false);
  assert.equal(
    before.status!.conditions!.find((c) => c.type === 'ContainersReady')?.message,
    'containers with unready status: [c]',
  );
  await run(h, 'gated', 'c', ['touch', '/tmp/ready']);
  await waitFor('pod Ready', () => isReady(getPod(h, 'gated')));

  h.store.create(
    PODS,
    pod('slow-start', {
      containers: [
        sleeper('c', {
          startupProbe: { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 60 },
        }),
      ],
    }),
  );
  await running('slow-start');
  await new Promise((r) => setTimeout(r, 1500));
  const unstarted = getPod(h, 'slow-start')!.status!.containerStatuses![0]!;
  assert.deepEqual([unstarted.started, unstarted.ready], [false, false]);
  await run(h, 'slow-start', 'c', ['touch', '/tmp/started']);
  await waitFor('started and ready', () => {
    const s = getPod(h, 'slow-start')?.status?.containerStatuses?.[0];
    return s?.started && s.ready;
  });

  h.store.create(
    PODS,
    pod('unhealthy', {
      terminationGracePeriodSeconds: 1,
      containers: [
        sleeper('c', { livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } }),
      ],
    }),
  );
  await waitFor(
    'liveness restart',
    () => (getPod(h, 'unhealthy')?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
  );
});

test('graceful delete: SIGTERM reaches the process, then the pod leaves the store', async () => {
  const claimDir = path.join(os.tmpdir(), `kloop-sandbox-${h.instance}`, 'claims', 'default', 'term');
  h.store.create(
    PODS,
    pod('polite', {
      terminationGracePeriodSeconds: 20,
      containers: [
        {
          name: 'c',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'trap "echo got-term > /data/term; exit 0" TERM; while true; do sleep 0.1; done'],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'term' } }],
    }),
  );
  await running('polite');
  const marked = h.store.delete(PODS, 'default', 'polite');
  assert.ok(marked?.metadata.deletionTimestamp, 'the store only marks the pod');
  await waitFor('pod removed', () => !getPod(h, 'polite'), 15_000);
  assert.equal(fs.readFileSync(path.join(claimDir, 'term'), 'utf8'), 'got-term\n');
});

test('the kubelet records events: Scheduled, Pulled, Created, Started, BackOff, ErrImageNeverPull, Killing', async () => {
  const events = (podName: string) =>
    h.store
      .list(EVENTS, 'default')
      .filter((e) => (e.involvedObject as { name: string }).name === podName)
      .map((e) => ({ reason: e.reason as string, message: e.message as string, count: e.count as number }));
  // pods from earlier tests
  await waitFor('crash BackOff event', () => events('crash').some((e) => e.reason === 'BackOff'));
  const crash = events('crash');
  assert.deepEqual(
    ['Scheduled', 'Pulled', 'Created', 'Started'].map((r) => crash.some((e) => e.reason === r)),
    [true, true, true, true],
  );
  assert.ok((crash.find((e) => e.reason === 'Started')?.count ?? 0) >= 2, 'repeats are counted, not duplicated');
  assert.equal(
    crash.find((e) => e.reason === 'Scheduled')?.message,
    'Successfully assigned default/crash to kloop-sandbox',
  );
  const ghost = events('ghost-image').filter((e) => e.reason === 'ErrImageNeverPull');
  assert.equal(ghost.length, 1);
  assert.equal(ghost[0]!.count, 1, 'a persisting failure is reported once');

  h.store.create(PODS, pod('doomed', { terminationGracePeriodSeconds: 1, containers: [sleeper('c')] }));
  await running('doomed');
  h.store.delete(PODS, 'default', 'doomed');
  await waitFor('Killing event', () => events('doomed').some((e) => e.message === 'Stopping container c'));
});

test('a failing init container fails a Never pod and is retried under OnFailure; app containers wait', async () => {
  const spec = (restartPolicy: string) => ({
    restartPolicy,
    initContainers: [{ name: 'setup', image: 'busybox:1.36', command: ['sh', '-c', 'exit 2'] }],
    containers: [sleeper('app')],
  });
  h.store.create(PODS, pod('init-never', spec('Never')));
  h.store.create(PODS, pod('init-retry', spec('OnFailure')));
  const failed = await waitFor('init-never Failed', () => {
    const p = getPod(h, 'init-never');
    return p?.status?.phase === 'Failed' ? p : undefined;
  });
  assert.equal(failed.status!.initContainerStatuses![0]!.state.terminated?.exitCode, 2);
  assert.equal(failed.status!.containerStatuses![0]!.state.waiting?.reason, 'PodInitializing');
  const retried = await waitFor('init retried', () => {
    const s = getPod(h, 'init-retry')?.status?.initContainerStatuses?.[0];
    return (s?.restartCount ?? 0) >= 2 ? getPod(h, 'init-retry') : undefined;
  });
  assert.equal(retried.status!.phase, 'Pending');
  assert.equal(retried.status!.conditions!.find((c) => c.type === 'Initialized')?.status, 'False');
});
