// npm run schema: writes schema/kloop.schema.json and docs/config.md from src/config/schema.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configReference, jsonSchemaText } from '../src/config/json-schema.ts';

const root = join(import.meta.dirname, '..');
const outputs: [string, string][] = [
  ['schema/kloop.schema.json', jsonSchemaText()],
  ['docs/config.md', configReference()],
];
for (const [path, text] of outputs) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  console.log(`wrote ${path}`);
}
