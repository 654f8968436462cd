import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EVENTS } from '../../../../sandbox/node/events.ts';
import { CONFIGMAPS, PODS, SECRETS } from '../../../../sandbox/node/types.ts';
import { getPod, type Harness, isReady, pod, readAll, run, startNode, waitFor } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startNode({ backoffMs: 400 });
});
after(async () => {
  await h?.close();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sleeper = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: 'busybox:1.36',
  command: ['sleep', '3600'],
  ...extra,
});

function running(name: string) {
  return waitFor(`${name} running`, () => {
    const p = getPod(h, name);
    return p?.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.state.running) ? p : undefined;
  });
}

test('env from values, configMap and secret keys, fieldRefs and envFrom; $(VAR) expansion', async () => {
  h.store.create(CONFIGMAPS, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'default' },
    data: { color: 'blue', size: 'xl' },
  });
  h.store.create(SECRETS, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: 'default' },
    data: { password: b64('s3cret') },
  });
  h.store.create(
    PODS,
    pod('envs', {
      containers: [
        sleeper('c', {
          envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CM_' }, { secretRef: { name: 'creds' } }],
          env: [
            { name: 'PLAIN', value: 'one' },
            { name: 'DERIVED', value: '$(PLAIN)-two $$(PLAIN)' },
            { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } },
            { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
            { name: 'MISSING', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          workingDir: '/tmp',
        }),
      ],
    }),
  );
  const p = await running('envs');
  const { stdout } = await run(h, 'envs', 'c', ['sh', '-c', 'env | sort; echo "cwd=$(pwd)"']);
  const env = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  assert.equal(env.PLAIN, 'one');
  assert.equal(env.DERIVED, 'one-two $(PLAIN)');
  assert.equal(env.COLOR, 'blue');
  assert.equal(env.CM_color, 'blue');
  assert.equal(env.CM_size, 'xl');
  assert.equal(env.password, 's3cret');
  assert.equal(env.PASS, 's3cret');
  assert.equal(env.MISSING, undefined);
  assert.equal(env.POD_NAME, 'envs');
  assert.equal(env.POD_NS, 'default');
  assert.equal(env.POD_IP, p.status!.podIP);
  assert.equal(env.cwd, '/tmp');
});

test('a missing configMap key keeps the container in CreateContainerConfigError until it appears', async () => {
  h.store.create(
    PODS,
    pod('needs-config', {
      containers: [sleeper('c', { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'later', key: 'x' } } }] })],
    }),
  );
  const waiting = await waitFor('CreateContainerConfigError', () => {
    const w = getPod(h, 'needs-config')?.status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === 'CreateContainerConfigError' ? w : undefined;
  });
  assert.equal(waiting.message, 'configmap "later" not found');
  h.store.create(CONFIGMAPS, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'later', namespace: 'default' },
    data: { x: 'now' },
  });
  await running('needs-config');
  assert.equal((await run(h, 'needs-config', 'c', ['sh', '-c', 'echo $X'])).stdout, 'now\n');
});

