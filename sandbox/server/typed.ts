// Built-in kinds decoded as kube-apiserver's JSON decoder decodes them into Go structs: the first
// type mismatch in document order is a `json: cannot unmarshal …` error, and fields the Go types
// do not declare are unknown fields (refused, warned about or dropped per `fieldValidation`).
//
// One generic walker, no per-kind code. Two bundled descriptions of the same OpenAPI drive it:
// - kubernetes-models' JSON-schema validators decide *whether* a value has the wrong JSON type
//   (they know which strings are really quantities or int-or-strings, which accept numbers);
// - @kubernetes/client-node's generated models (`attributeTypeMap`: field name, TypeScript type,
//   format) give the Go struct names, Go types and the set of declared fields the messages need.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Attribute {
  baseName: string;
  type: string;
  format: string;
}

const MODELS = '@kubernetes/client-node/dist/gen/models';
const attributesCache = new Map<string, Map<string, Attribute> | null>();

function attributes(type: string): Map<string, Attribute> | null {
  const cached = attributesCache.get(type);
  if (cached !== undefined) return cached;
  let attrs: Map<string, Attribute> | null = null;
  if (/^[A-Za-z0-9]+$/.test(type)) {
    try {
      const mod = require(`${MODELS}/${type}.js`) as Record<string, { attributeTypeMap?: Attribute[] }>;
      const list = mod[type]?.attributeTypeMap;
      if (list) attrs = new Map(list.map((a) => [a.baseName, a]));
    } catch {
      attrs = null;
    }
  }
  attributesCache.set(type, attrs);
  return attrs;
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const rootCache = new Map<string, string | null>();

/** The generated model of a built-in apiVersion/kind (V1Deployment, CoreV1Event, EventsV1Event …). */
export function rootType(apiVersion: string, kind: string): string | undefined {
  const key = `${apiVersion}/${kind}`;
  if (rootCache.has(key)) return rootCache.get(key) ?? undefined;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  let found: string | null = null;
  if (version) {
    const v = pascal(version);
    const prefix = group ? pascal(group.split('.')[0]!) : 'Core';
    for (const name of [`${prefix}${v}${kind}`, `${v}${kind}`]) {
      const attrs = attributes(name);
      if (attrs?.has('kind') && attrs.has('metadata')) {
        found = name;
        break;
      }
    }
  }
  rootCache.set(key, found);
  return found ?? undefined;
}

/** The fields of a generated model, for the OpenAPI documents. */
export function modelAttributes(type: string): Attribute[] | undefined {
  const attrs = attributes(type);
  return attrs ? [...attrs.values()] : undefined;
}

const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

/** V1EnvVar → [v1, EnvVar]; V1beta1X → [v1beta1, X]; CoreV1Event → [v1, Event]. */
export function goName(model: string): [pkg: string, name: string] {
  const m = /^(?:[A-Z][a-z]+)?(V\d+(?:(?:alpha|beta)\d+)?)([A-Z].*)$/.exec(model);
  return m ? [m[1]!.toLowerCase(), m[2]!] : ['v1', model];
}

/** The Go type a JSON value decodes into, as reflect prints it. */
function goType(type: string, format = ''): string {
  const array = ARRAY.exec(type);
  if (array) return `[]${goType(array[1]!, format)}`;
  const map = MAP.exec(type);
  if (map) return `map[string]${goType(map[1]!, format)}`;
  switch (type) {
    case 'string':
      return format === 'byte' ? '[]uint8' : 'string';
    case 'number':
      return format === 'int32' ? 'int32' : format === 'int64' ? 'int64' : 'float64';
    case 'boolean':
      return 'bool';
    case 'Date':
      return format === 'date-time-micro' ? 'v1.MicroTime' : 'v1.Time';
    case 'IntOrString':
      return 'intstr.IntOrString';
    case 'any':
    case 'object':
      return 'interface {}';
    default: {
      const [pkg, name] = goName(type);
      return `${pkg}.${name}`;
    }
  }
}

function jsonKind(value: unknown): string {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

const QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

interface Located {
  /** the struct holding the field, as Go names it ("EnvVar") */
  struct: string;
  /** JSON names of the struct fields from the root, without indices or map keys */
  field: string[];
  type: string;
  format: string;
}

/** Follows a JSON pointer through the generated models. */
function locate(root: string, pointer: string[]): Located | undefined {
  let type = root;
  let format = '';
  let struct = goName(root)[1];
  const field: string[] = [];
  let owner = struct;
  for (const segment of pointer) {
    const array = ARRAY.exec(type);
    const map = MAP.exec(type);
    // elements keep the field's format (a Secret's data values are bytes)
    if (array || map) {
      type = (array ?? map)![1]!;
      continue;
    }
    const attrs = attributes(type);
    const attr = attrs?.get(segment);
    if (!attr) return undefined;
    owner = goName(type)[1];
    field.push(segment);
    type = attr.type;
    format = attr.format;
  }
  struct = owner;
  return { struct, field, type, format };
}

/** JSON pointers of every value in document order, so the first error is the one Go reports. */
function documentOrder(value: unknown, at = '', out = new Map<string, number>()): Map<string, number> {
  out.set(at, out.size);
  if (value && typeof value === 'object') {
    if (Array.isArray(value)) for (const [i, v] of value.entries()) documentOrder(v, `${at}/${i}`, out);
    else for (const [k, v] of Object.entries(value)) documentOrder(v, `${at}/${escapePointer(k)}`, out);
  }
  return out;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function valueAt(value: unknown, pointer: string[]): unknown {
  let v = value;
  for (const s of pointer) v = (v as Record<string, unknown> | undefined)?.[s];
  return v;
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

interface Model {
  new (data: unknown): { validate(): void };
  kind?: string;
}
const modelCache = new Map<string, Model | null>();

async function modelFor(apiVersion: string, kind: string): Promise<Model | null> {
  const key = `${apiVersion}/${kind}`;
  const cached = modelCache.get(key);
  if (cached !== undefined) return cached;
  let model: Model | null = null;
  if (/^[a-zA-Z0-9.-]+(\/[a-z0-9]+)?$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    try {
      // the package only has `import` exports
      const mod = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, Model>;
      model = mod[kind]?.kind === kind ? mod[kind]! : null;
    } catch {
      model = null;
    }
  }
  modelCache.set(key, model);
  return model;
}

/**
 * The error Go's JSON decoder reports for the first value of the wrong JSON type, in document
 * order (`json: cannot unmarshal bool into Go struct field EnvVar.spec.template.spec.containers.env.value
 * of type string`), or undefined when every value has a type its field accepts.
 */
export async function typeError(
  apiVersion: string,
  kind: string,
  object: Record<string, unknown>,
): Promise<string | undefined> {
  const root = rootType(apiVersion, kind);
  const model = root ? await modelFor(apiVersion, kind) : null;
  if (!root || !model) return undefined;
  let errors: SchemaError[] = [];
  try {
    new model({ ...object, apiVersion, kind }).validate();
  } catch (error) {
    errors = ((error as { errors?: SchemaError[] }).errors ?? []).filter(
      (e) => e.keyword === 'type' || e.keyword === 'oneOf',
    );
  }
  if (errors.length === 0) return undefined;
  const order = documentOrder(object);
  const byPath = new Map<string, SchemaError[]>();
  for (const e of errors) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const first = [...byPath.keys()].sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9))[0]!;
  const pointer = first.split('/').slice(1).map(unescapePointer);
  const value = valueAt(object, pointer);
  if (value === null || value === undefined) return undefined;
  const oneOf = byPath.get(first)!.some((e) => e.keyword === 'oneOf');
  const at = locate(root, pointer);
  if (oneOf) {
    // int-or-string and quantity have their own UnmarshalJSON
    if (at?.type === 'IntOrString') return `json: cannot unmarshal ${jsonKind(value)} into Go value of type int32`;
    return QUANTITY_ERROR;
  }
  if (!at) return undefined;
  let value_ = jsonKind(value);
  const type = goType(at.type, at.format);
  if (typeof value === 'number' && /^u?int/.test(type)) value_ = `number ${goNumber(value)}`;
  if (at.type === 'Date') return `json: cannot unmarshal ${value_} into Go value of type string`;
  if (at.field.length === 0) return `json: cannot unmarshal ${value_} into Go value of type ${type}`;
  return `json: cannot unmarshal ${value_} into Go struct field ${at.struct}.${at.field.join('.')} of type ${type}`;
}

function goNumber(n: number): string {
  return String(n).replace(/e\+?/, 'e+').replace('e+-', 'e-');
}

export interface UnknownField {
  /** as sigs.k8s.io/json reports it: `spec.template.spec.containers[0].foo` */
  path: string;
  /** JSON pointer segments, for pruning and for server-side apply's paths */
  pointer: Array<string | number>;
}

/** Fields no generated model declares, in document order; undefined for kinds that are not built in. */
export function unknownFields(
  apiVersion: string,
  kind: string,
  object: Record<string, unknown>,
): UnknownField[] | undefined {
  const root = rootType(apiVersion, kind);
  if (!root) return undefined;
  const out: UnknownField[] = [];
  walk(object, root, '', [], out);
  return out;
}

function walk(value: unknown, type: string, at: string, pointer: Array<string | number>, out: UnknownField[]): void {
  if (value === null || value === undefined || typeof value !== 'object') return;
  const array = ARRAY.exec(type);
  if (array) {
    if (Array.isArray(value))
      for (const [i, v] of value.entries()) walk(v, array[1]!, `${at}[${i}]`, [...pointer, i], out);
    return;
  }
  const map = MAP.exec(type);
  if (map) {
    if (!Array.isArray(value))
      for (const [k, v] of Object.entries(value)) walk(v, map[1]!, `${at}[${k}]`, [...pointer, k], out);
    return;
  }
  if (Array.isArray(value)) return;
  const attrs = attributes(type);
  if (!attrs) return; // string, any, IntOrString, Date …
  for (const [k, v] of Object.entries(value)) {
    const attr = attrs.get(k);
    const path = at ? `${at}.${k}` : k;
    if (!attr) out.push({ path, pointer: [...pointer, k] });
    else walk(v, attr.type, path, [...pointer, k], out);
  }
}

/** Removes unknown fields, as the decoder drops them whatever the field validation. */
export function prune(object: Record<string, unknown>, unknown: UnknownField[]): void {
  for (const { pointer } of unknown) {
    let parent: unknown = object;
    for (const s of pointer.slice(0, -1)) parent = (parent as Record<string | number, unknown> | undefined)?.[s];
    if (parent && typeof parent === 'object') delete (parent as Record<string | number, unknown>)[pointer.at(-1)!];
  }
}

/** `fmt.Sprintf("%+v", m)` of a decoded JSON value, as the API server prints a patch. */
export function goFormat(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goFormat(v)}`).join(' ')}]`;
  }
  if (typeof value === 'number') return goNumber(value);
  return String(value);
}
