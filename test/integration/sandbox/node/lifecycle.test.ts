import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { createDockerNode } from '../../../../sandbox/node/index.ts';
import { PODS, SERVICES } from '../../../../sandbox/node/types.ts';
import { Registry } from '../../../../sandbox/server/resources.ts';
import { MemoryStore } from '../../../../sandbox/store/store.ts';
import { getPod, LABEL_KEY, pod, readAll, startNode, waitFor } from './harness.ts';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

test('two sandboxes run side by side on different subnets; stop() leaves no container or network behind', async () => {
  const a = await startNode();
  const b = await startNode();
  try {
    const ipA = a.node.allocateServiceIP();
    const ipB = b.node.allocateServiceIP();
    assert.notEqual(ipA.split('.').slice(0, 2).join('.'), ipB.split('.').slice(0, 2).join('.'));
    assert.notEqual(a.node.allocateServiceIP(), ipA, 'each allocation is a new address');
    for (const h of [a, b]) {
      h.store.create(
        PODS,
        pod(
          'p',
          { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
          { labels: { app: 'p' } },
        ),
      );
    }
    a.store.create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'default' },
      spec: { clusterIP: ipA, selector: { app: 'p' }, ports: [{ port: 80 }] },
    });
    await waitFor('pods running', () => [a, b].every((h) => getPod(h, 'p')?.status?.phase === 'Running'));
    await waitFor('service proxy', () =>
      docker(
        'ps',
        '-q',
        '--filter',
        `label=${LABEL_KEY}=${a.instance}`,
        '--filter',
        'label=kloop.sandbox/role=service-proxy',
      ),
    );
    assert.notEqual(getPod(a, 'p')?.status?.podIP, undefined);
  } finally {
    await a.close();
    await b.close();
  }
  for (const h of [a, b]) {
    assert.equal(docker('ps', '-aq', '--filter', `label=${LABEL_KEY}=${h.instance}`), '');
    assert.equal(docker('network', 'ls', '-q', '--filter', `label=${LABEL_KEY}=${h.instance}`), '');
  }
});

test('allocating a Service IP before start() says what to do', () => {
  const node = createDockerNode({
    store: new MemoryStore(new Registry()),
    networkName: 'unused',
    instanceLabel: { key: LABEL_KEY, value: 'never-started' },
    log: () => {},
  });
  assert.throws(() => node.allocateServiceIP(), /not started: await node.start\(\) first/);
});

test('a container over its memory limit is OOMKilled; attach streams the main process', async () => {
  const h = await startNode({ backoffMs: 60_000 });
  try {
    h.store.create(
      PODS,
      pod('hog', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'busybox:1.36',
            command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'],
            resources: { limits: { memory: '32Mi' } },
          },
        ],
      }),
    );
    const hog = await waitFor('hog finished', () => {
      const p = getPod(h, 'hog');
      return p?.status?.phase === 'Failed' ? p : undefined;
    });
    assert.equal(hog.status!.containerStatuses![0]!.state.terminated?.reason, 'OOMKilled');
    assert.equal(hog.status!.qosClass, 'Burstable');

    h.store.create(
      PODS,
      pod('echo', {
        containers: [
          {
            name: 'c',
            image: 'busybox:1.36',
            command: ['sh', '-c', 'read line; echo "got $line"; exit 5'],
            stdin: true,
          },
        ],
      }),
    );
    await waitFor('echo running', () => getPod(h, 'echo')?.status?.containerStatuses?.[0]?.state.running);
    const proc = await h.node.exec({
      namespace: 'default',
      pod: 'echo',
      container: 'c',
      command: [],
      stdin: true,
      tty: false,
      attach: true,
    });
    const out = readAll(proc.stdout);
    proc.stdin!.write('hi\n');
    assert.equal(await proc.exited, 5);
    assert.equal(await out, 'got hi\n');
  } finally {
    await h.close();
  }
});
