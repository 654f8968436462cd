// The dev port-forward through the sandbox's port-forward WebSocket while the process behind it
// restarts: a request made before anything listens waits for the listener instead of failing
// (the window `onSync: restart` opens on every sync), and a port that never listens still ends
// the client's connection with the kubelet's error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PortForwarder } from '../../../src/dev/port-forward.ts';
import type { PortStatus } from '../../../src/dev/store.ts';
import { resolveCredentials } from '../../../src/kube/credentials.ts';
import { createDialer, type Dialer } from '../../../src/kube/streams.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { freePort, type Sandbox, startSandbox } from './sandbox.ts';

const haveDocker = await requireDocker('the port-forward tests');

// httpd starts listening 3 s after the container starts: the pod is Running and ready before
const POD = `apiVersion: v1
kind: Pod
metadata: { name: late, labels: { app: late } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: busybox:1.36
      imagePullPolicy: Never
      command: [sh, -c, 'mkdir -p /www && echo late > /www/index.html && sleep 3 && exec httpd -f -p 8080 -h /www']
`;

describe('dev port-forward while the process restarts', {
  skip: haveDocker ? false : 'Docker is not available',
}, () => {
  let sandbox: Sandbox;
  let dialer: Dialer;
  before(async () => {
    sandbox = await startSandbox();
    dialer = createDialer(await resolveCredentials({ kubeconfig: sandbox.kubeconfig }));
  });
  after(() => sandbox?.stop());

  test('a request sent before the process listens is answered once it does', async () => {
    await sandbox.kubectlInput(POD, 'apply', '-f', '-');
    await sandbox.kubectl('wait', '--for=condition=Ready', 'pod/late', '--timeout=90s');
    const local = await freePort();
    const statuses: PortStatus[] = [];
    const pf = new PortForwarder(dialer, 'web', { local, remote: 8080 }, (s) => statuses.push(s));
    pf.setPod({ namespace: 'default', pod: 'late', container: 'web' });
    await pf.start();
    try {
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${local}/index.html`, { signal: AbortSignal.timeout(20_000) });
      assert.equal(`${res.status} ${await res.text()}`, '200 late\n');
      // the sandbox refused at least once before: the request really waited for the listener
      assert.ok(Date.now() - started >= 500, `answered after ${Date.now() - started} ms`);
    } finally {
      await pf.close();
    }
  });

  test('a port nothing listens on ends the connection with the kubelet’s error', async () => {
    const local = await freePort();
    const statuses: PortStatus[] = [];
    const pf = new PortForwarder(dialer, 'web', { local, remote: 9999 }, (s) => statuses.push(s));
    pf.setPod({ namespace: 'default', pod: 'late', container: 'web' });
    await pf.start();
    try {
      await assert.rejects(
        fetch(`http://127.0.0.1:${local}/`, { signal: AbortSignal.timeout(30_000) }),
        /fetch failed/,
      );
      assert.ok(
        statuses.some((s) => /late:9999: .*connection refused|ECONNREFUSED/i.test(s.error ?? '')),
        JSON.stringify(statuses.map((s) => s.error)),
      );
    } finally {
      await pf.close();
    }
  });
});
