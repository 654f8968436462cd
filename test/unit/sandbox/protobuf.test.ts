import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeProtobuf } from '../../../sandbox/server/protobuf.ts';

// A minimal protobuf writer, enough to build the bodies client-go sends.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
};
const bytes = (field: number, value: Buffer | string) => {
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value);
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
};
const int = (field: number, value: number) => Buffer.concat([varint(field << 3), varint(value)]);
const message = (...parts: Buffer[]) => Buffer.concat(parts);
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([
    Buffer.from('k8s\0', 'binary'),
    bytes(1, message(bytes(1, apiVersion), bytes(2, kind))),
    bytes(2, raw),
    bytes(3, ''),
    bytes(4, ''),
  ]);

test("helm's empty DeleteOptions body, as captured on the wire", () => {
  const body = Buffer.from('6b3873000a130a027631120d44656c6574654f7074696f6e7312001a002200', 'hex');
  assert.deepEqual(decodeProtobuf(body), { apiVersion: 'v1', kind: 'DeleteOptions' });
});

test('a release Secret: metadata with labels, binary data, type; empty strings are unset', () => {
  const meta = message(
    bytes(1, 'sh.helm.release.v1.demo.v1'),
    bytes(3, ''),
    bytes(6, ''),
    bytes(11, message(bytes(1, 'owner'), bytes(2, 'helm'))),
    bytes(11, message(bytes(1, 'version'), bytes(2, '1'))),
    bytes(8, message(int(1, 1_700_000_000))),
  );
  const secret = message(
    bytes(1, meta),
    bytes(2, message(bytes(1, 'release'), bytes(2, Buffer.from([0, 1, 2, 255])))),
    bytes(3, 'helm.sh/release.v1'),
  );
  assert.deepEqual(decodeProtobuf(envelope('v1', 'Secret', secret)), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'sh.helm.release.v1.demo.v1',
      labels: { owner: 'helm', version: '1' },
      creationTimestamp: '2023-11-14T22:13:20Z',
    },
    data: { release: Buffer.from([0, 1, 2, 255]).toString('base64') },
    type: 'helm.sh/release.v1',
  });
});

test('DeleteOptions with a propagation policy and grace period', () => {
  const options = message(int(1, 0), bytes(4, 'Foreground'), bytes(5, 'All'));
  assert.deepEqual(decodeProtobuf(envelope('meta.k8s.io/v1', 'DeleteOptions', options)), {
    apiVersion: 'meta.k8s.io/v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 0,
    propagationPolicy: 'Foreground',
    dryRun: ['All'],
  });
});

test('`kubectl create deployment` and `kubectl create service`, as captured on the wire', () => {
  // kubectl create deployment pbd --image=busybox:1.36 --port=8080 --replicas=2 -- sleep 3600
  const deployment = Buffer.from(
    '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412d0010a1f0a0370626412001a0022002a003200380042005a0a0a036170701203706264129e010802120c0a0a0a0361707012037062641a83010a1c0a0012001a0022002a003200380042005a0a0a036170701203706264126312450a0762757379626f78120c62757379626f783a312e33361a05736c6565701a04333630302a00320b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200',
    'hex',
  );
  assert.deepEqual(decodeProtobuf(deployment), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'pbd', labels: { app: 'pbd' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'pbd' } },
      template: {
        metadata: { labels: { app: 'pbd' } },
        spec: {
          containers: [
            { name: 'busybox', image: 'busybox:1.36', command: ['sleep', '3600'], ports: [{ containerPort: 8080 }] },
          ],
        },
      },
    },
  });
  // kubectl create service clusterip pbs --tcp=80:8080 --tcp=443:https
  const service = Buffer.from(
    '6b3873000a0d0a027631120753657276696365128d010a1f0a0370627312001a0022002a003200380042005a0a0a03617070120370627312660a1b0a0738302d38303830120354435018502207080010903f1a0028000a220a093434332d6874747073120354435018bb03220b080110001a0568747470732800120a0a0361707012037062731a002209436c757374657249503a00420052005a00600068001a020a001a002200',
    'hex',
  );
  assert.deepEqual(decodeProtobuf(service), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'pbs', labels: { app: 'pbs' } },
    spec: {
      ports: [
        { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: '443-https', protocol: 'TCP', port: 443, targetPort: 'https' },
      ],
      selector: { app: 'pbs' },
      type: 'ClusterIP',
    },
  });
});

test('kinds or fields it cannot decode are a 415, as is a body without the envelope', () => {
  assert.throws(() => decodeProtobuf(envelope('v1', 'Pod', Buffer.alloc(0))), {
    code: 415,
    reason: 'UnsupportedMediaType',
  });
  // ConfigMap field 9 does not exist: refused rather than dropped.
  assert.throws(
    () => decodeProtobuf(envelope('v1', 'ConfigMap', message(bytes(1, message(bytes(1, 'c'))), bytes(9, 'x')))),
    {
      code: 415,
      message: 'the sandbox cannot decode field 9 of ConfigMap in a protobuf body; send application/json',
    },
  );
  assert.throws(() => decodeProtobuf(Buffer.from('{}')), { code: 415 });
});
