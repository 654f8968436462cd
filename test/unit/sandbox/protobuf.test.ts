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

test('kinds it cannot decode are a 415, as is a body without the envelope', () => {
  assert.throws(() => decodeProtobuf(envelope('apps/v1', 'Deployment', Buffer.alloc(0))), {
    code: 415,
    reason: 'UnsupportedMediaType',
  });
  assert.throws(() => decodeProtobuf(Buffer.from('{}')), { code: 415 });
});
