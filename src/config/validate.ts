// Schema validation of kloop.yaml: zod issues become problems with positions, plain-language
// messages, the allowed keys/values and a "did you mean" suggestion for unknown keys.
import type { z } from 'zod';
import { didYouMean, type KeyPath, type Problem, suggest } from './problems.ts';
import { configSchema, type KloopConfig } from './schema.ts';
import { type ConfigSource, locate } from './yaml-source.ts';

interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  valueType?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  options?: { _zod: { def: Def } }[];
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
}

function defOf(schema: unknown): Def {
  return (schema as { _zod: { def: Def } })._zod.def;
}

/** The object definitions a key path can land on (several for unions). */
function objectsAt(def: Def, path: KeyPath): Def[] {
  const unwrap = (d: Def): Def[] => {
    if (d.innerType) return unwrap(d.innerType._zod.def);
    if (d.type === 'pipe' && d.in) return unwrap(d.in._zod.def);
    if (d.type === 'union' && d.options) return d.options.flatMap((o) => unwrap(o._zod.def));
    return [d];
  };
  let current = unwrap(def);
  for (const seg of path) {
    const next: Def[] = [];
    for (const d of current) {
      if (d.type === 'object' && d.shape && typeof seg === 'string' && d.shape[seg])
        next.push(...unwrap(d.shape[seg]._zod.def));
      else if (d.type === 'record' && d.valueType) next.push(...unwrap(d.valueType._zod.def));
      else if (d.type === 'array' && d.element) next.push(...unwrap(d.element._zod.def));
    }
    current = next;
  }
  return current.filter((d) => d.type === 'object');
}

export function allowedKeys(path: KeyPath): string[] {
  const keys = new Set<string>();
  for (const d of objectsAt(defOf(configSchema), path)) for (const k of Object.keys(d.shape ?? {})) keys.add(k);
  return [...keys];
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return `${typeof v} ${String(v)}`;
}

const EXPECTED: Record<string, string> = {
  object: 'a map of keys',
  record: 'a map',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

type Issue = z.core.$ZodIssue;

/** For a union, the branch the user most likely meant: one whose type matched, with the fewest issues. */
function bestBranch(branches: Issue[][]): Issue[] {
  const typeMatched = branches.filter((b) => !b.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
  const pool = typeMatched.length ? typeMatched : branches;
  return pool.reduce((a, b) => (b.length < a.length ? b : a));
}

/** The expected types when a union branch failed only because the value has another type. */
function typesOnly(branch: Issue[]): string[] | undefined {
  if (branch.length !== 1) return undefined;
  const issue = branch[0] as Issue;
  if (issue.path.length) return undefined;
  if (issue.code === 'invalid_type') return [String(issue.expected)];
  if (issue.code === 'invalid_union') {
    const nested = (issue.errors as Issue[][]).map(typesOnly);
    return nested.every((n) => n !== undefined) ? nested.flat() : undefined;
  }
  return undefined;
}

function flatten(issues: Issue[], prefix: KeyPath = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const branches = issue.errors as Issue[][];
      const expectedTypes = branches.map(typesOnly);
      if (expectedTypes.every((t) => t !== undefined)) {
        const expected = [...new Set(expectedTypes.flat())];
        out.push({ ...issue, code: 'invalid_type', expected: expected.join('|'), path } as unknown as Issue);
      } else out.push(...flatten(bestBranch(branches), path));
    } else out.push({ ...issue, path } as Issue);
  }
  return out;
}

function describeIssue(issue: Issue, data: unknown, path: KeyPath): string {
  switch (issue.code) {
    case 'invalid_type': {
      const value = valueAt(data, path);
      const expected = String(issue.expected)
        .split('|')
        .map((e) => EXPECTED[e] ?? e)
        .join(' or ');
      if (value === undefined) return `is required; expected ${expected}`;
      return `expected ${expected}, got ${kindOf(value)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}, got ${kindOf(valueAt(data, path))}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${kindOf(valueAt(data, path))}`;
    case 'too_big':
    case 'too_small': {
      const value = valueAt(data, path);
      const limit = issue.code === 'too_big' ? `at most ${issue.maximum}` : `at least ${issue.minimum}`;
      const unit = typeof value === 'string' ? ' characters' : Array.isArray(value) ? ' items' : '';
      return `must be ${limit}${unit}; got ${typeof value === 'number' ? value : kindOf(value)}`;
    }
    case 'invalid_format':
    case 'custom':
      return `${issue.message}; got ${kindOf(valueAt(data, path))}`;
    case 'invalid_key':
      return `invalid key: ${issue.message}`;
    default:
      return issue.message;
  }
}

/** Validates the substituted config; returns the typed config or the problems found. */
export function validateConfig(source: ConfigSource, data: unknown): { config?: KloopConfig; problems: Problem[] } {
  const result = configSchema.safeParse(data);
  if (result.success) return { config: result.data, problems: [] };
  const problems: Problem[] = [];
  const issues = flatten(result.error.issues);
  // a misspelt required key is reported once, as the unknown key with its suggestion
  const suggested = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const allowed = allowedKeys(issue.path as KeyPath);
    for (const key of issue.keys) {
      const s = suggest(key, allowed);
      if (s) suggested.add(JSON.stringify([...issue.path, s]));
    }
  }
  for (const issue of issues) {
    const path = issue.path as KeyPath;
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(path);
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        problems.push({
          path: keyPath,
          message: `unknown key${didYouMean(key, allowed)}; allowed here: ${allowed.join(', ')}`,
          ...locate(source, keyPath, 'key'),
        });
      }
      continue;
    }
    if (issue.code === 'invalid_type' && valueAt(data, path) === undefined && suggested.has(JSON.stringify(path)))
      continue;
    if (issue.code === 'invalid_key') {
      // a record key that breaks its pattern (e.g. an image name): point at the key itself
      const key = (issue as { issues?: Issue[] }).issues?.[0];
      const badKey = path[path.length - 1];
      problems.push({
        path,
        message: `the name "${String(badKey)}" ${key?.message ?? 'is not allowed'}`,
        ...locate(source, path, 'key'),
      });
      continue;
    }
    problems.push({ path, message: describeIssue(issue, data, path), ...locate(source, path) });
  }
  return { problems };
}
