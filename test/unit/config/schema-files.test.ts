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

  it('the reference documents every key with its default', () => {
    const doc = configReference();
    assert.match(doc, /\| `images\.<name>\.context` \| string \| {2}\| `"\."` \| build context directory/);
    assert.match(doc, /\| `build\.parallel` \| integer \(1–32\) \| {2}\| `2` \|/);
    assert.match(doc, /\| `dev\.<name>\.sync\[\]\.to` \| string \| yes \|/);
  });
});
