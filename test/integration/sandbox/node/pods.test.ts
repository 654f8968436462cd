import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONFIGMAPS, PODS, SECRETS } from '../../../../sandbox/node/types.ts';
import { getPod, type Harness, pod, readAll, run, runningPod, sleeper, startNode, waitFor } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startNode({ backoffMs: 400 });
});
after(async () => {
  await h?.close();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const running = (name: string) => runningPod(h, name);

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

test('a new image in the pod spec restarts the container with it', async () => {
  h.store.create(PODS, pod('swap', { terminationGracePeriodSeconds: 1, containers: [sleeper('c')] }));
  const before = await running('swap');
  const changed = structuredClone(before);
  changed.spec.containers[0]!.image = 'busybox:latest';
  h.store.update(PODS, changed);
  const status = await waitFor('restarted with the new image', () => {
    const s = getPod(h, 'swap')?.status?.containerStatuses?.[0];
    return s?.image === 'docker.io/library/busybox:latest' && s.state.running && s.restartCount === 1 ? s : undefined;
  });
  assert.notEqual(status.containerID, before.status!.containerStatuses![0]!.containerID);
});
