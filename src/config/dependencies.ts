// Other kloop projects this one depends on (`dependencies:`), resolved with the project itself, by
// the input it was loaded with (same environment, context, namespace and --var flags):
// - a path dependency is loaded, with its own dependencies, when the project is loaded: a missing
//   or broken kloop.yaml or a circle of dependencies fails the command before anything is built;
// - a git dependency is fetched (with the real git, into ~/.cache/kloop/deps/) only when a command
//   asks for its project (deploy, purge, and dev through deploy), once per run however many engines
//   ask, and not at all when its ref is a commit id the cache already holds; `kloop render`,
//   `print`, `status`, `promote` never reach the network for it.
// With --env, a dependency that cannot load (often: it does not define that environment) fails
// only the command that needs it: dependencies are inner-loop projects, promote does not use them.
// User-supplied strings (URL, ref) only ever appear after `--`, and the ext:: transport is disabled,
// so none can become a git option.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { KloopError } from '../errors.ts';
import { exec, tail } from '../process/exec.ts';
import type { LoadInput, Project, ResolvedDependency } from './project.ts';

export const CONFIG_NAMES = ['kloop.yaml', 'kloop.yml'];

/** The projects a load passes through, outermost first (to name a circle of dependencies). */
export type DependencyChain = readonly { readonly name: string; readonly configFile: string }[];

/** Loads the dependency's kloop.yaml as a project (load.ts's loadProject, with the chain). */
export type DependencyLoader = (input: LoadInput, chain: DependencyChain) => Promise<Project>;

// Per resolved project: dependency name → its project, loaded (path) or loaded on first use (git).
// Keyed by the project's `dependencies` object, which a copy of the project ({...project, ...},
// as the pipeline makes for the cluster's capabilities) shares with the original.
const resolved = new WeakMap<Project['dependencies'], Map<string, () => Promise<Project>>>();

/** Resolves the dependencies of a just-loaded project; path dependencies load now. */
export async function resolveDependencies(
  project: Project,
  chain: DependencyChain,
  load: DependencyLoader,
): Promise<Project> {
  const here = [...chain, { name: project.name, configFile: project.configFile }];
  const table = new Map<string, () => Promise<Project>>();
  for (const dep of Object.values(project.dependencies)) {
    const root = (): Promise<string> | string =>
      'path' in dep && typeof dep.path === 'string' ? dep.path : fetchGitDependency(project, gitOf(dep));
    let once: Promise<Project> | undefined;
    const get = () => {
      once ??= (async () => loadAt(project, dep, await root(), here, load))();
      return once;
    };
    if ('path' in dep) {
      const loaded = get();
      // without --env every command is an inner-loop one: a broken dependency is an error now
      if (!project.environment) await loaded;
      else loaded.catch(() => {}); // reported when a command asks for it
    }
    table.set(dep.name, get);
  }
  resolved.set(project.dependencies, table);
  return project;
}

/** The project of one dependency: loaded with the project, or fetched and loaded now (once). */
export function dependencyProject(project: Project, name: string): Promise<Project> {
  const get = resolved.get(project.dependencies)?.get(name);
  if (!get)
    throw new Error(
      `dependency ${name} of ${project.name} was not resolved with the project (load it with loadProject)`,
    );
  return get();
}

function gitOf(dep: ResolvedDependency): { name: string; git: string; ref: string; subPath?: string } {
  const g = dep as unknown as { name: string; git: string; ref?: string; subPath?: string };
  return { name: g.name, git: g.git, ref: g.ref ?? 'HEAD', ...(g.subPath ? { subPath: g.subPath } : {}) };
}

