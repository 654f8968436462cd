// kloop promote and kloop diff: render for an environment, compare with what its GitOps
// repository holds, and (promote) commit the change to kloop/<project>/<env>, push it with a lease
// and open or update the one pull request for that branch.
import path from 'node:path';
import type { Project } from '../config/project.ts';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';
import { REDACTED, redact } from '../log/redact.ts';
import { buildAndRender } from '../pipeline/pipeline.ts';
import {
  BranchMoved,
  branchHolds,
  clone,
  commit,
  hasStagedChanges,
  push,
  replacePaths,
  stagedTree,
} from './checkout.ts';
import type { ResourceChange } from './diff.ts';
import { type GitOptions, git } from './git.ts';
import { imagesWithDigests } from './metadata.ts';
import { plan } from './plan.ts';
import { chooseForge, type ForgeChoice } from './providers/detect.ts';
import type { PullRequestResult } from './providers/types.ts';
import { readFromEnvironment, sourceWorktree } from './from.ts';
import { assertNoSecrets } from './guard.ts';
import { cleanOnInterrupt, tempDir } from './temp.ts';
import { ciRunUrl, counts, marker, summary, title } from './summary.ts';

export interface PromoteOptions {
  /** diff compares only; promote writes (unless dryRun) */
  mode: 'promote' | 'diff';
  /** --image NAME=REF */
  images?: Readonly<Record<string, string>>;
  /** --from ENV */
  from?: string;
  dryRun?: boolean;
  allowDirty?: boolean;
  /** --allow-nondeterministic: promote a render that changes with no input change */
  allowNondeterministic?: boolean;
  /** the process environment: forge tokens are read from here */
  env: Readonly<Record<string, string | undefined>>;
  /** resolves the project from another checkout of the source (for --from) */
  loadAt?: (configFile: string) => Promise<Project>;
  /** extra git environment (tests set GIT_TRACE) */
  gitEnv?: Readonly<Record<string, string>>;
  /** called right before each push (tests move the branch here) */
  beforePush?: (attempt: number) => Promise<void>;
}

export interface PromoteResult {
  environment: string;
  branch: string;
  changed: boolean;
  changes: ResourceChange[];
  imagesChanged: boolean;
  /** the summary diff and --dry-run print; the PR body is this, cut to the forge's limit */
  summary: string;
  pushed: boolean;
  commit?: string;
  pullRequest?: PullRequestResult;
  /** how to open the PR by hand when no forge API is used */
  manual?: string;
}

function environmentOf(project: Project) {
  const env = project.environment;
  if (!env) {
    const names = Object.keys(project.environments);
    throw new KloopError('promote and diff need an environment: --env NAME', {
      hint: names.length ? `environments: ${names.join(', ')}` : 'declare one under environments: in kloop.yaml',
    });
  }
  if (!env.gitops) {
    throw new KloopError(`environment ${env.name} has no gitops: section`, {
      location: { file: project.configFile },
      hint: `add environments.${env.name}.gitops with repo and path to kloop.yaml`,
    });
  }
  return { name: env.name, gitops: env.gitops };
}

function commitMessage(result: PromoteResult, meta: ReturnType<typeof plan> extends Promise<infer P> ? P : never) {
  const m = meta.metadata;
  const trailers = [
    `Kloop-Project: ${m.kloop.project}`,
    `Kloop-Environment: ${m.kloop.environment}`,
    ...(m.drySha ? [`Kloop-Source-Commit: ${m.drySha}`] : []),
    ...(m.repoURL ? [`Kloop-Source-Repo: ${m.repoURL}`] : []),
    ...(m.kloop.from ? [`Kloop-Promoted-From: ${m.kloop.from}`] : []),
    ...(m.kloop.dirty ? ['Kloop-Source-Dirty: true'] : []),
    ...Object.entries(m.kloop.images).map(
      ([n, i]) => `Kloop-Image: ${n}=${i.ref}${i.digest && !i.ref.includes('@') ? `@${i.digest}` : ''}`,
    ),
  ];
  return `${title(m)}\n\n${counts(result.changes)}.\n${m.subject ? `\nSource commit: ${m.subject}\n` : ''}\n${trailers.join('\n')}\n`;
}

function manualHint(choice: ForgeChoice, branch: string, base: string): string {
  const where = choice.remote.display;
  let url = '';
  if (choice.provider === 'github' && choice.remote.host === 'github.com')
    url = ` (https://github.com/${choice.remote.segments.join('/')}/compare/${base}...${branch}?expand=1)`;
  return `open a pull request from ${branch} into ${base} in ${where}${url}; ${choice.manualReason ?? ''}`.replace(
    /; $/,
    '',
  );
}

export async function promote(project: Project, options: PromoteOptions): Promise<PromoteResult> {
  const { name: envName, gitops } = environmentOf(project);
  const uninstall = cleanOnInterrupt();
  try {
    return await promoteEnvironment(project, options, envName, gitops);
  } finally {
    uninstall();
  }
}

