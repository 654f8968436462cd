// promote --from ENV: what another environment runs now (its source commit and images, from the
// metadata kloop wrote into its GitOps repository), and a git worktree of the application
// repository at that commit to render from.
import path from 'node:path';
import type { Project } from '../config/project.ts';
import { KloopError } from '../errors.ts';
import { clone, readText } from './checkout.ts';
import { GitFailure, type GitOptions, git } from './git.ts';
import { parseMetadata, pinnedRef } from './metadata.ts';
import { chooseForge } from './providers/detect.ts';
import { tempDir } from './temp.ts';

export interface Recorded {
  drySha?: string;
  /** image name -> reference with digest when known */
  images: Record<string, string>;
}

export async function readFromEnvironment(
  project: Project,
  from: string,
  env: Readonly<Record<string, string | undefined>>,
  base: GitOptions,
): Promise<Recorded> {
  const other = project.environments[from];
  if (!other) {
    throw new KloopError(`--from ${from}: no environment "${from}" in ${project.configFile}`, {
      hint: `environments: ${Object.keys(project.environments).join(', ') || 'none'}`,
    });
  }
  if (!other.gitops) throw new KloopError(`--from ${from}: environment ${from} has no gitops: section`);
  const choice = chooseForge(other.gitops, project.root, env);
  const g: GitOptions = { ...base, auth: choice.gitAuth, authSource: choice.forge?.tokenVariable };
  const tmp = await tempDir('kloop-from-');
  const dir = tmp.dir;
  try {
    const co = await clone(
      g,
      choice.remote,
      other.gitops.branch,
      `kloop/${project.name}/${from}`,
      path.join(dir, 'repo'),
    );
    const files = (await git(g, ['ls-files', '-z'], co.dir)).stdout.split('\0');
    const suffix = `.kloop/${project.name}/hydrator.metadata`;
    for (const file of files.filter((f) => f === suffix || f.endsWith(`/${suffix}`)).sort()) {
      const meta = parseMetadata(await readText(co, file));
      if (meta?.kloop.project !== project.name || meta.kloop.environment !== from) continue;
      const images = Object.fromEntries(Object.entries(meta.kloop.images).map(([n, i]) => [n, pinnedRef(i)]));
      return { drySha: meta.drySha, images };
    }
    throw new KloopError(
      `--from ${from}: ${choice.remote.display} (${other.gitops.branch}) holds no kloop promotion of ${project.name} to ${from}`,
      {
        hint: `merge a promotion of ${from} first (kloop promote --env ${from})`,
      },
    );
  } finally {
    tmp.remove();
  }
}

/** A detached worktree of the project's repository at `sha`; configFile is kloop.yaml inside it. */
export async function sourceWorktree(
  project: Project,
  sha: string,
): Promise<{ configFile: string; remove: () => Promise<void> }> {
  const g: GitOptions = { git: project.tools.git };
  let top: string;
  try {
    top = (await git(g, ['rev-parse', '--show-toplevel'], project.root)).stdout.trim();
  } catch {
    throw new KloopError(`--from needs ${project.root} to be a git repository`);
  }
  const tmp = await tempDir('kloop-source-');
  const wt = path.join(tmp.dir, 'src');
  try {
    await git(g, ['worktree', 'add', '--quiet', '--detach', wt, `${sha}^{commit}`], top);
  } catch (e) {
    tmp.remove();
    if (e instanceof GitFailure) {
      throw new KloopError(`commit ${sha} is not in ${top}`, {
        hint: 'fetch it (git fetch origin) and run promote --from again',
      });
    }
    throw e;
  }
  return {
    configFile: path.join(wt, path.relative(top, project.configFile)),
    remove: async () => {
      await git(g, ['worktree', 'remove', '--force', wt], top).catch(() => undefined);
      tmp.remove();
      await git(g, ['worktree', 'prune'], top).catch(() => undefined);
    },
  };
}