async function loadAt(
  project: Project,
  dep: ResolvedDependency,
  root: string,
  chain: DependencyChain,
  load: DependencyLoader,
): Promise<Project> {
  const file = CONFIG_NAMES.map((n) => join(root, n)).find((f) => existsSync(f));
  if (!file)
    throw new KloopError(`dependency ${dep.name}: no kloop.yaml in ${root}`, {
      location: { file: project.configFile },
      hint: 'a dependency is another kloop project: its directory (or subPath) must hold a kloop.yaml',
    });
  const seen = chain.findIndex((c) => c.configFile === file);
  if (seen >= 0)
    throw new KloopError(
      `dependencies form a circle: ${[...chain.slice(seen).map((c) => c.name), chain[seen]!.name].join(' → ')}`,
      {
        location: { file: project.configFile },
        details: chain
          .slice(seen)
          .map((c) => `${c.name}: ${relative(project.input.cwd, c.configFile) || c.configFile}`),
        hint: `remove dependencies.${dep.name} from ${relative(project.input.cwd, project.configFile) || project.configFile}, or the entry that leads back to it`,
      },
    );
  const { input } = project;
  const env = input.env && project.environment ? input.env : undefined;
  // the user's working directory stays: messages name the dependency's kloop.yaml from there
  try {
    return await load({ ...input, config: file, env }, chain);
  } catch (error) {
    // say which dependency it is, once (an inner dependency's error already says so)
    if (error instanceof KloopError && !/^dependenc/.test(error.message))
      error.message = `dependency ${dep.name} of ${project.name}: ${error.message}`;
    throw error;
  }
}

export function dependencyCacheDir(project: Project): string {
  const env = project.vars.process;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'kloop', 'deps');
}

function safeGitArgs(): string[] {
  return ['-c', 'protocol.ext.allow=never', '-c', 'advice.detachedHead=false'];
}

async function git(project: Project, args: string[], cwd?: string): Promise<string> {
  const result = await exec(project.tools.git, [...safeGitArgs(), ...args], { cwd });
  if (result.code !== 0)
    throw new KloopError(
      `git ${args
        .filter((a) => !a.startsWith('-'))
        .slice(0, 1)
        .join('')} failed (exit ${result.code})`,
      {
        details: tail(result.output),
      },
    );
  return result.stdout.trim();
}

/** Fetches a git dependency at its ref into the cache; returns the checkout directory. */
export async function fetchGitDependency(
  project: Project,
  dep: { name: string; git: string; ref: string; subPath?: string },
): Promise<string> {
  if (dep.ref.startsWith('-'))
    throw new KloopError(`dependencies.${dep.name}.ref "${dep.ref}" is not a branch, tag or commit`, {
      location: { file: project.configFile },
    });
  const dir = join(dependencyCacheDir(project), createHash('sha256').update(dep.git).digest('hex').slice(0, 16));
  try {
    if (await checkedOutAt(project, dir, dep.ref)) return within(project, dep, dir);
    if (!existsSync(join(dir, '.git'))) {
      mkdirSync(dir, { recursive: true });
      await git(project, ['init', '--quiet', '--', dir]);
      await git(project, ['-C', dir, 'remote', 'add', '--', 'origin', dep.git]);
    } else {
      await git(project, ['-C', dir, 'remote', 'set-url', '--', 'origin', dep.git]);
    }
    await git(project, ['-C', dir, 'fetch', '--quiet', '--depth', '1', '--', 'origin', dep.ref]);
    await git(project, ['-C', dir, 'checkout', '--quiet', '--force', '--detach', 'FETCH_HEAD']);
  } catch (error) {
    if (!(error instanceof KloopError)) throw error;
    throw new KloopError(`dependency ${dep.name}: cannot fetch ${dep.git} at ${dep.ref}`, {
      location: { file: project.configFile },
      details: [...error.details],
      hint: 'check the URL, the ref and your git credentials',
    });
  }
  return within(project, dep, dir);
}

/** The dependency's directory in the checkout: its subPath, which must stay inside. */
function within(project: Project, dep: { name: string; subPath?: string }, dir: string): string {
  const root = dep.subPath ? resolve(dir, dep.subPath) : dir;
  if (root !== dir && !root.startsWith(`${dir}${sep}`))
    throw new KloopError(`dependencies.${dep.name}.subPath leaves the repository`, {
      location: { file: project.configFile },
    });
  return root;
}

/**
 * A ref that is a full commit id names content that never changes: when the cache already holds
 * it, checked out and unmodified, no fetch is needed (a branch or tag may move, so it is fetched
 * once per run).
 */
async function checkedOutAt(project: Project, dir: string, ref: string): Promise<boolean> {
  if (!/^[0-9a-f]{40}$/i.test(ref) || !existsSync(join(dir, '.git'))) return false;
  try {
    const head = await git(project, ['-C', dir, 'rev-parse', '--verify', '-q', 'HEAD']);
    if (head.toLowerCase() !== ref.toLowerCase()) return false;
    return (await git(project, ['-C', dir, 'status', '--porcelain', '--untracked-files=no'])) === '';
  } catch {
    return false;
  }
}
