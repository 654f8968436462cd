// The published JSON Schema (schema/kloop.schema.json) and the config reference (docs/config.md),
// both generated from the one zod schema by `npm run schema`; a unit test fails when they are stale.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from './schema.ts';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
};

/**
 * Values are checked after `${VAR}` substitution, but editors check the file as written: a string
 * with a `${` reference is accepted wherever a pattern applies. Keys are never substituted, so
 * patterns on names (propertyNames) stay strict.
 */
const REFERENCE_SUFFIX = /^\(\?:(.*)\)\|\\\$\\\{\[A-Za-z_\]$/;

function allowReferences(node: unknown, inKeys = false): void {
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  if (!inKeys && typeof obj.pattern === 'string') obj.pattern = `(?:${obj.pattern})|\\$\\{[A-Za-z_]`;
  for (const [key, value] of Object.entries(obj)) {
    if (Array.isArray(value)) for (const v of value) allowReferences(v, inKeys);
    else allowReferences(value, inKeys || key === 'propertyNames');
  }
}

export function jsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  allowReferences(generated);
  return {
    $schema: generated.$schema,
    title: 'kloop.yaml',
    description: 'kloop configuration, version v1. Generated from src/config/schema.ts by `npm run schema`.',
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}

export function jsonSchemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' or ');
  const t = Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any');
  if (t === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (t === 'object' && !s.properties && typeof s.additionalProperties === 'object')
    return `map of ${typeOf(s.additionalProperties)}`;
  if (t === 'object') return 'map';
  let out = t;
  if (s.minimum !== undefined || s.maximum !== undefined) out += ` (${s.minimum ?? ''}–${s.maximum ?? ''})`;
  if (s.pattern) out += ` matching \`${s.pattern.replace(REFERENCE_SUFFIX, '$1')}\``;
  return out;
}

interface Row {
  key: string;
  type: string;
  required: boolean;
  default?: unknown;
  description?: string;
}

function rows(s: JsonSchema, prefix: string, required: boolean, out: Row[]): void {
  if (prefix) out.push({ key: prefix, type: typeOf(s), required, default: s.default, description: s.description });
  const objects = s.anyOf ? s.anyOf.filter((o) => o.properties) : s.properties ? [s] : [];
  for (const o of objects) {
    for (const [k, v] of Object.entries(o.properties ?? {})) {
      if (k === '$schema') continue;
      rows(v, prefix ? `${prefix}.${k}` : k, o.required?.includes(k) ?? false, out);
    }
  }
  // entries of maps and lists get rows of their own only when they have keys
  const hasKeys = (x: JsonSchema) => Boolean(x.properties || x.anyOf?.some((o) => o.properties));
  if (!s.properties && typeof s.additionalProperties === 'object' && hasKeys(s.additionalProperties))
    rows(s.additionalProperties, `${prefix}.<name>`, false, out);
  if (s.items && hasKeys(s.items)) rows(s.items, `${prefix}[]`, false, out);
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function configReference(): string {
  const schema = jsonSchema() as JsonSchema;
  const all: Row[] = [];
  rows(schema, '', true, all);
  // anyOf branches listed under the same key once
  const seen = new Set<string>();
  const unique = all.filter((r) => !seen.has(r.key + r.type) && seen.add(r.key + r.type));
  const sections = new Map<string, Row[]>();
  for (const row of unique) {
    const top = row.key.split(/[.[]/)[0] as string;
    if (!sections.has(top)) sections.set(top, []);
    sections.get(top)?.push(row);
  }
  const lines = [
    '# kloop.yaml reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run schema`; do not edit by hand. -->',
    '',
    'Every key of `kloop.yaml` version v1. Paths are relative to the directory of `kloop.yaml`.',
    '`<name>` stands for a name you choose (images, apps, dev targets, environments: lower case letters,',
    'digits and `-`). Editors complete and check the file with the JSON Schema',
    '[`schema/kloop.schema.json`](../schema/kloop.schema.json); `kloop init` adds the line',
    '`# yaml-language-server: $schema=...` that points at it.',
    '',
    '## Variables',
    '',
    'String values may use `${VAR}`, `${VAR:-default}` (default when VAR is unset or empty) and',
    '`${VAR-default}` (default when unset); `$$` is a literal `$`. A bare `$VAR` is replaced only when',
    "VAR is defined by kloop's own sources (`vars:`, the env file, `--var`), so `$HOME` in a shell",
    'command survives. Definitions under `vars:` are never substituted. Values substituted into a key',
    'that expects a number stay strings (and are reported as such).',
    "`${VAR:+alt}` gives `alt` when kloop's own sources give VAR a non-empty value, and nothing when",
    "they give it an empty one; for any other VAR it stays as written (it is a shell's). Other shell",
    'forms (`${VAR:?msg}`, `${VAR#x}` ...) always stay as written.',
    '',
    'In kloop.yaml an undefined `${VAR}` is an error. In the files render substitutes (see',
    '[render](commands/render.md#substitution)) it is left exactly as written, with a warning when it',
    'resembles a declared variable; `strictVars: true` or `--strict-vars` makes it an error.',
    '',
    'A value comes from, highest precedence first: `--var NAME=VALUE`, the process environment, the',
    "env file, then the declared `default`. The env file is the environment's `envFile` with",
    '`--env <name>`, else the top-level `envFile` (default `.env`, optional). The local `.env` never',
    "feeds an environment's render. A `required` variable without a value is an error; a `secret`",
    'variable is redacted in every log line, error and `kloop print` output.',
    '',
    'Env files are parsed, never executed: `KEY=value` lines, an optional `export ` prefix, `#`',
    'comments, \'single-quoted\' literal values and "double-quoted" values with `\\n`, `\\t`, `\\"`,',
    '`\\\\` escapes that may span lines. `$(...)` and `${...}` inside them stay as written.',
    '',
    '## Keys',
  ];
  for (const [top, list] of sections) {
    lines.push('', `### \`${top}\``, '', '| key | type | required | default | description |', '|---|---|---|---|---|');
    for (const r of list) {
      const def = r.default === undefined ? '' : `\`${JSON.stringify(r.default)}\``;
      lines.push(
        `| \`${r.key}\` | ${cell(r.type)} | ${r.required ? 'yes' : ''} | ${def} | ${cell(r.description ?? '')} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** schema/kloop.schema.json of this kloop installation (source checkout or the npm package). */
export function installedSchemaPath(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'schema', 'kloop.schema.json');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
  }
  return undefined;
}
