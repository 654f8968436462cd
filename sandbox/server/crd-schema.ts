// Custom resources checked against their CRD's openAPIV3Schema (types, required, enum, bounds,
// patterns) with ajv, answered in the apiextensions-apiserver's words: `spec.size: Invalid
// value: "string": spec.size in body must be of type integer: "string"`.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { StatusCause } from './errors.ts';

type Schema = Record<string, unknown>;

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction | null>();

/** OpenAPI's Kubernetes extensions as JSON Schema: int-or-string is an integer or a string. */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema as Schema)) {
    if (k === 'default' || k === 'example' || k.startsWith('x-kubernetes-validations')) continue;
    out[k] = k === 'enum' ? v : toJsonSchema(v);
  }
  if ((schema as Schema)['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}

function validatorFor(schema: object): ValidateFunction | null {
  const key = JSON.stringify(schema);
  if (compiled.has(key)) return compiled.get(key)!;
  ajv ??= new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false, addUsedSchema: false });
  let fn: ValidateFunction | null = null;
  try {
    fn = ajv.compile(toJsonSchema(schema) as object);
  } catch {
    fn = null; // a schema ajv cannot compile is not enforced, rather than failing every write
  }
  compiled.set(key, fn);
  return fn;
}

function fieldOf(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? 'null');
}

function valueAt(object: unknown, instancePath: string): unknown {
  let v = object;
  for (const p of instancePath.split('/').slice(1))
    v = (v as Record<string, unknown> | undefined)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

function cause(e: ErrorObject, object: unknown): StatusCause | undefined {
  const value = valueAt(object, e.instancePath);
  const field = fieldOf(e.instancePath);
  const params = e.params as Record<string, unknown>;
  const invalid = (detail: string, shown: unknown = value): StatusCause => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${quote(shown)}: ${field} in body ${detail}`,
    field,
  });
  switch (e.keyword) {
    case 'type':
      return invalid(`must be of type ${params.type}: ${quote(typeName(value))}`, typeName(value));
    case 'required':
      return {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: fieldOf(e.instancePath, String(params.missingProperty)),
      };
    case 'enum':
      return {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${quote(value)}: supported values: ${(params.allowedValues as unknown[]).map(quote).join(', ')}`,
        field,
      };
    case 'minimum':
      return invalid(`should be greater than or equal to ${params.limit}`);
    case 'maximum':
      return invalid(`should be less than or equal to ${params.limit}`);
    case 'pattern':
      return invalid(`should match '${params.pattern}'`);
    case 'minLength':
      return invalid(`should be at least ${params.limit} chars long`);
    case 'maxLength':
      return invalid(`may not be longer than ${params.limit}`);
    case 'minItems':
      return invalid(`should have at least ${params.limit} items`);
    case 'maxItems':
      return invalid(`must have at most ${params.limit} items`);
    default:
      return undefined;
  }
}

/** Causes for a 422, empty when the object satisfies its schema; metadata is the API's own. */
export function crdSchemaCauses(schema: object, object: Record<string, unknown>): StatusCause[] {
  const fn = validatorFor(schema);
  if (!fn) return [];
  const { metadata: _m, ...rest } = object;
  if (fn(rest)) return [];
  const causes: StatusCause[] = [];
  for (const e of fn.errors ?? []) {
    const c = cause(e, rest);
    if (c && !causes.some((x) => x.field === c.field && x.message === c.message)) causes.push(c);
  }
  return causes;
}

/**
 * Structural defaulting, as the apiextensions-apiserver does after pruning and before validation:
 * a property missing from the object (or null where the schema is not nullable) gets the schema's
 * `default`, and defaulting goes on inside it, through `items` and `additionalProperties` too.
 */
export function applyCrdDefaults(schema: unknown, value: unknown): void {
  if (!schema || typeof schema !== 'object' || !value || typeof value !== 'object') return;
  const s = schema as Schema;
  if (Array.isArray(value)) {
    for (const item of value) applyCrdDefaults(s.items, item);
    return;
  }
  const object = value as Record<string, unknown>;
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  for (const [name, p] of Object.entries(properties)) {
    const missing = object[name] === undefined || (object[name] === null && p.nullable !== true);
    if (missing && p.default !== undefined) object[name] = structuredClone(p.default);
    applyCrdDefaults(p, object[name]);
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    for (const [name, v] of Object.entries(object))
      if (!(name in properties)) applyCrdDefaults(s.additionalProperties, v);
  }
}
