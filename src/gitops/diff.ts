// What a promotion changes, per resource: the objects the GitOps repository holds at the target
// paths against the new render, keyed by group/kind/namespace/name, with a unified diff of each.
import { KloopError } from '../errors.ts';
import { groupOf, parseObjects, toYaml } from '../render/objects.ts';
import type { KubeObject } from '../render/index.ts';

export type ChangeType = 'added' | 'changed' | 'deleted';

export interface ResourceChange {
  change: ChangeType;
  kind: string;
  namespace: string;
  name: string;
  /** unified diff of the object's YAML (old → new) */
  diff: string;
}

function key(o: KubeObject): string {
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/** Objects in YAML files of the GitOps repository; a file that does not parse is named. */
export function objectsIn(files: ReadonlyMap<string, string>): KubeObject[] {
  const out: KubeObject[] = [];
  for (const [file, text] of files) {
    try {
      out.push(...parseObjects(text, file));
    } catch (e) {
      if (e instanceof KloopError) {
        throw new KloopError(`the GitOps repository holds a file kloop cannot read: ${e.message}`, {
          location: e.location,
          hint: 'fix or remove the file in the GitOps repository; kloop replaces it on the next promotion',
        });
      }
      throw e;
    }
  }
  return out;
}

export function diffObjects(before: readonly KubeObject[], after: readonly KubeObject[]): ResourceChange[] {
  const old = new Map(before.map((o) => [key(o), o]));
  const now = new Map(after.map((o) => [key(o), o]));
  const changes: ResourceChange[] = [];
  const describe = (o: KubeObject) => ({
    kind: o.kind,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name ?? '',
  });
  for (const [k, o] of now) {
    const prev = old.get(k);
    const a = prev ? toYaml([prev]) : '';
    const b = toYaml([o]);
    if (prev && a === b) continue;
    changes.push({ change: prev ? 'changed' : 'added', ...describe(o), diff: unifiedDiff(a, b) });
  }
  for (const [k, o] of old) {
    if (!now.has(k)) changes.push({ change: 'deleted', ...describe(o), diff: unifiedDiff(toYaml([o]), '') });
  }
  const order: Record<ChangeType, number> = { added: 0, changed: 1, deleted: 2 };
  return changes.sort(
    (x, y) =>
      order[x.change] - order[y.change] ||
      x.namespace.localeCompare(y.namespace) ||
      x.kind.localeCompare(y.kind) ||
      x.name.localeCompare(y.name),
  );
}

function lines(text: string): string[] {
  if (text === '') return [];
  const l = text.split('\n');
  if (l.at(-1) === '') l.pop();
  return l;
}

/** Line diff (LCS) with three lines of context; very large objects fall back to old-then-new. */
export function unifiedDiff(before: string, after: string, context = 3): string {
  const a = lines(before);
  const b = lines(after);
  const ops: Array<[' ' | '-' | '+', string]> = [];
  if (a.length * b.length > 4_000_000) {
    for (const l of a) ops.push(['-', l]);
    for (const l of b) ops.push(['+', l]);
  } else {
    const n = a.length;
    const m = b.length;
    // lcs[i][j]: length of the LCS of a[i..] and b[j..]
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) {
        ops.push([' ', a[i]!]);
        i++;
        j++;
      } else if (j < m && (i >= n || lcs[i]![j + 1]! > lcs[i + 1]![j]!)) {
        ops.push(['+', b[j++]!]);
      } else {
        ops.push(['-', a[i++]!]);
      }
    }
  }
  // hunks: changed lines plus `context` lines around them
  const keep = new Array<boolean>(ops.length).fill(false);
  ops.forEach(([op], idx) => {
    if (op === ' ') return;
    for (let k = Math.max(0, idx - context); k <= Math.min(ops.length - 1, idx + context); k++) keep[k] = true;
  });
  const out: string[] = [];
  let oldLine = 1;
  let newLine = 1;
  let idx = 0;
  while (idx < ops.length) {
    if (!keep[idx]) {
      if (ops[idx]![0] !== '+') oldLine++;
      if (ops[idx]![0] !== '-') newLine++;
      idx++;
      continue;
    }
    const start = idx;
    const o0 = oldLine;
    const n0 = newLine;
    let oc = 0;
    let nc = 0;
    while (idx < ops.length && keep[idx]) {
      const op = ops[idx]![0];
      if (op !== '+') oc++;
      if (op !== '-') nc++;
      idx++;
    }
    out.push(`@@ -${oc ? o0 : o0 - 1},${oc} +${nc ? n0 : n0 - 1},${nc} @@`);
    for (let k = start; k < idx; k++) out.push(`${ops[k]![0]}${ops[k]![1]}`);
    oldLine += oc;
    newLine += nc;
  }
  return out.join('\n');
}
