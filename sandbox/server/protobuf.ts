// Decoding of the protobuf request bodies client-go 1.32 typed clients send (helm's release
// Secrets/ConfigMaps, DeleteOptions, kubectl create namespace): the `k8s\0` envelope wrapping
// runtime.Unknown, then the message by the field numbers of k8s.io/api's generated.proto.
import { ApiError } from './errors.ts';
import { kinds, type Schema, type Type } from './protobuf-schemas.ts';

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

function scalar(field: Field, type: 'string' | 'bytes' | 'int' | 'int0' | 'bool'): unknown {
  if (type === 'int' || type === 'int0') return Number(BigInt.asIntN(64, field.value as bigint));
  if (type === 'bool') return field.value !== 0n;
  const buf = field.value as Buffer;
  return type === 'string' ? buf.toString('utf8') : buf.toString('base64');
}

/** Zero values are on the wire for every non-pointer field: they mean "unset" in JSON. */
function isZero(value: unknown): boolean {
  if (value === undefined || value === '' || value === 0 || value === false) return true;
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function hasContent(field: Field): boolean {
  return Buffer.isBuffer(field.value) ? field.value.length > 0 : field.value !== 0n;
}

function decodeWith(buf: Buffer, schema: Schema, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [number, occurrences] of readMessage(buf)) {
    const spec = schema[number];
    if (!spec) {
      if (occurrences.some(hasContent)) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the sandbox cannot decode field ${number} of ${path} in a protobuf body; send application/json`,
        );
      }
      continue;
    }
    const [name, type] = spec;
    if (typeof type === 'object' && 'inline' in type) {
      Object.assign(out, decodeWith(occurrences.at(-1)!.value as Buffer, type.inline, path));
      continue;
    }
    const value = decodeType(occurrences, type, `${path}.${name}`);
    if (type === 'int0' ? value === undefined : isZero(value)) continue;
    out[name] = value;
  }
  return out;
}

function text(message: Map<number, Field[]>, field: number): string {
  return ((message.get(field)?.[0]?.value as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8');
}

function decodeType(occurrences: Field[], type: Type, path: string): unknown {
  const last = occurrences[occurrences.length - 1]!;
  if (typeof type === 'string') {
    switch (type) {
      case 'skip':
        return undefined;
      case 'time': {
        const seconds = Number(readMessage(last.value as Buffer).get(1)?.[0]?.value ?? 0n);
        return seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      }
      case 'intOrString': {
        const m = readMessage(last.value as Buffer);
        return Number(m.get(1)?.[0]?.value ?? 0n) === 1 ? text(m, 3) : Number(m.get(2)?.[0]?.value ?? 0n);
      }
      case 'quantity':
        return text(readMessage(last.value as Buffer), 1);
      default:
        return scalar(last, type);
    }
  }
  if ('map' in type) {
    const map: Record<string, unknown> = {};
    for (const entry of occurrences) {
      const e = readMessage(entry.value as Buffer);
      const raw = e.get(2);
      if (!raw) map[text(e, 1)] = '';
      else map[text(e, 1)] = type.map === 'quantity' ? decodeType(raw, 'quantity', path) : scalar(raw[0]!, type.map);
    }
    return map;
  }
  if ('repeated' in type) {
    return occurrences.map((o, i) => {
      const item = decodeType([o], type.repeated, `${path}[${i}]`);
      return item === undefined && typeof type.repeated === 'object' ? {} : item;
    });
  }
  return decodeWith(last.value as Buffer, type as Schema, path);
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
  return { apiVersion, kind, ...decodeWith(raw, schema, kind) };
}
