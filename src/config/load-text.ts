// Reading kloop.yaml text: parse it with positions, resolve variables, substitute, validate against
// the schema and check references. load.ts calls it when the config cache has no entry.
import { dirname, resolve } from 'node:path';
import { KloopError } from '../errors.ts';
import type { LoadedConfig } from './config-cache.ts';
import { readEnvFile } from './env-file.ts';
import { type LoadOptions, projectOf } from './load.ts';
import { ConfigError, didYouMean, displayName, type Problem } from './problems.ts';
import type { LoadInput, Project } from './project.ts';
import { checkReferences } from './references.ts';
import { resolveVariables } from './resolve-vars.ts';
import { type KloopConfig, varSpecSchema, type VarSpec } from './schema.ts';
import { validateConfig } from './validate.ts';
import { type ConfigSource, locate, parseConfigSource, substituteDocument } from './yaml-source.ts';

/** Loads a project from kloop.yaml text (for tests: no file needs to exist at `file`, but the root is its dir). */
export function loadProjectFromText(text: string, file: string, input: LoadInput, options: LoadOptions = {}): Project {
  return projectOf(loadConfig(text, file, input, options), file, input, options);
}

/** Parses, substitutes and validates; throws a ConfigError listing every problem. */
export function loadConfig(
  text: string,
  file: string,
  input: LoadInput,
  options: LoadOptions = {},
): LoadedConfig & { source: ConfigSource } {
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
  return {
    config: config as KloopConfig,
    source: source as ConfigSource,
    display,
    vars,
    declared,
    ...(envFile ? { envFile: { path: envFile.path, rel: envFile.rel } } : {}),
    cached: false,
  };
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
