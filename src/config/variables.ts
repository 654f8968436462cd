// Variable substitution: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$$` → `$`, and a bare
// `$VAR` only when kloop's own sources define VAR (so `$HOME` in an embedded shell script survives).
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

/** Expands every reference, collecting undefined `${VAR}`s instead of throwing (config reports all at once). */
export function expand(text: string, vars: VariableSet): Expansion {
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
        if (op === '' || op.startsWith(':-') || op.startsWith('-')) {
          const value = lookup(vars, name, true);
          if (op === '') {
            if (value === undefined) missing.push({ name, index: dollar });
            else out += value;
          } else {
            const colon = op.startsWith(':-');
            const fallback = op.slice(colon ? 2 : 1);
            out += value === undefined || (colon && value === '') ? fallback : value;
          }
          i = close + 1;
          continue;
        }
      }
      // not a form kloop substitutes (e.g. `${VAR:+x}`): left as written
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

/**
 * Substitutes variables in a file's text. An undefined `${VAR}` throws a KloopError located at
 * file:line:col (every further undefined one is listed in the details).
 */
export function substitute(text: string, vars: VariableSet, file: string): string {
  const { value, missing } = expand(text, vars);
  const first = missing[0];
  if (!first) return value;
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
