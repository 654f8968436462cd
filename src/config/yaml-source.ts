// kloop.yaml parsed with positions kept, so every problem can name LINE:COL, and with
// `${VAR}` substituted in place (in the nodes) so positions survive substitution.
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar, type YAMLMap } from 'yaml';
import type { KeyPath, Problem } from './problems.ts';
import type { VariableSet } from './project.ts';
import { expand, UNDEFINED_VARIABLE_HINT, undefinedVariableMessage } from './variables.ts';

export interface ConfigSource {
  /** name used in messages: the path relative to the working directory */
  display: string;
  text: string;
  doc: ReturnType<typeof parseDocument>;
  lines: LineCounter;
}

export function parseConfigSource(text: string, display: string): { source: ConfigSource; problems: Problem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source = { display, text, doc, lines };
  const problems: Problem[] = doc.errors.map((e) => {
    const { line, col } = lines.linePos(e.pos[0]);
    const message = e.message.split('\n')[0] ?? e.message;
    return { path: [], message: `YAML syntax error: ${message}`, line, column: col };
  });
  return { source, problems };
}

function at(source: ConfigSource, offset: number): { line: number; column: number } {
  const { line, col } = source.lines.linePos(offset);
  return { line, column: col };
}

function deref(source: ConfigSource, node: unknown): unknown {
  return isAlias(node) ? node.resolve(source.doc) : node;
}

function findPair(map: YAMLMap, key: string | number) {
  return map.items.find((p) => {
    const k = isScalar(p.key) ? p.key.value : p.key;
    return String(k) === String(key);
  });
}

/**
 * Position of a key path: the value's node, or with `key` the key's node. When the path does not
 * exist (a missing required key) the position of the deepest existing key is returned.
 */
export function locate(source: ConfigSource, path: KeyPath, mode: 'value' | 'key' = 'value') {
  let node = deref(source, source.doc.contents);
  let keyNode: Node | undefined;
  for (const seg of path) {
    let next: unknown;
    if (isMap(node)) {
      const pair = findPair(node, seg);
      if (pair) {
        keyNode = pair.key as Node;
        next = pair.value;
        if (next === null || next === undefined) return position(source, keyNode);
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
      keyNode = next as Node | undefined;
    }
    if (next === undefined) return keyNode ? position(source, keyNode) : { line: 1, column: 1 };
    node = deref(source, next);
  }
  const target = mode === 'key' && keyNode ? keyNode : (node as Node | undefined);
  return target ? position(source, target) : { line: 1, column: 1 };
}

function position(source: ConfigSource, node: Node) {
  return node.range ? at(source, node.range[0]) : { line: 1, column: 1 };
}

/** Offset of index `i` of a scalar's value in the source, when the source spells the value literally. */
function scalarOffset(source: ConfigSource, node: Scalar, i: number): number {
  const [start, end] = node.range ?? [0, 0];
  const raw = source.text.slice(start, end);
  const value = String(node.value);
  if (node.type === Scalar.PLAIN && raw.startsWith(value)) return start + i;
  if ((node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) && raw.slice(1, -1) === value)
    return start + 1 + i;
  return start;
}

/**
 * Substitutes variables in every string value of the document, except under the keys in `skip`
 * (top-level), and returns a problem for every undefined `${VAR}`.
 */
export function substituteDocument(source: ConfigSource, vars: VariableSet, skip: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<unknown>();
  const walk = (node: unknown, path: (string | number)[]) => {
    if (seen.has(node)) return; // anchors: an aliased node is substituted once
    seen.add(node);
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (path.length === 0 && skip.includes(key)) continue;
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    } else if (isScalar(node) && typeof node.value === 'string') {
      const { value, missing } = expand(node.value, vars);
      for (const m of missing) {
        const pos = at(source, scalarOffset(source, node, m.index));
        problems.push({
          path,
          message: `${undefinedVariableMessage(m.name)}; ${UNDEFINED_VARIABLE_HINT.replace('NAME', m.name)}`,
          ...pos,
        });
      }
      node.value = value;
    }
  };
  walk(source.doc.contents, []);
  return problems;
}
