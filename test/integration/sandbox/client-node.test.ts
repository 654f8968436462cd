// @kubernetes/client-node against the sandbox: list, watch (with replay), exec (WebSocket v5),
// port-forward (WebSocket v4) and logs.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { CoreV1Api, Exec, KubeConfig, Log, PortForward, type V1Status, Watch } from '@kubernetes/client-node';
import { type Sandbox, startSandbox } from '../../helpers/sandbox.ts';
import { expectTools } from '../../helpers/tools.ts';

let sb: Sandbox;
let kc: KubeConfig;
before(async () => {
  expectTools({ kubectl: true });
  sb = await startSandbox();
  kc = new KubeConfig();
  kc.loadFromFile(sb.kubeconfig);
  await sb.kubectl([
    'run',
    'srv',
    '--image=busybox:1.36',
    '--restart=Never',
    '--',
    'sh',
    '-c',
    'echo started; mkdir -p /www && echo pong > /www/index.html && exec httpd -f -p 8080 -h /www',
  ]);
  await sb.kubectl(['wait', '--for=condition=Ready', 'pod/srv', '--timeout=60s']);
});
after(() => sb?.stop());

function collect(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => Buffer.concat(chunks).toString('utf8');
  return w;
}

test('list and watch ConfigMaps, replaying from a resourceVersion', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'watched', labels: { w: 'yes' } }, data: { a: '1' } },
  });
  const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'w=yes' });
  assert.deepEqual(
    list.items.map((i) => i.metadata?.name),
    ['watched'],
  );
  const from = list.metadata?.resourceVersion;
  assert.match(String(from), /^\d+$/);
  await core.patchNamespacedConfigMap({
    namespace: 'default',
    name: 'watched',
    body: [{ op: 'replace', path: '/data/a', value: '2' }],
  });

  const events: string[] = [];
  const seen = new Promise<void>((resolve, reject) => {
    new Watch(kc)
      .watch(
        '/api/v1/namespaces/default/configmaps',
        { resourceVersion: from, labelSelector: 'w=yes', allowWatchBookmarks: true },
        (type, obj) => {
          events.push(`${type} ${obj.metadata.name} ${obj.data?.a ?? ''}`);
          if (type === 'DELETED') resolve();
        },
        (err) => (err ? reject(err) : undefined),
      )
      .then((controller) => seen.finally(() => controller.abort()))
      .catch(reject);
  });
  await new Promise((r) => setTimeout(r, 200));
  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'watched' });
  await seen;
  assert.deepEqual(events, ['MODIFIED watched 2', 'DELETED watched 2']);
});

test('exec passes stdin and reports the exit status', async () => {
  const stdout = collect();
  const stderr = collect();
  const stdin = new PassThrough();
  const status = await new Promise<V1Status>((resolve, reject) => {
    new Exec(kc)
      .exec('default', 'srv', 'srv', ['sh', '-c', 'cat; echo oops >&2; exit 4'], stdout, stderr, stdin, false, resolve)
      .catch(reject);
    stdin.end('through stdin\n');
  });
  assert.equal(stdout.text(), 'through stdin\n');
  assert.equal(stderr.text(), 'oops\n');
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'NonZeroExitCode');
  assert.deepEqual(status.details?.causes, [{ reason: 'ExitCode', message: '4' }]);
});

test('port-forward over WebSocket reaches the pod', async () => {
  const forward = new PortForward(kc);
  const server = createServer((socket) => {
    forward.portForward('default', 'srv', [8080], socket, null, socket).catch(() => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { Connection: 'close' } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'pong\n');
  } finally {
    server.close();
  }
});

test('logs', async () => {
  const out = collect();
  // client-node ends the stream when the response ends.
  const finished = new Promise<void>((resolve) => out.on('finish', () => resolve()));
  await new Log(kc).log('default', 'srv', 'srv', out, { follow: false });
  await finished;
  assert.equal(out.text(), 'started\n');
});
