// Port-forward connections end when the target pod is deleted, as a real kubelet tears them down:
// kubectl port-forward (SPDY) exits with "lost connection to pod", a WebSocket v4 client sees the close.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { type Sandbox, startSandbox } from '../../helpers/sandbox.ts';
import { expectTools } from '../../helpers/tools.ts';

let sb: Sandbox;
before(async () => {
  expectTools({ kubectl: true });
  sb = await startSandbox();
});
after(() => sb?.stop());

// Each accepted connection gets a greeting and is then held open: only the pod's death ends it.
async function server(name: string): Promise<void> {
  await sb.kubectl([
    'run',
    name,
    '--image=busybox:1.36',
    '--restart=Never',
    '--',
    'sh',
    '-c',
    'while true; do (echo hello; sleep 3600) | nc -l -p 8080; done',
  ]);
  await sb.kubectl(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=60s']);
}

/** Rejects after `ms` so that a connection left open fails the test instead of hanging it. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

test('kubectl port-forward exits with "lost connection to pod" when the pod is deleted', async () => {
  await server('pf-spdy');
  const child = spawn('kubectl', ['--kubeconfig', sb.kubeconfig, 'port-forward', 'pod/pf-spdy', ':8080'], {
    env: sb.env,
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`port-forward exited ${code}: ${out}${stderr}`)));
    });
    const client = net.connect(port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => {});
    const greeting = await new Promise<string>((resolve) => client.once('data', (d) => resolve(String(d))));
    assert.equal(greeting, 'hello\n');

    await sb.kubectl(['delete', 'pod', 'pf-spdy', '--grace-period=1', '--wait=true']);
    await within(20_000, 'the forwarded connection closing', closed);
    const code = await within(20_000, 'kubectl port-forward exiting', exited);
    assert.equal(code, 1);
    assert.match(stderr, /lost connection to pod/);
  } finally {
    child.kill();
  }
});

test('a WebSocket v4 port-forward is closed when the pod is deleted', async () => {
  await server('pf-ws');
  const ws = new WebSocket(
    `wss://127.0.0.1:${sb.port}/api/v1/namespaces/default/pods/pf-ws/portforward?ports=8080`,
    'v4.channel.k8s.io',
    { ca: sb.ca, headers: { Authorization: `Bearer ${sb.token}` } },
  );
  const received: Buffer[] = [];
  const greeted = new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      // Channel 0 is the data of port 8080; its first 2 bytes are the port number.
      if (data[0] !== 0) return;
      received.push(data.subarray(1));
      if (Buffer.concat(received).subarray(2).toString() === 'hello\n') resolve();
    });
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  ws.on('error', () => {});
  try {
    await within(20_000, 'the greeting through the WebSocket', greeted);
    await sb.kubectl(['delete', 'pod', 'pf-ws', '--grace-period=1', '--wait=true']);
    // Usually the container's socket closing gets here first; the pod's deletion closes it regardless.
    const close = await within(20_000, 'the WebSocket closing', closed);
    assert.equal(close.code, 1000);
  } finally {
    ws.terminate();
  }
});