test('volumes: configMap and secret files (items, modes), emptyDir shared by containers, a claim that outlives its pod; init containers run first', async () => {
  h.store.create(CONFIGMAPS, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'files', namespace: 'default' },
    data: { 'app.conf': 'port=80\n', other: 'x' },
  });
  h.store.create(SECRETS, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'keys', namespace: 'default' },
    data: { 'id.key': b64('KEY') },
  });
  const spec = {
    initContainers: [
      {
        name: 'seed',
        image: 'busybox:1.36',
        command: ['sh', '-c', 'echo seeded > /shared/seed && echo $(date +%s%N) >> /data/runs'],
        volumeMounts: [
          { name: 'shared', mountPath: '/shared' },
          { name: 'data', mountPath: '/data' },
        ],
      },
    ],
    containers: [
      sleeper('a', {
        volumeMounts: [
          { name: 'shared', mountPath: '/shared' },
          { name: 'conf', mountPath: '/etc/app' },
          { name: 'keys', mountPath: '/keys' },
          { name: 'data', mountPath: '/data' },
        ],
      }),
      sleeper('b', { volumeMounts: [{ name: 'shared', mountPath: '/mnt/shared' }] }),
    ],
    volumes: [
      { name: 'shared', emptyDir: {} },
      { name: 'conf', configMap: { name: 'files', items: [{ key: 'app.conf', path: 'nested/app.conf' }] } },
      { name: 'keys', secret: { secretName: 'keys', defaultMode: 0o400 } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
    ],
  };
  h.store.create(PODS, pod('vols', spec));
  const p = await running('vols');
  assert.equal(p.status!.initContainerStatuses?.[0]?.state.terminated?.reason, 'Completed');
  assert.equal(p.status!.conditions!.find((c) => c.type === 'Initialized')?.status, 'True');
  const check = await run(h, 'vols', 'a', [
    'sh',
    '-c',
    'cat /shared/seed /etc/app/nested/app.conf /keys/id.key; echo; ls /etc/app; stat -c %a /keys/id.key; echo hi > /shared/from-a',
  ]);
  assert.equal(check.stdout, 'seeded\nport=80\nKEY\nnested\n400\n');
  assert.equal((await run(h, 'vols', 'b', ['cat', '/mnt/shared/from-a'])).stdout, 'hi\n');
  const readOnly = await run(h, 'vols', 'a', ['sh', '-c', 'echo x > /etc/app/new']);
  assert.notEqual(readOnly.exitCode, 0, 'configMap volumes are read-only');

  h.store.delete(PODS, 'default', 'vols', { gracePeriodSeconds: 0 });
  await waitFor('old vols containers gone', async () => !getPod(h, 'vols'));
  h.store.create(PODS, pod('vols', spec));
  await running('vols');
  const runs = await run(h, 'vols', 'a', ['sh', '-c', 'wc -l < /data/runs']);
  assert.equal(runs.stdout.trim(), '2', 'the claim kept the first pod’s data');
});

test('exec: stdin, stdout, stderr and exit code; a tty with resize; errors for a missing container or pod', async () => {
  h.store.create(PODS, pod('shell', { containers: [sleeper('c')] }));
  await running('shell');
  const result = await run(h, 'shell', 'c', ['sh', '-c', 'tr a-z A-Z; echo oops >&2; exit 7'], 'hello\n');
  assert.deepEqual(result, { exitCode: 7, stdout: 'HELLO\n', stderr: 'oops\n' });

  const tty = await h.node.exec({
    namespace: 'default',
    pod: 'shell',
    container: 'c',
    command: ['sh'],
    stdin: true,
    tty: true,
  });
  assert.equal(tty.stderr, null);
  const out = readAll(tty.stdout);
  await tty.resize(101, 31);
  tty.stdin!.write('stty size; exit 4\n');
  assert.equal(await tty.exited, 4);
  assert.match(await out, /31 101\r\n/);

  await assert.rejects(
    h.node.exec({ namespace: 'default', pod: 'shell', container: 'nope', command: ['true'], stdin: false, tty: false }),
    { code: 400, reason: 'BadRequest', message: 'container nope is not valid for pod shell' },
  );
  await assert.rejects(
    h.node.exec({ namespace: 'default', pod: 'ghost', container: 'c', command: ['true'], stdin: false, tty: false }),
    { code: 404, reason: 'NotFound', message: 'pods "ghost" not found' },
  );
});

