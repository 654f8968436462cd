// Loading kloop.yaml: find it, parse it with positions, resolve variables, substitute, validate,
// check references, and resolve into the frozen Project. Every problem is reported at once.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';
import { readEnvFile } from './env-file.ts';
import { type Kubeconfig, readKubeconfig } from './kubeconfig.ts';
import { ConfigError, didYouMean, type Problem } from './problems.ts';
import type { LoadInput, Project } from './project.ts';

export type { LoadInput };
import { resolveProject } from './resolve.ts';
import { resolveVariables } from './resolve-vars.ts';
import { type KloopConfig, varSpecSchema, type VarSpec } from './schema.ts';
import { readState } from './state.ts';
import { checkReferences } from './references.ts';
import { validateConfig } from './validate.ts';
import { type ConfigSource, locate, parseConfigSource, substituteDocument } from './yaml-source.ts';

export const CONFIG_NAMES = ['kloop.yaml', 'kloop.yml'];

/** kloop.yaml from -c (a file or a directory), else searched upward from cwd. */
export function findConfigFile(cwd: string, config?: string): string {
  if (config) {
    const abs = resolve(cwd, config);
    const isDir = existsSync(abs) && statSync(abs).isDirectory();
    const file = isDir ? join(abs, 'kloop.yaml') : abs;
    if (!existsSync(file)) throw new KloopError(`config file ${config} does not exist`, { hint: 'check the -c path' });
    return file;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    if (dirname(dir) === dir) break;
  }
  throw new KloopError(`no kloop.yaml found in ${cwd} or any parent directory`, {
    hint: 'run `kloop init` to write one, or pass -c <file>',
  });
}

function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export interface LoadOptions {
  /** process environment (default: process.env) */
  env?: Record<string, string | undefined>;
  /** an already read kubeconfig (default: read from KUBECONFIG / ~/.kube/config) */
  kubeconfig?: Kubeconfig;
}

/** Loads and resolves the project for a command. */
export async function loadProject(input: LoadInput, options: LoadOptions = {}): Promise<Project> {
  const file = findConfigFile(input.cwd, input.config);
  const text = readFileSync(file, 'utf8');
  return loadProjectFromText(text, file, input, options);
}

/** Loads a project from kloop.yaml text (for tests: no file needs to exist at `file`, but the root is its dir). */
export function loadProjectFromText(text: string, file: string, input: LoadInput, options: LoadOptions = {}): Project {
  const { config, source, vars } = loadConfig(text, file, input, options);
  const env = options.env ?? process.env;
  const root = dirname(file);
  const project = resolveProject(config, {
    root,
    configFile: file,
    vars,
    globals: input,
    input,
    kubeconfig: options.kubeconfig ?? readKubeconfig(env),
    state: readState(join(root, '.kloop')),
    pathEnv: env.PATH,
  });
  log.debug(`loaded ${source.display} (project ${project.name}, context ${project.cluster.context ?? '-'})`);
  return project;
}

/** Parses, substitutes and validates; throws a ConfigError listing every problem. */
export function loadConfig(text: string, file: string, input: LoadInput, options: LoadOptions = {}) {
  const display = displayName(file, input.cwd);
  const root = dirname(file);
  const env = options.env ?? process.env;
  const { source, problems } = parseConfigSource(text, display);
  if (problems.length) throw new ConfigError(display, problems);
  const raw = source.doc.toJS() as unknown;
  if (raw === null || raw === undefined) {
    throw new ConfigError(display, [
      { path: [], message: 'the file is empty; it needs at least version: v1 and name:', line: 1, column: 1 },
    ]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(display, [
      { path: [], message: 'expected a map of keys (version:, name:, apps: ...)', ...locate(source, []) },
    ]);
  }
  const top = raw as Record<string, unknown>;

  // declared vars, read before substitution (their definitions are never substituted)
  const declared: Record<string, VarSpec> = {};
  if (top.vars && typeof top.vars === 'object') {
    for (const [name, spec] of Object.entries(top.vars)) {
      const parsed = varSpecSchema.safeParse(spec);
      if (parsed.success) declared[name] = parsed.data;
    }
  }

  const envProblems: Problem[] = [];
  const envFile = chooseEnvFile(source, top, input.env, root);
  const entries = envFile ? readEnvFile(envFile.path, displayName(envFile.path, input.cwd)) : undefined;
  if (envFile && !entries && envFile.required) {
    envProblems.push({
      path: envFile.key,
      message: `env file ${envFile.rel} does not exist (looked in ${envFile.path})`,
      ...locate(source, envFile.key),
    });
  }
  const { vars, problems: varProblems } = resolveVariables({
    declared,
    ...(entries && envFile ? { envFile: { path: envFile.path, entries } } : {}),
    flags: input.vars,
    process: env,
    ...(envFile ? { envFileName: envFile.rel } : {}),
  });
  const all: Problem[] = [
    ...envProblems,
    ...varProblems.map((p) => ({ ...p, ...locate(source, p.path, 'key') })),
    ...substituteDocument(source, vars, ['vars']),
  ];
  const data = source.doc.toJS();
  const { config, problems: schemaProblems } = validateConfig(source, data);
  all.push(...schemaProblems);
  // reference problems at a path the schema already reported would say the same thing twice
  const reported = new Set(schemaProblems.map((p) => JSON.stringify(p.path)));
  all.push(...checkReferences(source, config ?? data, root).filter((p) => !reported.has(JSON.stringify(p.path))));
  if (all.length || !config) throw new ConfigError(display, all);
  return { config: config as KloopConfig, source: source as ConfigSource, vars };
}

function chooseEnvFile(
  source: ConfigSource,
  top: Record<string, unknown>,
  envName: string | undefined,
  root: string,
): { path: string; rel: string; key: (string | number)[]; required: boolean } | undefined {
  if (envName === undefined) {
    const rel = typeof top.envFile === 'string' ? top.envFile : '.env';
    // the local env file is optional: a fresh clone has only .env.example
    return { path: resolve(root, rel), rel, key: ['envFile'], required: false };
  }
  const envs = (top.environments && typeof top.environments === 'object' ? top.environments : {}) as Record<
    string,
    Record<string, unknown> | null
  >;
  if (!(envName in envs)) {
    const names = Object.keys(envs);
    throw new KloopError(
      `unknown environment "${envName}"${didYouMean(envName, names)}: ${source.display} defines ${names.length ? names.join(', ') : 'no environments'}`,
      { hint: 'pass one of them with --env, or add it under environments:', exitCode: 1 },
    );
  }
  const rel = envs[envName]?.envFile;
  // an environment without envFile gets only declared defaults, flags and the process environment
  if (typeof rel !== 'string') return undefined;
  return { path: resolve(root, rel), rel, key: ['environments', envName, 'envFile'], required: true };
}
