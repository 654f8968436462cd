// Variable substitution: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `$$` → `$`,
// and a bare `$VAR` only when kloop's own sources define VAR (so `$HOME` in an embedded shell
// script survives). In kloop.yaml an undefined `${VAR}` is an error; in the files render
// substitutes it is left exactly as written (it is usually meant for a shell in the container),
// with a warning when it looks like a typo of a declared variable, or an error with strict vars.
import { KloopError } from '../errors.ts';
import type { Variable, VariableSet } from './project.ts';

export type { Variable, VariableSet };

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** A `${VAR}` that no source defines, with its index in the text. */
export interface MissingVariable {
  name: string;
  index: number;
}

export interface Expansion {
  value: string;
  missing: MissingVariable[];
}

function lookup(vars: VariableSet, name: string, braced: boolean): string | undefined {
  const own = vars.own.get(name);
  if (own) return own.value;
  return braced ? vars.process[name] : undefined;
}

/**
 * Expands every reference, collecting undefined `${VAR}`s instead of throwing (config reports all
 * at once). With `keepMissing`, an undefined `${VAR}` stays in the text as written.
 */
export function expand(text: string, vars: VariableSet, options: { keepMissing?: boolean } = {}): Expansion {
  if (!text.includes('$')) return { value: text, missing: [] };
  const missing: MissingVariable[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next === '{') {
      NAME.lastIndex = dollar + 2;
      const m = NAME.exec(text);
      const close = text.indexOf('}', dollar + 2);
      if (m && close > 0) {
        const name = m[0];
        const after = dollar + 2 + name.length;
        const op = text.slice(after, close);
        if (op.startsWith(':+')) {
          // `${VAR:+alt}`: alt when kloop's own sources give VAR a non-empty value; otherwise the
          // form is a shell's (or the process environment's) business and stays as written
          const own = vars.own.get(name)?.value;
          if (own !== undefined) {
            out += own === '' ? '' : op.slice(2);
            i = close + 1;
            continue;
          }
        } else if (op === '' || op.startsWith(':-') || op.startsWith('-')) {
          const value = lookup(vars, name, true);
          if (op === '') {
            if (value === undefined) {
              missing.push({ name, index: dollar });
              if (options.keepMissing) out += text.slice(dollar, close + 1);
            } else out += value;
          } else {
            const colon = op.startsWith(':-');
            const fallback = op.slice(colon ? 2 : 1);
            out += value === undefined || (colon && value === '') ? fallback : value;
          }
          i = close + 1;
          continue;
        }
      }
      // not a form kloop substitutes (`${VAR:?msg}`, `${VAR#x}`, ...): left as written
      out += '$';
      i = dollar + 1;
      continue;
    }
    NAME.lastIndex = dollar + 1;
    const m = NAME.exec(text);
    if (m) {
      const value = lookup(vars, m[0], false);
      out += value ?? `$${m[0]}`;
      i = dollar + 1 + m[0].length;
      continue;
    }
    out += '$';
    i = dollar + 1;
  }
  return { value: out, missing };
}

/** 1-based line and column of an index in text. */
export function position(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: index - start + 1 };
}

export const UNDEFINED_VARIABLE_HINT =
  'declare it under vars: in kloop.yaml (with a default), set it in the env file, or pass --var NAME=VALUE';

export function undefinedVariableMessage(name: string): string {
  return `undefined variable \${${name}}`;
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean" */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The declared variable a name most resembles, when close enough to be a typo. */
export function nearestVariable(name: string, vars: VariableSet): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of vars.own.keys()) {
    const d = distance(name.toUpperCase(), candidate.toUpperCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.min(2, Math.max(1, Math.floor(name.length / 4))) ? best : undefined;
}

/**
 * Substitutes variables in a file render reads. An undefined `${VAR}` stays as written; when it
 * resembles a declared variable a warning names file:line and that variable. With `strict`, any
 * undefined `${VAR}` is a KloopError at file:line:col (further ones in the details).
 */
export function substitute(
  text: string,
  vars: VariableSet,
  file: string,
  options: { strict?: boolean; warn?: (message: string) => void } = {},
): string {
  const { value, missing } = expand(text, vars, { keepMissing: !options.strict });
  const first = missing[0];
  if (!first) return value;
  if (!options.strict) {
    for (const m of missing) {
      const near = nearestVariable(m.name, vars);
      if (!near) continue;
      const p = position(text, m.index);
      options.warn?.(
        `${file}:${p.line}:${p.column}: \${${m.name}} is not a kloop variable and was left as written; did you mean \${${near}}? (--strict-vars makes this an error)`,
      );
    }
    return value;
  }
  const at = position(text, first.index);
  const details = missing.slice(1).map((m) => {
    const p = position(text, m.index);
    return `${file}:${p.line}:${p.column}: ${undefinedVariableMessage(m.name)}`;
  });
  throw new KloopError(undefinedVariableMessage(first.name), {
    location: { file, line: at.line, column: at.column },
    details,
    hint: UNDEFINED_VARIABLE_HINT.replace('NAME', first.name),
  });
}

/** The environment a child process gets: the process environment plus the project's own variables. */
export function variablesAsEnv(vars: VariableSet): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars.process)) if (v !== undefined) env[k] = v;
  for (const v of vars.own.values()) env[v.name] = v.value;
  return env;
}