async function promoteEnvironment(
  project: Project,
  options: PromoteOptions,
  envName: string,
  gitops: NonNullable<Project['environments'][string]['gitops']>,
): Promise<PromoteResult> {
  const branch = `kloop/${project.name}/${envName}`;
  const choice = chooseForge(gitops, project.root, options.env);
  const g: GitOptions = {
    git: project.tools.git,
    auth: choice.gitAuth,
    authSource: choice.forge?.tokenVariable,
    env: options.gitEnv ? { ...options.gitEnv } : undefined,
  };

  let source = project;
  let pinned: Record<string, string> = { ...options.images };
  let cleanupSource = async () => {};
  if (options.from) {
    const recorded = await readFromEnvironment(project, options.from, options.env, g);
    if (!recorded.drySha) {
      throw new KloopError(`environment ${options.from} has no source commit recorded in its GitOps repository`, {
        hint: `promote ${options.from} with kloop first`,
      });
    }
    if (!options.loadAt) throw new Error('promote --from needs loadAt');
    const wt = await sourceWorktree(project, recorded.drySha);
    cleanupSource = wt.remove;
    try {
      source = await options.loadAt(wt.configFile);
    } catch (e) {
      await wt.remove();
      throw e;
    }
    pinned = { ...recorded.images, ...options.images };
    log.step(
      `promoting what ${options.from} runs: commit ${recorded.drySha.slice(0, 12)}, ${Object.keys(recorded.images).length} images`,
    );
  }

  try {
    log.step(`rendering ${project.name} for ${envName}`);
    // the same hooks as kloop render and deploy, so a check that guards the render guards promotion too
    // render twice: a template that changes on its own would rewrite the repository on every promotion
    const determinism = options.mode === 'promote' && !options.allowNondeterministic ? 'refuse' : 'warn';
    const rendered = await buildAndRender(source, { images: pinned, determinism });
    if (rendered.metadata.kloop.dirty && !options.allowDirty && options.mode === 'promote') {
      throw new KloopError(`the working tree of ${source.root} has uncommitted changes`, {
        hint: 'commit them first, so the promotion names a commit that reproduces it; --allow-dirty promotes anyway (marked in the metadata)',
      });
    }
    assertNoSecrets(rendered.apps, source.vars, envName);
    const images = await imagesWithDigests(rendered.metadata.kloop.images, source.tools.docker);
    const configPath = path.relative(await toplevel(g, project.root), project.configFile) || 'kloop.yaml';

    for (let attempt = 0; ; attempt++) {
      const tmp = await tempDir('kloop-gitops-');
      try {
        log.step(`cloning ${choice.remote.display} (${gitops.branch})`);
        const co = await clone(g, choice.remote, gitops.branch, branch, path.join(tmp.dir, 'repo'));
        const p = await plan(co, {
          project: project.name,
          env: envName,
          template: gitops.path,
          render: rendered,
          images,
          configPath,
          from: options.from,
          ciRun: ciRunUrl(options.env),
          overrides: overrides(source),
          where: `${project.configFile}: environments.${envName}.gitops.path`,
        });
        await replacePaths(co, p.remove, p.files);
        const staged = await hasStagedChanges(co);
        const changed = staged && (p.changes.length > 0 || p.imagesChanged);
        const result: PromoteResult = {
          environment: envName,
          branch,
          changed,
          changes: p.changes,
          imagesChanged: p.imagesChanged,
          summary: redact(p.text),
          pushed: false,
        };
        if (!changed || options.mode === 'diff' || options.dryRun) return result;

        const tree = await stagedTree(co);
        if (await branchHolds(co, tree)) {
          log.info(`branch ${branch} already holds this render`);
          result.commit = co.branchSha;
        } else {
          result.commit = await commit(co, commitMessage(result, p), p.metadata.author, p.metadata.date);
          await options.beforePush?.(attempt);
          await push(co);
          result.pushed = true;
          log.success(`pushed ${branch} (${result.commit.slice(0, 12)}) to ${choice.remote.display}`);
        }
        if (choice.forge) {
          const body = redact(summary(p.summaryInput, choice.forge.bodyLimit));
          result.pullRequest = await choice.forge.openOrUpdate({
            head: branch,
            base: gitops.branch,
            title: redact(title(p.metadata)),
            body,
            marker: marker(project.name, envName),
            labels: gitops.labels ?? [],
            reviewers: gitops.reviewers ?? [],
          });
          for (const w of result.pullRequest.warnings) log.warn(w);
        } else {
          result.manual = manualHint(choice, branch, gitops.branch);
        }
        return result;
      } catch (e) {
        if (e instanceof BranchMoved && attempt === 0) {
          log.warn(`branch ${branch} moved while promoting; cloning again and retrying once`);
          continue;
        }
        if (e instanceof BranchMoved) {
          throw new KloopError(`branch ${branch} keeps moving in ${choice.remote.display}; nothing was pushed`, {
            hint: 'another promotion of this environment is running; try again when it is done',
          });
        }
        throw e;
      } finally {
        tmp.remove();
      }
    }
  } finally {
    await cleanupSource();
  }
}

/** Variables whose value does not come from the commit (--var, the process environment); secrets masked. */
function overrides(project: Project): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of [...project.vars.own.values()].sort((a, b) => a.name.localeCompare(b.name)))
    if (v.source === 'flag' || v.source === 'process') out[v.name] = v.secret ? REDACTED : v.value;
  return out;
}

async function toplevel(g: GitOptions, root: string): Promise<string> {
  try {
    return (await git(g, ['rev-parse', '--show-toplevel'], root)).stdout.trim();
  } catch {
    return root;
  }
}