test('logs: tail, timestamps, limitBytes, follow until exit, previous instance after a restart', async () => {
  h.store.create(
    PODS,
    pod('talker', {
      restartPolicy: 'OnFailure',
      containers: [
        {
          name: 'c',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; done; sleep 0.3; echo err >&2; sleep 3; exit 1'],
        },
      ],
    }),
  );
  await running('talker');
  const req = { namespace: 'default', pod: 'talker', container: 'c' };
  await waitFor('all output', async () => (await readAll(await h.node.logs(req))).includes('err'));
  const tail = await readAll(await h.node.logs({ ...req, tailLines: 2 }));
  assert.equal(tail, 'line 5\nerr\n');
  const stamped = await readAll(await h.node.logs({ ...req, tailLines: 1, timestamps: true }));
  assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z err\n$/);
  assert.equal(await readAll(await h.node.logs({ ...req, limitBytes: 9 })), 'line 1\nli');
  assert.equal(
    await readAll(await h.node.logs({ ...req, sinceSeconds: 600 })),
    'line 1\nline 2\nline 3\nline 4\nline 5\nerr\n',
  );
  const future = new Date(Date.now() + 60_000).toISOString();
  assert.equal(await readAll(await h.node.logs({ ...req, sinceTime: future })), '');
  // follow ends when the container exits
  const followed = await readAll(await h.node.logs({ ...req, follow: true }));
  assert.equal(followed, 'line 1\nline 2\nline 3\nline 4\nline 5\nerr\n');

  await waitFor('a restart', () => (getPod(h, 'talker')?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  const previous = await readAll(await h.node.logs({ ...req, previous: true }));
  assert.equal(previous, 'line 1\nline 2\nline 3\nline 4\nline 5\nerr\n');

  h.store.create(PODS, pod('fresh', { containers: [sleeper('c')] }));
  await running('fresh');
  await assert.rejects(h.node.logs({ namespace: 'default', pod: 'fresh', container: 'c', previous: true }), {
    code: 400,
    reason: 'BadRequest',
    message: 'previous terminated container "c" in pod "fresh" not found',
  });
  h.store.create(PODS, pod('noimage', { containers: [{ name: 'c', image: 'kloop-test/absent:1' }] }));
  await assert.rejects(h.node.logs({ namespace: 'default', pod: 'noimage', container: 'c' }), {
    code: 400,
    message: /^container "c" in pod "noimage" is waiting to start: /,
  });
});

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

test('images missing from the local Docker: ErrImageNeverPull, and ImagePullBackOff for pull policy Always', async () => {
  h.store.create(PODS, pod('ghost-image', { containers: [{ name: 'c', image: 'kloop-test/absent:1.0' }] }));
  h.store.create(
    PODS,
    pod('ghost-always', { containers: [{ name: 'c', image: 'kloop-test/absent:1.0', imagePullPolicy: 'Always' }] }),
  );
  const never = await waitFor('ErrImageNeverPull', () => {
    const w = getPod(h, 'ghost-image')?.status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === 'ErrImageNeverPull' ? w : undefined;
  });
  assert.match(never.message!, /kloop-test\/absent:1\.0.*not present in the local Docker/);
  const always = await waitFor('ImagePullBackOff', () => {
    const w = getPod(h, 'ghost-always')?.status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === 'ImagePullBackOff' ? w : undefined;
  });
  assert.match(always.message!, /no registry/);
  assert.equal(getPod(h, 'ghost-image')?.status?.phase, 'Pending');
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

test('a new image in the pod spec restarts the container with it', async () => {
  h.store.create(PODS, pod('swap', { terminationGracePeriodSeconds: 1, containers: [sleeper('c')] }));
  const before = await running('swap');
  const changed = structuredClone(before);
  changed.spec.containers[0]!.image = 'busybox:latest';
  h.store.update(PODS, changed);
  const status = await waitFor('restarted with the new image', () => {
    const s = getPod(h, 'swap')?.status?.containerStatuses?.[0];
    return s?.image === 'busybox:latest' && s.state.running && s.restartCount === 1 ? s : undefined;
  });
  assert.notEqual(status.containerID, before.status!.containerStatuses![0]!.containerID);
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
