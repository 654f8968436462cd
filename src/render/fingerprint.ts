// The stat fingerprint of an app's render inputs: what lets a warm render skip globbing, reading
// and hashing every input when none of them changed.
//
// While an app's inputs are planned, every path the plan touches is recorded with its stat taken
// before it is read: files read (inode, size, mtime, ctime in ns), directories listed or globbed
// (their mtime changes when an entry is added, removed or renamed), and paths probed that do not
// exist (with their directory). The fingerprint maps all of that, plus the environment variables
// the substituted files mention, to the content-hash key of the render cache. A later render whose
// stats and variables are all the same takes the cached objects by that key; any difference, or
// any doubt, is a miss and the full plan (which reads and hashes every input) runs.
//
// Racy stats: a file written twice within one timestamp tick keeps its mtime, and a file may
// change between its stat and its read. A fingerprint is therefore only written when every
// recorded mtime and ctime is older than two seconds (anything written while the plan ran is
// newer); until then renders take the full path.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { type BigIntStats, statSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from './cache.ts';

interface Recording {
  /** path → stat signature ('-' when it did not exist) */
  stats: Map<string, string>;
  /** names of ${VAR}s in substituted inputs */
  names: Set<string>;
  /** a path the fingerprint cannot describe (a glob with braces across directories) */
  unsupported: boolean;
  /** the newest mtime or ctime seen, in ms */
  newest: number;
}

const storage = new AsyncLocalStorage<Recording>();

function signature(st: BigIntStats | undefined): string {
  if (!st) return '-';
  return `${st.isDirectory() ? 'd' : 'f'}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

function record(r: Recording, file: string): boolean {
  const known = r.stats.get(file);
  if (known) return known !== '-';
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  r.stats.set(file, signature(st));
  if (st) r.newest = Math.max(r.newest, Number(st.mtimeMs), Number(st.ctimeMs));
  return st !== undefined;
}

/** A file about to be read, or a directory about to be listed (call before the read: see above). */
export function seen(file: string): void {
  const r = storage.getStore();
  if (r) record(r, file);
}

/** A path whose existence decides what is read; when it is missing, the directory it would appear in. */
export function probed(file: string): void {
  const r = storage.getStore();
  if (!r) return;
  for (let p = file; !record(r, p) && path.dirname(p) !== p; p = path.dirname(p));
}

/** The text of a substituted input: the process environment of its ${VAR}s matters too. */
export function seenText(text: string): void {
  const r = storage.getStore();
  if (!r || !text.includes('${')) return;
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) r.names.add(m[1]!);
}

const MAGIC = /[*?[\]{}()!+@]/;

/**
 * The directories a glob lists, recorded before it runs (a superset: every subdirectory a `**`
 * or a wildcard segment could enter). Braces that span a `/` are not described: no fingerprint.
 */
export async function seenGlob(root: string, pattern: string): Promise<void> {
  const r = storage.getStore();
  if (!r) return;
  if (/\{[^}]*\/[^}]*\}/.test(pattern) || pattern.includes('\\')) {
    r.unsupported = true;
    return;
  }
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let base = path.isAbsolute(pattern) ? '/' : root;
  let i = pattern.startsWith('/') ? 1 : 0;
  while (i < segments.length - 1 && !MAGIC.test(segments[i]!)) base = path.join(base, segments[i++]!);
  const walk = async (dir: string, rest: string[]): Promise<void> => {
    probed(dir);
    // the last segment matches entries of dir: its listing covers them
    if (rest.length === 0 || (rest.length === 1 && rest[0] !== '**')) return;
    let subdirs: string[];
    try {
      subdirs = (await readdir(dir, { withFileTypes: true }))
        .filter((e) => e.isDirectory() || e.isSymbolicLink())
        .map((e) => e.name);
    } catch {
      return;
    }
    const [head, ...tail] = rest as [string, ...string[]];
    if (head === '**') {
      await walk(dir, tail);
      for (const d of subdirs) await walk(path.join(dir, d), rest);
    } else {
      const match = MAGIC.test(head)
        ? (await import('picomatch')).default(head, { dot: true })
        : (n: string) => n === head;
      for (const d of subdirs) if (match(d)) await walk(path.join(dir, d), tail);
    }
  };
  await walk(base, segments.slice(i));
}

export interface Planned<T> {
  result: T;
  recording: Recording;
}

/** Runs an app's plan and records what it touched. */
export async function recordInputs<T>(plan: () => Promise<T>): Promise<Planned<T>> {
  const recording: Recording = { stats: new Map(), names: new Set(), unsupported: false, newest: 0 };
  const result = await storage.run(recording, plan);
  return { result, recording };
}

interface Entry {
  /** the render cache key the plan computed */
  key: string;
  stats: Array<[string, string]>;
  names: string[];
  env: string;
  inputs: string[];
  warnings: string[];
}

function envDigest(names: readonly string[], env: Readonly<Record<string, string | undefined>>): string {
  const hash = createHash('sha256');
  for (const n of names) {
    const v = env[n];
    hash.update(v === undefined ? `${n}\0\u0001\0` : `${n}\0${v.length}\0${v}\0`);
  }
  return hash.digest('hex');
}

function entryFile(stateDir: string, id: string): string {
  return path.join(cacheDir(stateDir), `fp-${id}.json`);
}

/** The cache key and plan results of an app whose recorded inputs are all unchanged. */
export async function unchangedInputs(
  stateDir: string,
  id: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ key: string; inputs: string[]; warnings: string[] } | undefined> {
  let entry: Entry;
  try {
    entry = JSON.parse(await readFile(entryFile(stateDir, id), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  for (const [file, sig] of entry.stats)
    if (signature(statSync(file, { bigint: true, throwIfNoEntry: false })) !== sig) return undefined;
  if (envDigest(entry.names, env) !== entry.env) return undefined;
  return { key: entry.key, inputs: entry.inputs, warnings: entry.warnings };
}

/** Keeps the fingerprint of a plan, unless a stat is too recent to trust or a path is not described. */
export async function saveFingerprint(
  stateDir: string,
  id: string,
  env: Readonly<Record<string, string | undefined>>,
  recording: Recording,
  plan: { key: string; inputs: string[]; warnings: string[] },
): Promise<void> {
  if (recording.unsupported || recording.newest > Date.now() - 2000) return;
  const names = [...recording.names].sort();
  const entry: Entry = {
    key: plan.key,
    stats: [...recording.stats],
    names,
    env: envDigest(names, env),
    inputs: plan.inputs,
    warnings: plan.warnings,
  };
  const file = entryFile(stateDir, id);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(entry));
    await rename(tmp, file);
  } catch {
    // the next render plans in full again
  }
}
