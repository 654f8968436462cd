// Unknown fields in built-in kinds (what `kubectl apply --validate=strict`, the default, rejects):
// objects are walked against the field lists of @kubernetes/client-node's generated models, loaded
// one type at a time so only the kinds a render contains cost anything.
interface Attribute {
  baseName: string;
  type: string;
}
type Model = { attributeTypeMap?: Attribute[] };

const MODELS = '@kubernetes/client-node/dist/gen/models';
const loaded = new Map<string, Attribute[] | null>();

async function attributes(type: string): Promise<Attribute[] | null> {
  if (loaded.has(type)) return loaded.get(type)!;
  let attrs: Attribute[] | null = null;
  if (/^[A-Za-z0-9]+$/.test(type)) {
    try {
      const mod = (await import(`${MODELS}/${type}.js`)) as Record<string, Model>;
      attrs = mod[type]?.attributeTypeMap ?? null;
    } catch {
      attrs = null;
    }
  }
  loaded.set(type, attrs);
  return attrs;
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The generated model of an apiVersion/kind: V1Deployment, or group-qualified (CoreV1Event, EventsV1Event). */
async function rootType(apiVersion: string, kind: string): Promise<string | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!version) return undefined;
  const v = pascal(version);
  const prefix = group ? pascal(group.split('.')[0]!) : 'Core';
  for (const name of [`${prefix}${v}${kind}`, `${v}${kind}`]) {
    const attrs = await attributes(name);
    if (attrs?.some((a) => a.baseName === 'kind') && attrs.some((a) => a.baseName === 'metadata')) return name;
  }
  return undefined;
}

const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

async function walk(value: unknown, type: string, at: string, out: string[]): Promise<void> {
  if (value === null || value === undefined) return;
  const array = ARRAY.exec(type);
  if (array) {
    if (Array.isArray(value)) for (const [i, v] of value.entries()) await walk(v, array[1]!, `${at}[${i}]`, out);
    return;
  }
  const map = MAP.exec(type);
  if (map) {
    if (typeof value === 'object')
      for (const [k, v] of Object.entries(value)) await walk(v, map[1]!, `${at}.${k}`, out);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return; // type errors are the schema check's job
  const attrs = await attributes(type);
  if (!attrs) return; // a primitive (string, any, IntOrString, Date ...)
  const fields = new Map(attrs.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    const fieldType = fields.get(k);
    const path = at ? `${at}.${k}` : k;
    if (fieldType === undefined) out.push(path);
    else await walk(v, fieldType, path, out);
  }
}

/** Field paths no Kubernetes model declares; undefined when the kind is not a built-in one. */
export async function unknownFields(o: { apiVersion: string; kind: string }): Promise<string[] | undefined> {
  const type = await rootType(o.apiVersion, o.kind);
  if (!type) return undefined;
  const out: string[] = [];
  await walk(o, type, '', out);
  return out;
}

interface StructuralSchema {
  type?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema | boolean;
  items?: StructuralSchema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

function walkSchema(value: unknown, schema: StructuralSchema | undefined, at: string, out: string[]): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walkSchema(v, schema.items, `${at}[${i}]`, out);
    return;
  }
  if (schema['x-kubernetes-preserve-unknown-fields']) return;
  const props = schema.properties;
  const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  if (!props && (extra || schema.additionalProperties === true)) {
    for (const [k, v] of Object.entries(value)) walkSchema(v, extra, `${at}.${k}`, out);
    return;
  }
  if (!props) return;
  for (const [k, v] of Object.entries(value)) {
    const path = at ? `${at}.${k}` : k;
    // embedded resources carry their own apiVersion/kind/metadata
    const embedded = schema['x-kubernetes-embedded-resource'] && ['apiVersion', 'kind', 'metadata'].includes(k);
    if (props[k]) walkSchema(v, props[k], path, out);
    else if (!embedded) out.push(path);
  }
}

/**
 * Field paths a CRD's structural schema does not declare (the API server prunes or, with strict
 * field validation, rejects them). apiVersion, kind and metadata are always allowed at the top.
 */
export function unknownCustomFields(o: Record<string, unknown>, schema: object): string[] {
  const out: string[] = [];
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = o;
  const root = schema as StructuralSchema;
  walkSchema(rest, { ...root, properties: { ...root.properties } }, '', out);
  return out;
}
