// The layout rules of DESIGN.md, checked on the import graph of src/ so they stay true: engines
// never reach into each other to undo their work (deploy/ imports neither dev/ nor hybrid/,
// hybrid/ not dev/), only commands/ and cli/ know the CLI, no folder imports one above it except
// for types, and no module imports itself in a cycle.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const src = path.resolve(import.meta.dirname, '../../src');

/** Low to high: a folder may import (values from) its own layer and those below. */
const LAYERS: readonly string[][] = [
  ['errors.ts', 'version.ts', 'build-id.ts', 'log', 'process'],
  ['config'],
  ['kube'],
  ['hooks'],
  ['images'],
  ['render'],
  ['pipeline'],
  ['deploy', 'gitops'],
  ['hybrid'],
  ['dev'],
  ['ui', 'status', 'completion', 'init', 'mcp'],
  ['commands'],
  ['cli'],
];

/** Never, not even for types. */
const FORBIDDEN: ReadonlyArray<[string, string]> = [
  ['deploy', 'dev'],
  ['deploy', 'hybrid'],
  ['hybrid', 'dev'],
];

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
  /** import() at run time (cli/ loads commands lazily): no cycle at load time */
  dynamic?: boolean;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Relative imports and re-exports of one file; `import type`, `export type` and all-type specifiers are type-only. */
export function importsOf(file: string, text: string): Edge[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: Edge[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean, dynamic = false) => {
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) return;
    const to = path.resolve(path.dirname(file), spec.text);
    edges.push(dynamic ? { from: file, to, typeOnly, dynamic } : { from: file, to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const allTypes = Boolean(
        c && (c.isTypeOnly || (!c.name && named && named.length > 0 && named.every((e) => e.isTypeOnly))),
      );
      add(node.moduleSpecifier, allTypes);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier, node.isTypeOnly || Boolean(named?.length && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

/** The folder (or top-level file) of src/ a path belongs to. */
function unit(file: string): string {
  return path.relative(src, file).split(path.sep)[0]!;
}

function layerOf(u: string): number {
  const i = LAYERS.findIndex((l) => l.includes(u));
  assert.ok(i >= 0, `src/${u} is in no layer: add it to LAYERS in test/unit/imports.test.ts`);
  return i;
}

/** The layout rules broken by these edges, one line each. */
export function violations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = unit(e.from);
    const to = unit(e.to);
    if (from === to) continue;
    const where = `${path.relative(src, e.from)} → ${path.relative(src, e.to)}`;
    if (FORBIDDEN.some(([a, b]) => a === from && b === to)) out.push(`${where}: ${from}/ must not import ${to}/`);
    else if (to === 'cli') {
      // commands/ may use the command-line definition (completion derives its scripts from it)
      if (from !== 'commands') out.push(`${where}: only commands/ and cli/ import cli/`);
    } else if (!e.typeOnly && layerOf(to) > layerOf(from))
      out.push(`${where}: ${from}/ imports ${to}/, a layer above it`);
  }
  return out;
}

/** Import cycles among modules (static value imports: type imports vanish at run time), each as a path. */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly && !e.dynamic) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  // Tarjan's strongly connected components
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(path.relative(src, w));
      } while (w !== v);
      if (c.length > 1 || next.get(v)?.includes(v)) found.push(c.reverse());
    }
  };
  for (const v of next.keys()) if (!idx.has(v)) strong(v);
  return found;
}

const graph = files(src).flatMap((f) => importsOf(f, readFileSync(f, 'utf8')));

test('src/ keeps its layers: no engine imports another to undo its work, cli/ only from commands/', () => {
  assert.ok(graph.length > 200, `the import graph was read (${graph.length} edges)`);
  assert.deepEqual(violations(graph), []);
});

test('src/ has no import cycles', () => {
  assert.deepEqual(cycles(graph), []);
});

test('the checks catch what they guard (a broken rule is reported)', () => {
  const f = (p: string) => path.join(src, p);
  const broken: Edge[] = [
    { from: f('deploy/purge.ts'), to: f('dev/dev-patch.ts'), typeOnly: true },
    { from: f('config/load.ts'), to: f('cli/options.ts'), typeOnly: true },
    { from: f('kube/journal.ts'), to: f('dev/session.ts'), typeOnly: false },
    { from: f('kube/pods.ts'), to: f('dev/store.ts'), typeOnly: true },
  ];
  assert.equal(violations(broken).length, 3, violations(broken).join('\n'));
  const text =
    "import type { A } from './a.ts';\nimport { type B, c } from './b.ts';\nimport { type D } from './d.ts';\n";
  assert.deepEqual(
    importsOf(f('x/y.ts'), text).map((e) => [path.basename(e.to), e.typeOnly]),
    [
      ['a.ts', true],
      ['b.ts', false],
      ['d.ts', true],
    ],
  );
  assert.deepEqual(
    cycles([
      { from: f('a.ts'), to: f('b.ts'), typeOnly: false },
      { from: f('b.ts'), to: f('a.ts'), typeOnly: false },
      { from: f('b.ts'), to: f('c.ts'), typeOnly: true },
      { from: f('c.ts'), to: f('b.ts'), typeOnly: false },
    ]),
    [['a.ts', 'b.ts']],
  );
});

test('every folder of src/ is in a layer and opens with a README saying what it owns', () => {
  const dirs = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => [path.join(dir, e.name), ...dirs(path.join(dir, e.name))]);
  for (const d of dirs(src)) {
    const rel = path.relative(src, d);
    if (!rel.includes(path.sep)) layerOf(rel);
    let text = '';
    try {
      text = readFileSync(path.join(d, 'README.md'), 'utf8');
    } catch {}
    const body = text.replace(/^#.*$/m, '').trim();
    assert.ok(body.length > 40, `src/${rel}/README.md says what the folder owns`);
  }
});
