// Other kloop projects this one depends on (`dependencies:`): a local path, or a git repository
// fetched with the real git into ~/.cache/kloop/deps/. User-supplied strings (URL, ref) only ever
// appear after `--`, and the ext:: transport is disabled, so none can become a git option.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { exec, tail } from '../process/exec.ts';
import { CONFIG_NAMES, loadProject } from '../config/load.ts';
import type { Project, ResolvedDependency } from '../config/project.ts';
import { KloopError } from '../errors.ts';

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
  const root = dep.subPath ? resolve(dir, dep.subPath) : dir;
  if (root !== dir && !root.startsWith(`${dir}${sep}`))
    throw new KloopError(`dependencies.${dep.name}.subPath leaves the repository`, {
      location: { file: project.configFile },
    });
  return root;
}

/** The directory of a dependency's kloop.yaml, fetched when it is a git dependency. */
export async function dependencyRoot(project: Project, dep: ResolvedDependency): Promise<string> {
  if ('path' in dep && typeof dep.path === 'string') return resolve(project.root, dep.path);
  const g = dep as unknown as { name: string; git: string; ref?: string; subPath?: string };
  return fetchGitDependency(project, { name: g.name, git: g.git, ref: g.ref ?? 'HEAD', subPath: g.subPath });
}

// Each dependency project is resolved once per run, however many engines ask for it.
const loaded = new Map<string, Promise<Project>>();

/**
 * A dependency as a project of its own, loaded with the input its parent was loaded with (same
 * environment, context, namespace and --var flags); resolved once per run.
 */
export function loadDependency(project: Project, dep: ResolvedDependency): Promise<Project> {
  const key = JSON.stringify([project.configFile, dep.name, project.input]);
  let p = loaded.get(key);
  if (!p) {
    p = load(project, dep);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

async function load(project: Project, dep: ResolvedDependency): Promise<Project> {
  const root = await dependencyRoot(project, dep);
  const file = CONFIG_NAMES.map((n) => join(root, n)).find((f) => existsSync(f));
  if (!file)
    throw new KloopError(`dependency ${dep.name}: no kloop.yaml in ${root}`, {
      location: { file: project.configFile },
      hint: 'a dependency is another kloop project: its directory (or subPath) must hold a kloop.yaml',
    });
  const { input } = project;
  const env = input.env && project.environment ? input.env : undefined;
  return loadProject({ ...input, cwd: root, config: file, env });
}
