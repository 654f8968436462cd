// Config problems: every one found is reported at once, each as
// `kloop.yaml:LINE:COL: key.path: what is wrong; what is allowed`.
import { isAbsolute, relative } from 'node:path';
import { KloopError } from '../errors.ts';

/** A file as messages name it: relative to the working directory when inside it. */
export function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export type KeyPath = readonly (string | number)[];

export interface Problem {
  path: KeyPath;
  message: string;
  line: number;
  column: number;
}

export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

export function formatProblem(file: string, p: Problem): string {
  const key = p.path.length ? `${formatKeyPath(p.path)}: ` : '';
  return `${file}:${p.line}:${p.column}: ${key}${p.message}`;
}

/** Thrown for an invalid kloop.yaml; `problems` holds each one with its position. */
export class ConfigError extends KloopError {
  readonly problems: readonly Problem[];
  readonly file: string;

  constructor(file: string, problems: Problem[]) {
    const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
    const first = sorted[0];
    const single = sorted.length === 1 && first;
    super(
      single
        ? `${first.path.length ? `${formatKeyPath(first.path)}: ` : ''}${first.message}`
        : `${file} has ${sorted.length} problems`,
      {
        location: single ? { file, line: first.line, column: first.column } : undefined,
        details: single ? [] : sorted.map((p) => formatProblem(file, p)),
        hint: 'the keys of kloop.yaml are described in docs/config.md and schema/kloop.schema.json',
      },
    );
    this.name = 'ConfigError';
    this.problems = sorted;
    this.file = file;
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest allowed word, when it is close enough to be what the user meant. */
export function suggest(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

export function didYouMean(word: string, allowed: readonly string[]): string {
  const s = suggest(word, allowed);
  return s ? ` (did you mean "${s}"?)` : '';
}
