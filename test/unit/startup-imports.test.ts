// What a warm start loads: `kloop render` and `kloop deploy` of an unchanged project take the
// validated config from the cache, so the schema library (zod, the largest module kloop has) and
// the code that only a cache miss or a feature in use needs must be reached by dynamic import(),
// never by a static import chain from the command.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const src = path.resolve(import.meta.dirname, '../../src');

/** Static value imports of a file: relative files and package names (import type and import() excluded). */
function staticImports(file: string): { files: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8');
  const files: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)([\s\S]*?)\bfrom\s+'([^']+)'/gm)) {
    const clause = m[1]!;
    // `import { type A, type B } from` brings in no value
    const names = /^\{([\s\S]*)\}\s*$/.exec(clause.trim())?.[1];
    if (
      names
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .every((s) => s.startsWith('type '))
    )
      continue;
    const spec = m[2]!;
    if (spec.startsWith('.')) files.push(path.resolve(path.dirname(file), spec));
    else packages.push(spec);
  }
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) files.push(path.resolve(path.dirname(file), spec));
    else packages.push(spec);
  }
  return { files, packages };
}

/** Every file and package a module loads before it runs, and through which file each package came. */
function closure(entry: string): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const { files, packages: pkgs } = staticImports(file);
    for (const p of pkgs) if (!packages.has(p)) packages.set(p, path.relative(src, file));
    for (const f of files) visit(f);
  };
  visit(entry);
  for (const f of seen) packages.set(`./${path.relative(src, f)}`, '');
  return packages;
}

describe('a warm start loads only what it uses', () => {
  for (const command of ['render', 'deploy']) {
    it(`kloop ${command} reaches zod, the schema, the image builders and ws only through import()`, () => {
      const loaded = closure(path.join(src, 'commands', `${command}.ts`));
      for (const heavy of ['zod', 'ws', 'picomatch', './config/schema.ts', './config/validate.ts', './images/build.ts'])
        assert.ok(!loaded.has(heavy), `${heavy} is imported statically (first through ${loaded.get(heavy)})`);
      assert.ok(loaded.has('./config/load.ts') && loaded.has('yaml'), 'the walk follows static imports');
    });
  }
});
