// The committed JSON Schema and config reference must match what the zod schema generates.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configReference, jsonSchema, jsonSchemaText } from '../../../src/config/json-schema.ts';

const root = join(import.meta.dirname, '../../..');

describe('generated schema files', () => {
  it('schema/kloop.schema.json is up to date (run `npm run schema`)', () => {
    assert.equal(readFileSync(join(root, 'schema/kloop.schema.json'), 'utf8'), jsonSchemaText());
  });

  it('docs/config.md is up to date (run `npm run schema`)', () => {
    assert.equal(readFileSync(join(root, 'docs/config.md'), 'utf8'), configReference());
  });

  it('the JSON Schema forbids unknown keys and requires version and name', () => {
    const s = jsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    assert.deepEqual([...s.required].sort(), ['name', 'version']);
    assert.equal(s.additionalProperties, false);
    for (const key of ['images', 'apps', 'dev', 'environments', 'vars', 'hooks', 'commands'])
      assert.ok(key in s.properties, key);
  });

  it('editors accept ${VAR} where a value pattern applies, but not in names', () => {
    const at = (path: (string | number)[]) =>
      path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], jsonSchema()) as string;
    const port = new RegExp(
      at(['properties', 'dev', 'additionalProperties', 'properties', 'ports', 'items', 'anyOf', 1, 'pattern']),
      'u',
    );
    assert.ok(port.test('8080:80'));
    assert.ok(port.test('${PORT}:80'));
    assert.ok(!port.test('http:80'));
    const appName = new RegExp(at(['properties', 'apps', 'propertyNames', 'pattern']), 'u');
    assert.ok(!appName.test('${APP}'));
  });

  it('the reference documents every key with its default', () => {
    const doc = configReference();
    assert.match(doc, /\| `images\.<name>\.context` \| string \| {2}\| `"\."` \| build context directory/);
    assert.match(doc, /\| `build\.parallel` \| integer \(1–32\) \| {2}\| `2` \|/);
    assert.match(doc, /\| `dev\.<name>\.sync\[\]\.to` \| string \| yes \|/);
  });
});
