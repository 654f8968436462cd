// The validated config of an unchanged kloop.yaml, kept in <project>/.kloop/config-cache/ so that a
// warm start skips the schema (zod is the largest module kloop loads) and the YAML parse.
//
// An entry is named by the hash of everything the validated config is a function of, known before
// parsing: kloop's build, the config file's path and text, --env and every --var. What the text
// itself decides is recorded in the entry and checked on every hit: the env file it read (its
// parsed entries) and the process environment of every name the text or the env file mentions
// (declared variables, ${VAR} references, env-file keys), kept as one digest. The file references
// (charts, overlays, build contexts) are checked again on every hit, as on a full load. Any
// difference is a miss and the full load runs (and writes a new entry).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildId } from '../build-id.ts';
import { readEnvFile } from './env-file.ts';
import { displayName } from './problems.ts';
import type { LoadInput, VariableSet } from './project.ts';
import { checkReferences } from './references.ts';
import { resolveVariables } from './resolve-vars.ts';
import type { KloopConfig, VarSpec } from './schema.ts';
import { type ConfigSource, parseConfigSource } from './yaml-source.ts';

const FORMAT = 'kloop-config-cache-1';
const KEEP = 16;

/** What loading kloop.yaml produced: the validated config and what it was resolved with. */
export interface LoadedConfig {
  config: KloopConfig;
  vars: VariableSet;
  /** the config file as messages name it */
  display: string;
  /** the declared variables as the schema read them */
  declared: Record<string, VarSpec>;
  /** the env file that fed the variables (it may not exist) */
  envFile?: { path: string; rel: string };
  /** served by the config cache */
  cached: boolean;
}

interface Entry {
  config: KloopConfig;
  declared: Record<string, VarSpec>;
  envFile?: { path: string; rel: string };
  /** the env file's parsed entries, or null when it did not exist */
  envEntries: string | null;
  /** the environment variables the config depends on, and a digest of their values */
  names: string[];
  envDigest: string;
}

function cacheDir(file: string): string {
  return join(dirname(file), '.kloop', 'config-cache');
}

function keyOf(file: string, text: string, input: LoadInput): string {
  const flags = Object.entries(input.vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(`${FORMAT}\0${buildId()}\0${file}\0${input.env ?? '\u0001'}\0${JSON.stringify(flags)}\0`)
    .update(text)
    .digest('hex')
    .slice(0, 32);
}

/** Every name a variable lookup could ask the environment for: identifiers in the text, env-file keys, flags. */
function namesOf(text: string, envEntries: ReadonlyMap<string, unknown> | undefined, input: LoadInput): string[] {
  const names = new Set(text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
  for (const k of envEntries?.keys() ?? []) names.add(k);
  for (const k of Object.keys(input.vars)) names.add(k);
  return [...names].sort();
}

function envDigest(names: readonly string[], env: Record<string, string | undefined>): string {
  const hash = createHash('sha256');
  for (const n of names) {
    const v = env[n];
    hash.update(v === undefined ? `${n}\0\u0001\0` : `${n}\0${v.length}\0${v}\0`);
  }
  return hash.digest('hex');
}

function readEntries(envFile: Entry['envFile'], cwd: string) {
  return envFile ? readEnvFile(envFile.path, displayName(envFile.path, cwd)) : undefined;
}

/** The validated config of these inputs if the cache holds it and nothing it depends on changed. */
export function cachedConfig(
  file: string,
  text: string,
  input: LoadInput,
  env: Record<string, string | undefined>,
): LoadedConfig | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(join(cacheDir(file), `${keyOf(file, text, input)}.json`), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  let entries: ReturnType<typeof readEnvFile>;
  try {
    entries = readEntries(entry.envFile, input.cwd);
  } catch {
    return undefined; // an env file that no longer parses: the full load reports it
  }
  if ((entries ? JSON.stringify([...entries]) : null) !== entry.envEntries) return undefined;
  if (envDigest(entry.names, env) !== entry.envDigest) return undefined;
  const { vars, problems } = resolveVariables({
    declared: entry.declared,
    ...(entries && entry.envFile ? { envFile: { path: entry.envFile.path, entries } } : {}),
    flags: input.vars,
    process: env,
  });
  if (problems.length) return undefined;
  const display = displayName(file, input.cwd);
  // positions are only needed to report a problem: the text is parsed only then
  let parsed: ConfigSource | undefined;
  const source = () => (parsed ??= parseConfigSource(text, display).source);
  const lazySource = {
    display,
    text,
    get doc() {
      return source().doc;
    },
    get lines() {
      return source().lines;
    },
  } as ConfigSource;
  if (checkReferences(lazySource, entry.config, dirname(file)).length) return undefined;
  return {
    config: entry.config,
    vars,
    display,
    declared: entry.declared,
    ...(entry.envFile ? { envFile: entry.envFile } : {}),
    cached: true,
  };
}

/** Keeps a successful load for the next start (not when a secret variable's value is in the config). */
export function saveConfig(
  file: string,
  text: string,
  input: LoadInput,
  env: Record<string, string | undefined>,
  loaded: LoadedConfig,
): void {
  const configText = JSON.stringify(loaded.config);
  for (const v of loaded.vars.own.values()) if (v.secret && v.value && configText.includes(v.value)) return;
  try {
    const entries = readEntries(loaded.envFile, input.cwd);
    const names = namesOf(text, entries, input);
    const entry: Entry = {
      config: loaded.config,
      declared: loaded.declared,
      ...(loaded.envFile ? { envFile: loaded.envFile } : {}),
      envEntries: entries ? JSON.stringify([...entries]) : null,
      names,
      envDigest: envDigest(names, env),
    };
    const dir = cacheDir(file);
    mkdirSync(dir, { recursive: true });
    const target = join(dir, `${keyOf(file, text, input)}.json`);
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, target);
    prune(dir);
  } catch {
    // a read-only checkout: the next start loads in full again
  }
}

function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= KEEP) return;
  const dated = names
    .map((n) => ({ n, t: statSync(join(dir, n), { throwIfNoEntry: false })?.mtimeMs }))
    .filter((e): e is { n: string; t: number } => e.t !== undefined)
    .sort((a, b) => a.t - b.t);
  for (const { n } of dated.slice(0, dated.length - KEEP)) rmSync(join(dir, n), { force: true });
}
