import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { KubeObject, ResourceType, Store } from '../../../../sandbox/contract.ts';
import { containerSpec, defaultPullPolicy, fullImageName } from '../../../../sandbox/node/container-spec.ts';
import { FrameParser } from '../../../../sandbox/node/docker/demux.ts';
import { ConfigError, expand, parseBytes, parseCpu } from '../../../../sandbox/node/env.ts';
import { backoffFromEnv } from '../../../../sandbox/node/index.ts';
import { createServiceIPs } from '../../../../sandbox/node/network.ts';
import { type PodView, phaseOf, podStatus, qosClass } from '../../../../sandbox/node/status.ts';
import type { ContainerStatus, Pod } from '../../../../sandbox/node/types.ts';
import { fixedTimestamp } from '../../../../sandbox/node/streams.ts';
import { prepareVolumes } from '../../../../sandbox/node/volumes.ts';

const running: ContainerStatus = {
  name: 'c',
  state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
  lastState: {},
  ready: true,
  restartCount: 0,
  image: 'busybox:1.36',
  imageID: '',
  started: true,
};
const exited = (code: number): ContainerStatus => ({
  ...running,
  ready: false,
  state: {
    terminated: { exitCode: code, reason: code ? 'Error' : 'Completed', startedAt: '', finishedAt: '' },
  },
});
const view = (statuses: ContainerStatus[], extra: Partial<PodView> = {}): PodView => ({
  startTime: '2026-01-01T00:00:00Z',
  initStatuses: [],
  statuses,
  initialized: true,
  restartPolicy: 'Always',
  initFailed: false,
  ...extra,
});

test('phase follows the kubelet: pending while waiting, running, and terminal per restartPolicy', () => {
  const waiting = { ...running, ready: false, state: { waiting: { reason: 'ContainerCreating' } } };
  assert.equal(phaseOf(view([waiting])), 'Pending');
  assert.equal(phaseOf(view([running], { initialized: false })), 'Pending');
  assert.equal(phaseOf(view([running, exited(0)])), 'Running');
  assert.equal(phaseOf(view([exited(1)], { restartPolicy: 'Always' })), 'Running');
  assert.equal(phaseOf(view([exited(0)], { restartPolicy: 'OnFailure' })), 'Succeeded');
  assert.equal(phaseOf(view([exited(2)], { restartPolicy: 'OnFailure' })), 'Running');
  assert.equal(phaseOf(view([exited(0), exited(1)], { restartPolicy: 'Never' })), 'Failed');
  assert.equal(phaseOf(view([exited(0)], { restartPolicy: 'Never' })), 'Succeeded');
  // waiting in back-off after a crash counts as stopped, not as not-yet-started
  const backoff = { ...waiting, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: exited(1).state };
  assert.equal(phaseOf(view([backoff])), 'Running');
  assert.equal(phaseOf(view([running], { initFailed: true })), 'Failed');
});

test('conditions keep their lastTransitionTime until their status changes', () => {
  const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } } as Pod;
  const first = podStatus(pod, view([{ ...running, ready: false }], { podIP: '10.1.0.2' }), 'T1');
  assert.deepEqual(
    first.conditions.map((c) => [c.type, c.status, c.lastTransitionTime]),
    [
      ['PodReadyToStartContainers', 'True', 'T1'],
      ['Initialized', 'True', 'T1'],
      ['Ready', 'False', 'T1'],
      ['ContainersReady', 'False', 'T1'],
      ['PodScheduled', 'True', 'T1'],
    ],
  );
  assert.equal(first.conditions[2]!.reason, 'ContainersNotReady');
  assert.equal(first.conditions[2]!.message, 'containers with unready status: [c]');
  const second = podStatus({ ...pod, status: first }, view([running], { podIP: '10.1.0.2' }), 'T2');
  assert.deepEqual(
    second.conditions.map((c) => [c.type, c.status, c.lastTransitionTime]),
    [
      ['PodReadyToStartContainers', 'True', 'T1'],
      ['Initialized', 'True', 'T1'],
      ['Ready', 'True', 'T2'],
      ['ContainersReady', 'True', 'T2'],
      ['PodScheduled', 'True', 'T1'],
    ],
  );
  assert.equal(second.qosClass, 'BestEffort');
});

test('qosClass: BestEffort, Burstable, Guaranteed (requests default to limits)', () => {
  assert.equal(qosClass([{ name: 'a' }]), 'BestEffort');
  assert.equal(qosClass([{ name: 'a', resources: { requests: { cpu: '100m' } } }]), 'Burstable');
  assert.equal(qosClass([{ name: 'a', resources: { limits: { cpu: '1', memory: '64Mi' } } }]), 'Guaranteed');
  assert.equal(
    qosClass([
      {
        name: 'a',
        resources: { limits: { cpu: '1', memory: '64Mi' }, requests: { cpu: '1000m', memory: '67108864' } },
      },
    ]),
    'Guaranteed',
  );
  assert.equal(
    qosClass([{ name: 'a', resources: { limits: { cpu: '1', memory: '64Mi' }, requests: { cpu: '500m' } } }]),
    'Burstable',
  );
});

