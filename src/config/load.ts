// Loading kloop.yaml: find it, parse it with positions, resolve variables, substitute, validate,
// check references, and resolve into the frozen Project. Every problem is reported at once.
// The parsing and validation live in load-text.ts, loaded only when the config cache
// (config-cache.ts) has no entry for these inputs: the schema library is the largest module kloop
// has, and a warm start of an unchanged project never needs it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';
import { mark } from '../log/timing.ts';
import { cachedConfig, type LoadedConfig, saveConfig } from './config-cache.ts';
import { CONFIG_NAMES, type DependencyChain, resolveDependencies } from './dependencies.ts';
import { type Kubeconfig, readKubeconfig } from './kubeconfig.ts';
import type { LoadInput, Project } from './project.ts';
import { resolveProject } from './resolve.ts';
import { readState } from './state.ts';

export type { LoadInput };

export { CONFIG_NAMES };

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

export interface LoadOptions {
  /** process environment (default: process.env) */
  env?: Record<string, string | undefined>;
  /** an already read kubeconfig (default: read from KUBECONFIG / ~/.kube/config) */
  kubeconfig?: Kubeconfig;
  /** the projects this one is loaded as a dependency of, outermost first */
  dependencyOf?: DependencyChain;
}

/** Loads and resolves the project for a command. */
export async function loadProject(input: LoadInput, options: LoadOptions = {}): Promise<Project> {
  const file = findConfigFile(input.cwd, input.config);
  const text = readFileSync(file, 'utf8');
  mark('config: read');
  const env = options.env ?? process.env;
  let loaded = cachedConfig(file, text, input, env);
  if (!loaded) {
    const { loadConfig } = await import('./load-text.ts');
    loaded = loadConfig(text, file, input, options);
    saveConfig(file, text, input, env, loaded);
  }
  mark(`config: ${loaded.cached ? 'validated config from the cache' : 'parsed, validated'}`);
  return resolveDependencies(projectOf(loaded, file, input, options), options.dependencyOf ?? [], (dep, chain) =>
    loadProject(dep, { ...options, dependencyOf: chain }),
  );
}

/** The resolved Project of a loaded (validated) config. */
export function projectOf(loaded: LoadedConfig, file: string, input: LoadInput, options: LoadOptions = {}): Project {
  const env = options.env ?? process.env;
  const root = dirname(file);
  const project = resolveProject(loaded.config, {
    root,
    configFile: file,
    vars: loaded.vars,
    globals: input,
    input,
    kubeconfig: options.kubeconfig ?? readKubeconfig(env),
    state: readState(join(root, '.kloop')),
    pathEnv: env.PATH,
  });
  mark('config: resolved');
  log.debug(`loaded ${loaded.display} (project ${project.name}, context ${project.cluster.context ?? '-'})`);
  return project;
}
