// Decoding of the protobuf request bodies client-go 1.32 typed clients send (helm's release
// Secrets/ConfigMaps, DeleteOptions, kubectl create namespace): the `k8s\0` envelope wrapping
// runtime.Unknown, then the message by the field numbers of k8s.io/api's generated.proto.
import { ApiError } from './errors.ts';

type Field = { wire: number; value: bigint | Buffer };

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

/** The fields of one message, by number, in wire order. */
export function readMessage(buf: Buffer): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  let pos = 0;
  while (pos < buf.length) {
    const [tag, next] = readVarint(buf, pos);
    pos = next;
    const number = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let value: bigint | Buffer;
    if (wire === 0) [value, pos] = readVarint(buf, pos);
    else if (wire === 2) {
      const [length, start] = readVarint(buf, pos);
      value = buf.subarray(start, start + Number(length));
      pos = start + Number(length);
    } else if (wire === 1) {
      value = buf.readBigUInt64LE(pos);
      pos += 8;
    } else if (wire === 5) {
      value = BigInt(buf.readUInt32LE(pos));
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = fields.get(number) ?? [];
    list.push({ wire, value });
    fields.set(number, list);
  }
  return fields;
}

type Type = 'string' | 'bytes' | 'int' | 'bool' | 'time' | Schema | { map: 'string' | 'bytes' } | { repeated: Type };
type Schema = { [field: number]: [string, Type] };

const time: Type = 'time';
const ownerReference: Schema = {
  1: ['kind', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};
const objectMeta: Schema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', time],
  9: ['deletionTimestamp', time],
  10: ['deletionGracePeriodSeconds', 'int'],
  11: ['labels', { map: 'string' }],
  12: ['annotations', { map: 'string' }],
  13: ['ownerReferences', { repeated: ownerReference }],
  14: ['finalizers', { repeated: 'string' }],
};

const kinds: Record<string, Schema> = {
  'v1/Secret': {
    1: ['metadata', objectMeta],
    2: ['data', { map: 'bytes' }],
    3: ['type', 'string'],
    4: ['stringData', { map: 'string' }],
    5: ['immutable', 'bool'],
  },
  'v1/ConfigMap': {
    1: ['metadata', objectMeta],
    2: ['data', { map: 'string' }],
    3: ['binaryData', { map: 'bytes' }],
    4: ['immutable', 'bool'],
  },
  'v1/Namespace': {
    1: ['metadata', objectMeta],
    2: ['spec', { 1: ['finalizers', { repeated: 'string' }] }],
    3: ['status', { 1: ['phase', 'string'] }],
  },
  'v1/ServiceAccount': {
    1: ['metadata', objectMeta],
    2: ['secrets', { repeated: { 1: ['kind', 'string'], 2: ['namespace', 'string'], 3: ['name', 'string'] } }],
    3: ['imagePullSecrets', { repeated: { 1: ['name', 'string'] } }],
    4: ['automountServiceAccountToken', 'bool'],
  },
  'v1/DeleteOptions': {
    1: ['gracePeriodSeconds', 'int'],
    2: ['preconditions', { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] }],
    3: ['orphanDependents', 'bool'],
    4: ['propagationPolicy', 'string'],
    5: ['dryRun', { repeated: 'string' }],
  },
};
kinds['meta.k8s.io/v1/DeleteOptions'] = kinds['v1/DeleteOptions']!;

function scalar(field: Field, type: 'string' | 'bytes' | 'int' | 'bool'): unknown {
  if (type === 'int') return Number(BigInt.asIntN(64, field.value as bigint));
  if (type === 'bool') return field.value !== 0n;
  const buf = field.value as Buffer;
  return type === 'string' ? buf.toString('utf8') : buf.toString('base64');
}

function decodeWith(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = readMessage(buf);
  for (const [number, occurrences] of fields) {
    const spec = schema[number];
    if (!spec) continue;
    const [name, type] = spec;
    const value = decodeType(occurrences, type);
    if (value === undefined || value === '') continue;
    out[name] = value;
  }
  return out;
}

function decodeType(occurrences: Field[], type: Type): unknown {
  if (typeof type === 'string') {
    const last = occurrences[occurrences.length - 1]!;
    if (type === 'time') {
      const t = readMessage(last.value as Buffer);
      const seconds = Number(t.get(1)?.[0]?.value ?? 0n);
      return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    }
    return scalar(last, type);
  }
  if ('map' in type) {
    const map: Record<string, unknown> = {};
    for (const entry of occurrences) {
      const e = readMessage(entry.value as Buffer);
      const key = (e.get(1)?.[0]?.value as Buffer | undefined)?.toString('utf8') ?? '';
      const raw = e.get(2)?.[0];
      map[key] = raw ? scalar(raw, type.map) : '';
    }
    return map;
  }
  if ('repeated' in type) {
    return occurrences.map((o) => decodeType([o], type.repeated));
  }
  return decodeWith(occurrences[occurrences.length - 1]!.value as Buffer, type as Schema);
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a `k8s\0`-prefixed body into the JSON form of the object, or answers 415. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - protobuf body lacks the k8s envelope',
    );
  }
  const unknown = readMessage(body.subarray(4));
  const typeMeta = readMessage((unknown.get(1)?.[0]?.value as Buffer | undefined) ?? Buffer.alloc(0));
  const apiVersion = (typeMeta.get(1)?.[0]?.value as Buffer | undefined)?.toString('utf8') ?? '';
  const kind = (typeMeta.get(2)?.[0]?.value as Buffer | undefined)?.toString('utf8') ?? '';
  const schema = kinds[`${apiVersion}/${kind}`];
  if (!schema) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the sandbox cannot decode protobuf bodies of ${apiVersion}/${kind}; send application/json`,
    );
  }
  const raw = (unknown.get(2)?.[0]?.value as Buffer | undefined) ?? Buffer.alloc(0);
  return { apiVersion, kind, ...decodeWith(raw, schema) };
}