test('quantities and $(VAR) expansion', () => {
  assert.equal(parseBytes('128Mi'), 128 * 2 ** 20);
  assert.equal(parseBytes('1G'), 1e9);
  assert.equal(parseBytes(512), 512);
  assert.throws(() => parseBytes('12XB'), ConfigError);
  assert.equal(parseCpu('250m'), 0.25);
  assert.equal(parseCpu(2), 2);
  const vars = new Map([['A', 'x']]);
  assert.equal(expand('$(A)-$(B)-$$(A)-$$', vars), 'x-$(B)-$(A)-$');
});

test('Docker stream frames are parsed across chunk boundaries', () => {
  const frames: Array<[number, string]> = [];
  const parser = new FrameParser((stream, payload) => frames.push([stream, payload.toString()]));
  const frame = (stream: number, text: string) => {
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(Buffer.byteLength(text), 4);
    return Buffer.concat([header, Buffer.from(text)]);
  };
  const all = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, '')]);
  for (let i = 0; i < all.length; i += 3) parser.push(all.subarray(i, i + 3));
  assert.deepEqual(frames, [
    [1, 'out\n'],
    [2, 'err\n'],
    [1, ''],
  ]);
  assert.equal(parser.pending, 0);
});

test('image pull policy defaults like the API server', () => {
  assert.equal(defaultPullPolicy('busybox'), 'Always');
  assert.equal(defaultPullPolicy('busybox:latest'), 'Always');
  assert.equal(defaultPullPolicy('localhost:5000/app'), 'Always');
  assert.equal(defaultPullPolicy('localhost:5000/app:1.2'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('app@sha256:abc'), 'IfNotPresent');
});

test('command replaces the entrypoint and drops the image CMD; args alone replace CMD', () => {
  const pod = { metadata: { name: 'p' }, spec: { containers: [] } } as unknown as Pod;
  const base = { pod, env: new Map([['WHO', 'world']]), volumes: new Map(), pauseId: 'abc', labels: {} };
  const both = containerSpec({ ...base, container: { name: 'c', image: 'i', command: ['echo'], args: ['hi $(WHO)'] } });
  assert.deepEqual([both.Entrypoint, both.Cmd], [['echo'], ['hi world']]);
  const commandOnly = containerSpec({ ...base, container: { name: 'c', image: 'i', command: ['sleep', '1'] } });
  assert.deepEqual([commandOnly.Entrypoint, commandOnly.Cmd], [['sleep', '1'], []]);
  const argsOnly = containerSpec({ ...base, container: { name: 'c', image: 'i', args: ['x'] } });
  assert.deepEqual([argsOnly.Entrypoint, argsOnly.Cmd], [undefined, ['x']]);
  const limited = containerSpec({
    ...base,
    container: { name: 'c', image: 'i', resources: { limits: { memory: '1Mi', cpu: '500m' } } },
  });
  assert.equal(limited.HostConfig.Memory, 2 ** 20);
  assert.equal(limited.HostConfig.NanoCpus, 5e8);
  assert.equal(limited.HostConfig.NetworkMode, 'container:abc');
});

test('Service IPs come from the upper half of the pod network and are reused after release', () => {
  const ips = createServiceIPs('10.201');
  const first = ips.allocate();
  assert.equal(first, '10.201.128.1');
  assert.equal(ips.allocate(), '10.201.128.2');
  assert.equal(ips.reserve('10.201.128.3'), true);
  assert.equal(ips.allocate(), '10.201.128.4');
  assert.equal(ips.reserve('10.201.0.5'), false, 'pod range');
  assert.equal(ips.contains('10.202.128.1'), false);
  ips.release(first);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(ips.allocate());
  assert.ok(!seen.has('10.201.128.2'));
  assert.ok([...seen].every((ip) => !ip.endsWith('.0') && !ip.endsWith('.255')));
});

test('CrashLoopBackOff timing comes from KLOOP_SANDBOX_BACKOFF_MS', () => {
  assert.deepEqual(backoffFromEnv({}), { initialMs: 10_000, maxMs: 300_000 });
  assert.deepEqual(backoffFromEnv({ KLOOP_SANDBOX_BACKOFF_MS: '200' }), { initialMs: 200, maxMs: 6000 });
  assert.deepEqual(backoffFromEnv({ KLOOP_SANDBOX_BACKOFF_MS: '200,1000' }), { initialMs: 200, maxMs: 1000 });
});

function storeWith(objects: KubeObject[]): Store {
  const find = (type: ResourceType, ns: string | undefined, name: string) =>
    objects.find(
      (o) => o.kind.toLowerCase() + 's' === type.resource && o.metadata.namespace === ns && o.metadata.name === name,
    );
  return { get: find } as unknown as Store;
}

test('configMap and secret volumes: keys as files, items with paths and modes, updates, missing objects', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kloop-node-unit-'));
  try {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'ns' },
      data: { a: 'A', b: 'B' },
      binaryData: { bin: Buffer.from([0, 1]).toString('base64') },
    };
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns' },
      data: { k: Buffer.from('K').toString('base64') },
    };
    const pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
      spec: {
        containers: [],
        volumes: [
          { name: 'all', configMap: { name: 'cm' } },
          { name: 'some', configMap: { name: 'cm', items: [{ key: 'b', path: 'dir/b.txt', mode: 0o600 }] } },
          { name: 'sec', secret: { secretName: 's', defaultMode: 0o440 } },
          { name: 'opt', secret: { secretName: 'absent', optional: true } },
        ],
      },
    } as unknown as Pod;
    const volumes = prepareVolumes(storeWith([cm, secret]), pod, root);
    const read = (v: string, f: string) => fs.readFileSync(path.join(volumes.get(v)!.hostPath, f));
    assert.equal(read('all', 'a').toString(), 'A');
    assert.deepEqual([...read('all', 'bin')], [0, 1]);
    assert.equal(read('some', 'dir/b.txt').toString(), 'B');
    assert.equal(fs.statSync(path.join(volumes.get('some')!.hostPath, 'dir/b.txt')).mode & 0o777, 0o600);
    assert.equal(fs.existsSync(path.join(volumes.get('some')!.hostPath, 'a')), false);
    assert.equal(read('sec', 'k').toString(), 'K');
    assert.equal(fs.statSync(path.join(volumes.get('sec')!.hostPath, 'k')).mode & 0o777, 0o440);
    assert.equal(volumes.get('all')!.readOnly, true);
    assert.deepEqual(fs.readdirSync(volumes.get('opt')!.hostPath), []);

    cm.data = { a: 'A2', b: 'B' };
    delete cm.binaryData;
    prepareVolumes(storeWith([cm, secret]), pod, root);
    assert.equal(read('all', 'a').toString(), 'A2');
    assert.equal(fs.existsSync(path.join(volumes.get('all')!.hostPath, 'bin')), false, 'removed keys disappear');

    assert.throws(
      () => prepareVolumes(storeWith([secret]), pod, root),
      (err: Error) => err instanceof ConfigError && /volume "all": configmap "cm" not found/.test(err.message),
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('log timestamps get the fixed nine fraction digits of the kubelet', () => {
  const fix = (text: string) => fixedTimestamp(Buffer.from(text)).toString();
  assert.equal(fix('2026-11-26T10:06:46.0678Z err\n'), '2026-11-26T10:06:46.067800000Z err\n');
  assert.equal(fix('2026-11-26T10:06:46Z x\n'), '2026-11-26T10:06:46.000000000Z x\n');
  assert.equal(fix('2026-11-26T10:06:46.067833681Z ok\n'), '2026-11-26T10:06:46.067833681Z ok\n');
  assert.equal(fix('no stamp\n'), 'no stamp\n');
});

test('projected and downwardAPI volumes combine configMap, secret, pod fields and a token placeholder', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kloop-node-unit-'));
  try {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'ns' },
      data: { a: 'A' },
    };
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns' },
      data: { k: Buffer.from('K').toString('base64') },
    };
    const pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u2', labels: { b: '2', a: '1' } },
      spec: {
        containers: [],
        volumes: [
          {
            name: 'all',
            projected: {
              sources: [
                { configMap: { name: 'cm' } },
                { secret: { name: 's', items: [{ key: 'k', path: 'keys/k' }] } },
                { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
                { serviceAccountToken: { path: 'token' } },
              ],
            },
          },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
      },
    } as unknown as Pod;
    const volumes = prepareVolumes(storeWith([cm, secret]), pod, root);
    const read = (v: string, f: string) => fs.readFileSync(path.join(volumes.get(v)!.hostPath, f), 'utf8');
    assert.equal(read('all', 'a'), 'A');
    assert.equal(read('all', 'keys/k'), 'K');
    assert.equal(read('all', 'name'), 'p');
    assert.match(read('all', 'token'), /no-service-account-tokens/);
    assert.equal(read('info', 'labels'), 'a="1"\nb="2"');
    assert.throws(() => prepareVolumes(storeWith([cm]), pod, root), /volume "all": secret "s" not found/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('status images are reported in full, as the runtime does', () => {
  assert.equal(fullImageName('busybox:1.36'), 'docker.io/library/busybox:1.36');
  assert.equal(fullImageName('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(fullImageName('kloop/app:abc'), 'docker.io/kloop/app:abc');
  assert.equal(fullImageName('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(fullImageName('ghcr.io/o/app:1'), 'ghcr.io/o/app:1');
  assert.equal(fullImageName('app@sha256:abc'), 'docker.io/library/app@sha256:abc');
});
