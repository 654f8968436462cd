// OpenAPI v3 schemas for the group-version documents (kubectl explain, client-side validation):
// built-in kinds from @kubernetes/client-node's generated models (fields, types and formats from
// `attributeTypeMap`, descriptions and required fields from the models' declarations, which carry
// the OpenAPI descriptions as doc comments); custom resources from their CRD's openAPIV3Schema.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ResourceInfo } from './resources.ts';
import { goName, modelAttributes, rootType } from './typed.ts';

type Schema = Record<string, unknown>;
const require = createRequire(import.meta.url);
let modelsDir: string | undefined;

interface Docs {
  description?: string;
  fields: Map<string, string>;
  required: string[];
}

/** Descriptions and required fields from a model's `.d.ts` (doc comments above each field). */
function docsOf(model: string): Docs {
  const docs: Docs = { fields: new Map(), required: [] };
  try {
    modelsDir ??= join(require.resolve('@kubernetes/client-node/dist/gen/models/V1Pod.js'), '..');
    const text = readFileSync(join(modelsDir, `${model}.d.ts`), 'utf8');
    const clean = (c: string) =>
      c
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, '').trim())
        .filter(Boolean)
        .join('\n');
    const cls = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*export declare class ${model}\\b`).exec(text);
    if (cls) docs.description = clean(cls[1]!);
    const field = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?'([^']+)'(\??):/g;
    const body = text.slice(text.indexOf(`export declare class ${model}`));
    for (const m of body.matchAll(field)) {
      if (m[1]) docs.fields.set(m[2]!, clean(m[1]));
      if (!m[3]) docs.required.push(m[2]!);
    }
  } catch {
    // no declarations: fields without descriptions
  }
  return docs;
}

const meta = new Set([
  'ObjectMeta',
  'ListMeta',
  'LabelSelector',
  'LabelSelectorRequirement',
  'ManagedFieldsEntry',
  'OwnerReference',
  'Condition',
  'Status',
  'StatusDetails',
  'StatusCause',
]);

/** io.k8s.api.<package>.<version>: the real documents' prefix for a group's types. */
function packagePrefix(group: string, version: string): string {
  if (group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}`;
  return `io.k8s.api.${group ? group.split('.')[0] : 'core'}.${version}`;
}

const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

class Collector {
  schemas: Record<string, Schema> = {};
  private names = new Map<string, string>();
  private prefix: string;
  constructor(prefix: string) {
    this.prefix = prefix;
  }

  nameOf(model: string): string {
    let name = this.names.get(model);
    if (!name) {
      const [pkg, short] = goName(model);
      name = meta.has(short)
        ? `io.k8s.apimachinery.pkg.apis.meta.v1.${short}`
        : `${this.prefix.replace(/\.v[^.]+$/, '')}.${pkg}.${short}`;
      while ([...this.names.values()].includes(name)) name += '_';
      this.names.set(model, name);
      this.add(model, name);
    }
    return name;
  }

  private add(model: string, name: string): void {
    const attrs = modelAttributes(model) ?? [];
    const docs = docsOf(model);
    const schema: Schema = { type: 'object' };
    if (docs.description) schema.description = docs.description;
    this.schemas[name] = schema;
    const properties: Record<string, Schema> = {};
    for (const a of attrs) {
      const p = this.property(a.type, a.format);
      const description = docs.fields.get(a.baseName);
      properties[a.baseName] = description ? { description, ...p } : p;
    }
    schema.properties = properties;
    const required = docs.required.filter((r) => attrs.some((a) => a.baseName === r));
    if (required.length) schema.required = required;
  }

  property(type: string, format: string): Schema {
    const array = ARRAY.exec(type);
    if (array) return { type: 'array', items: this.property(array[1]!, format) };
    const map = MAP.exec(type);
    if (map) return { type: 'object', additionalProperties: this.property(map[1]!, format) };
    switch (type) {
      case 'string':
        return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string', default: '' };
      case 'number':
        return format === 'double'
          ? { type: 'number', format: 'double' }
          : { type: 'integer', format: format || 'int64' };
      case 'boolean':
        return { type: 'boolean' };
      case 'Date':
        return { type: 'string', format: 'date-time' };
      case 'IntOrString':
        return { 'x-kubernetes-int-or-string': true };
      case 'any':
      case 'object':
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      default:
        return modelAttributes(type)
          ? { default: {}, allOf: [{ $ref: `#/components/schemas/${this.nameOf(type)}` }] }
          : {};
    }
  }
}

const cache = new Map<string, Record<string, Schema>>();

/** components.schemas for the kinds of one group-version. */
export function schemasFor(group: string, version: string, infos: ResourceInfo[]): Record<string, Schema> {
  const builtins = infos.filter((i) => !i.custom && !i.review);
  const key = `${group}/${version}`;
  let out = cache.get(key);
  if (!out) {
    const collector = new Collector(packagePrefix(group, version));
    const apiVersion = group ? `${group}/${version}` : version;
    for (const info of builtins) {
      const root = rootType(apiVersion, info.kind);
      if (!root) continue;
      const name = collector.nameOf(root);
      collector.schemas[name]!['x-kubernetes-group-version-kind'] = [{ group, version, kind: info.kind }];
    }
    out = collector.schemas;
    cache.set(key, out);
  }
  const custom: Record<string, Schema> = {};
  for (const info of infos.filter((i) => i.custom)) {
    const reversed = info.group.split('.').reverse().join('.');
    custom[`${reversed}.${version}.${info.kind}`] = {
      ...(info.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }),
      'x-kubernetes-group-version-kind': [{ group, version, kind: info.kind }],
    };
  }
  return { ...out, ...custom };
}
