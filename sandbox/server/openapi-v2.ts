// The OpenAPI v2 document (/openapi/v2): kubectl still validates client-side against it where the
// server cannot validate for it (a `kind: List`, whose items kubectl checks one by one). kubectl
// asks for gnostic's protobuf (openapi_v2.Document); JSON is served to everyone else. The
// definitions are the v3 component schemas of every served group-version, rewritten the way the
// real server publishes v2: `$ref`s into #/definitions, and what v2 cannot say (int-or-string,
// nullable, anyOf/oneOf/not, preserved unknown fields) left open rather than refused.
import { versionInfo } from './discovery.ts';
import { schemasFor } from './openapi.ts';
import type { Registry } from './resources.ts';

type Json = Record<string, unknown>;

/** What kubectl asks for; '@' is not a token character, so the answer uses the '.v1.0' spelling. */
export const OPENAPI_V2_PROTOBUF_ACCEPT = /application\/com\.github\.proto-openapi\.spec\.v2[@.]v1\.0\+protobuf/;
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function toV2(s: Json): Json {
  if (s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-int-or-string'] === true) {
    const open: Json = {};
    if (s.description) open.description = s.description;
    for (const [k, v] of Object.entries(s)) if (k.startsWith('x-kubernetes-')) open[k] = v;
    return open;
  }
  const out: Json = {};
  const allOf = s.allOf as Json[] | undefined;
  if (allOf?.length === 1 && typeof allOf[0]!.$ref === 'string') {
    // v3's "default + allOf[$ref]" is a plain $ref in v2 (a $ref's siblings are ignored there)
    out.$ref = (allOf[0]!.$ref as string).replace('#/components/schemas/', '#/definitions/');
    if (s.description) out.description = s.description;
    return out;
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === 'nullable' || k === 'anyOf' || k === 'oneOf' || k === 'not' || k === 'allOf') continue;
    if (k === '$ref') out.$ref = (v as string).replace('#/components/schemas/', '#/definitions/');
    else if (k === 'properties')
      out.properties = Object.fromEntries(Object.entries(v as Record<string, Json>).map(([n, p]) => [n, toV2(p)]));
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) out[k] = toV2(v as Json);
    else out[k] = v;
  }
  if (s.nullable === true) delete out.type;
  return out;
}

export function openapiV2(registry: Registry): Json {
  const definitions: Record<string, Json> = {};
  for (const g of registry.groups()) {
    const infos = registry.all().filter((i) => i.group === g.group && i.version === g.version);
    for (const [name, schema] of Object.entries(schemasFor(g.group, g.version, infos))) {
      definitions[name] = toV2(schema as Json);
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: versionInfo.gitVersion },
    paths: {},
    definitions,
  };
}

// ---- gnostic openapi_v2 protobuf, by the field numbers of OpenAPIv2.proto ----

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

class Writer {
  private parts: Buffer[] = [];
  bytes(field: number, data: Buffer): this {
    this.parts.push(Buffer.from([...varint((field << 3) | 2), ...varint(data.length)]), data);
    return this;
  }
  string(field: number, s: unknown): this {
    return typeof s === 'string' && s !== '' ? this.bytes(field, Buffer.from(s, 'utf8')) : this;
  }
  int(field: number, n: unknown): this {
    if (typeof n === 'number') this.parts.push(Buffer.from([...varint(field << 3), ...varint(Math.trunc(n))]));
    return this;
  }
  bool(field: number, b: unknown): this {
    if (b === true) this.parts.push(Buffer.from([...varint(field << 3), 1]));
    return this;
  }
  double(field: number, n: unknown): this {
    if (typeof n !== 'number') return this;
    const b = Buffer.alloc(8);
    b.writeDoubleLE(n);
    this.parts.push(Buffer.from(varint((field << 3) | 1)), b);
    return this;
  }
  message(field: number, w: Writer | undefined): this {
    return w ? this.bytes(field, w.done()) : this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** openapi_v2.Any: the value as YAML text (JSON is YAML). */
const any = (value: unknown) => new Writer().string(2, JSON.stringify(value));

function schemaMessage(s: Json): Writer {
  const w = new Writer().string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description);
  if (s.default !== undefined) w.message(5, any(s.default));
  w.double(6, s.multipleOf)
    .double(7, s.maximum)
    .bool(8, s.exclusiveMaximum)
    .double(9, s.minimum)
    .bool(10, s.exclusiveMinimum)
    .int(11, s.maxLength)
    .int(12, s.minLength)
    .string(13, s.pattern)
    .int(14, s.maxItems)
    .int(15, s.minItems)
    .bool(16, s.uniqueItems)
    .int(17, s.maxProperties)
    .int(18, s.minProperties);
  for (const r of (s.required as string[] | undefined) ?? []) w.string(19, r);
  for (const e of (s.enum as unknown[] | undefined) ?? []) w.message(20, any(e));
  if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) {
    w.message(21, new Writer().message(1, schemaMessage(s.additionalProperties as Json)));
  } else if (typeof s.additionalProperties === 'boolean') {
    w.message(21, new Writer().bool(2, s.additionalProperties));
  }
  if (typeof s.type === 'string') w.message(22, new Writer().string(1, s.type));
  if (s.items && typeof s.items === 'object') w.message(23, new Writer().message(1, schemaMessage(s.items as Json)));
  if (s.properties) {
    const props = new Writer();
    for (const [name, p] of Object.entries(s.properties as Record<string, Json>)) {
      props.message(1, new Writer().string(1, name).message(2, schemaMessage(p)));
    }
    w.message(25, props);
  }
  w.bool(27, s.readOnly);
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-')) w.message(31, new Writer().string(1, k).message(2, any(v)));
  }
  return w;
}

export function openapiV2Protobuf(doc: Json): Buffer {
  const info = doc.info as Json;
  const definitions = new Writer();
  for (const [name, s] of Object.entries(doc.definitions as Record<string, Json>)) {
    definitions.message(1, new Writer().string(1, name).message(2, schemaMessage(s)));
  }
  return new Writer()
    .string(1, doc.swagger)
    .message(2, new Writer().string(1, info.title).string(2, info.version))
    .message(8, new Writer())
    .message(9, definitions)
    .done();
}
