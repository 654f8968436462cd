// The GitOps repository, shallowly cloned into a temporary directory: read what the environment
// holds, replace the target paths wholesale, commit, and push kloop's own branch with a lease.
// Nothing is pushed to the base branch, so an interrupted promote leaves the repository unchanged
// (before the push) or fully updated (one atomic ref update).
import { existsSync, lstatSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { KloopError } from '../errors.ts';
import { GitFailure, type GitOptions, git } from './git.ts';
import type { RemoteRepo } from './providers/detect.ts';

export interface Checkout {
  dir: string;
  base: string;
  branch: string;
  baseSha: string;
  /** the promote branch on the remote, when it exists */
  branchSha?: string;
  g: GitOptions;
}

export function checkRefName(name: string, what: string): void {
  if (!name || name.startsWith('-') || /[\s~^:?*[\\]|\.\.|@\{|\/\/|\.lock$|\/$|^\//.test(name)) {
    throw new KloopError(`${what} "${name}" is not a valid git branch name`);
  }
}

function cloneFailure(e: unknown, remote: RemoteRepo, base: string, g: GitOptions): never {
  if (!(e instanceof GitFailure)) throw e;
  const s = e.stderr;
  if (/Remote branch .* not found|couldn't find remote ref/i.test(s)) {
    throw new KloopError(`the GitOps repository ${remote.display} has no branch ${base}`, {
      hint: 'create it (an initial commit is enough) or set gitops.branch in kloop.yaml',
    });
  }
  if (/Authentication failed|could not read Username|403|401|terminal prompts disabled/i.test(s)) {
    throw new KloopError(`cannot clone ${remote.display}: authentication failed`, {
      hint: g.auth
        ? `the token${g.authSource ? ` in ${g.authSource}` : ''} was refused: check that it is valid and may read and push this repository`
        : 'set the forge token variable (GITHUB_TOKEN, GITLAB_TOKEN, SYSTEM_ACCESSTOKEN, GITEA_TOKEN or BITBUCKET_TOKEN)',
    });
  }
  throw new KloopError(`cannot clone the GitOps repository ${remote.display}: ${e.message}`, {
    hint: 'check gitops.repo in kloop.yaml',
  });
}

export async function clone(
  g: GitOptions,
  remote: RemoteRepo,
  base: string,
  branch: string,
  dir: string,
): Promise<Checkout> {
  checkRefName(base, 'gitops.branch');
  checkRefName(branch, 'the promote branch');
  if (remote.local && !existsSync(remote.url)) {
    throw new KloopError(`the GitOps repository ${remote.url} does not exist`, {
      hint: 'create it (git init --bare) or fix gitops.repo in kloop.yaml',
    });
  }
  // file:// makes git honour --depth for a local repository too
  const url = remote.local ? pathToFileURL(remote.url).href : remote.url;
  try {
    await git(g, ['clone', '--quiet', '--depth=1', '--no-tags', '--single-branch', `--branch=${base}`, '--', url, dir]);
  } catch (e) {
    cloneFailure(e, remote, base, g);
  }
  const baseSha = (await git(g, ['rev-parse', 'HEAD'], dir)).stdout.trim();
  const heads = (await git(g, ['ls-remote', '--heads', 'origin', `refs/heads/${branch}`], dir)).stdout.trim();
  const branchSha = heads ? heads.split(/\s+/)[0] : undefined;
  if (branchSha) {
    await git(
      g,
      ['fetch', '--quiet', '--depth=1', '--no-tags', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`],
      dir,
    );
  }
  return { dir, base, branch, baseSha, branchSha, g };
}

/**
 * Repository-relative path inside the checkout; refuses anything that leaves it, including through
 * a symbolic link in a parent directory (a GitOps repository could point one anywhere).
 */
function inside(co: Checkout, rel: string): string {
  const abs = path.resolve(co.dir, rel);
  if (!abs.startsWith(co.dir + path.sep)) throw new KloopError(`path ${rel} is outside the GitOps repository`);
  const parts = path.relative(co.dir, abs).split(path.sep);
  let at = co.dir;
  for (const part of parts.slice(0, -1)) {
    at = path.join(at, part);
    if (lstatSync(at, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new KloopError(`the GitOps repository has a symbolic link at ${path.relative(co.dir, at)}`, {
        hint: 'kloop never writes through links; replace the link with a directory, or change gitops.path',
      });
    }
  }
  return abs;
}

export async function readText(co: Checkout, rel: string): Promise<string | undefined> {
  try {
    const abs = inside(co, rel);
    if ((await lstat(abs)).isSymbolicLink()) return undefined;
    return await readFile(abs, 'utf8');
  } catch {
    return undefined;
  }
}

/** YAML files at the target paths (a file, or every .yaml/.yml under a directory). */
export async function readYamlFiles(co: Checkout, targets: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (rel: string): Promise<void> => {
    const abs = inside(co, rel);
    const st = await lstat(abs).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      for (const entry of (await readdir(abs)).sort()) if (entry !== '.kloop') await visit(`${rel}/${entry}`);
    } else if (/\.ya?ml$/i.test(rel)) out.set(rel, await readFile(abs, 'utf8'));
  };
  for (const t of targets) await visit(t);
  return out;
}

/** Replaces the targets wholesale with the new files and stages the result. */
export async function replacePaths(
  co: Checkout,
  remove: readonly string[],
  files: ReadonlyMap<string, string>,
): Promise<void> {
  for (const rel of remove) await rm(inside(co, rel), { recursive: true, force: true });
  for (const [rel, content] of files) {
    const abs = inside(co, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
  // the clone is kloop's own: everything that differs is what was just written or removed
  await git(co.g, ['add', '--all'], co.dir);
  // written files are staged even when the repository's .gitignore would leave them out
  if (files.size) await git(co.g, ['add', '--force', '--', ...[...files.keys()].map((f) => `:(literal)${f}`)], co.dir);
}

export async function hasStagedChanges(co: Checkout): Promise<boolean> {
  try {
    await git(co.g, ['diff', '--cached', '--quiet'], co.dir);
    return false;
  } catch (e) {
    if (e instanceof GitFailure && e.code === 1) return true;
    throw e;
  }
}

export async function stagedTree(co: Checkout): Promise<string> {
  return (await git(co.g, ['write-tree'], co.dir)).stdout.trim();
}

/** Whether the remote promote branch already holds this tree on top of the current base. */
export async function branchHolds(co: Checkout, tree: string): Promise<boolean> {
  if (!co.branchSha) return false;
  const raw = (await git(co.g, ['cat-file', '-p', co.branchSha], co.dir)).stdout;
  const header = raw.slice(0, raw.indexOf('\n\n'));
  const branchTree = /^tree (\S+)/m.exec(header)?.[1];
  const parents = [...header.matchAll(/^parent (\S+)/gm)].map((m) => m[1]);
  return branchTree === tree && parents.length === 1 && parents[0] === co.baseSha;
}

function identity(author: string | undefined): { name: string; email: string } {
  const m = author ? /^(.*?)\s*<([^>]*)>$/.exec(author) : null;
  return m?.[1] && m[2] ? { name: m[1], email: m[2] } : { name: 'kloop', email: 'kloop@localhost' };
}

export async function commit(
  co: Checkout,
  message: string,
  author: string | undefined,
  date?: string,
): Promise<string> {
  const a = identity(author);
  const env = {
    ...co.g.env,
    GIT_AUTHOR_NAME: a.name,
    GIT_AUTHOR_EMAIL: a.email,
    GIT_COMMITTER_NAME: 'kloop',
    GIT_COMMITTER_EMAIL: 'kloop@localhost',
    ...(date ? { GIT_AUTHOR_DATE: date } : {}),
  };
  await git({ ...co.g, env }, ['commit', '--quiet', '--no-verify', '--no-gpg-sign', '--file=-'], co.dir, message);
  return (await git(co.g, ['rev-parse', 'HEAD'], co.dir)).stdout.trim();
}

export class BranchMoved extends Error {}

/** Pushes HEAD to the promote branch, only if it still is where the clone saw it. */
export async function push(co: Checkout): Promise<void> {
  const lease = `--force-with-lease=refs/heads/${co.branch}:${co.branchSha ?? ''}`;
  try {
    await git(co.g, ['push', '--quiet', '--no-verify', lease, 'origin', `HEAD:refs/heads/${co.branch}`], co.dir);
  } catch (e) {
    if (e instanceof GitFailure && /stale info|fetch first|non-fast-forward|\[rejected\]/i.test(e.stderr)) {
      throw new BranchMoved(e.message);
    }
    if (e instanceof GitFailure) {
      throw new KloopError(`cannot push branch ${co.branch} to the GitOps repository: ${e.message}`, {
        hint: 'the token (or your git credentials) must be allowed to push branches',
      });
    }
    throw e;
  }
}
