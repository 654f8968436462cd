// What produced a render: the source commit (via the real git), whether the tree was dirty, and
// tool versions. Field names follow Argo CD's hydrator.metadata where they overlap.
import { KloopError } from '../errors.ts';
import { cachedToolVersion } from './cache.ts';
import type { KustomizeTool } from './kustomize.ts';
import { runTool, toolIdentity, which } from './tools.ts';
import type { SourceCommit } from './types.ts';

export interface SourceInfo extends SourceCommit {
  dirty?: boolean;
}

/** Removes user:password@ from a URL: tokens embedded in clone URLs must never be written anywhere. */
export function stripCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]+@/i, '$1');
}

async function git(gitPath: string, root: string, args: string[]): Promise<string | undefined> {
  try {
    return (await runTool(gitPath, ['-C', root, ...args], { tool: 'git' })).stdout;
  } catch (e) {
    if (e instanceof KloopError) throw e; // git missing
    return undefined;
  }
}

export async function sourceInfo(gitPath: string, root: string): Promise<SourceInfo> {
  if (!which(gitPath)) return {};
  const sha = (await git(gitPath, root, ['rev-parse', '--verify', '-q', 'HEAD']))?.trim();
  if (!sha) return {};
  const [log, status, remote] = await Promise.all([
    git(gitPath, root, ['log', '-1', '--format=%an <%ae>%x00%cI%x00%s%x00%b', sha]),
    git(gitPath, root, ['status', '--porcelain', '--', '.', ':(exclude).kloop']),
    git(gitPath, root, ['remote', 'get-url', 'origin']),
  ]);
  const [author, date, subject, body] = (log ?? '').split('\0');
  return {
    repoURL: remote?.trim() ? stripCredentials(remote.trim()) : undefined,
    drySha: sha,
    author,
    date,
    subject,
    body: body?.trim() || undefined,
    dirty: status === undefined ? undefined : status.trim() !== '',
  };
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

export async function toolVersions(
  stateDir: string,
  tools: { helm?: string; kustomize?: KustomizeTool },
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (tools.helm) {
    const helm = tools.helm;
    out.helm = await cachedToolVersion(stateDir, toolIdentity(helm), async () =>
      firstLine((await runTool(helm, ['version', '--short'], { tool: 'helm' })).stdout),
    );
  }
  if (tools.kustomize) {
    const k = tools.kustomize;
    const key = toolIdentity(k.file);
    if (k.tool === 'kubectl') {
      const info = await cachedToolVersion(stateDir, key, async () => {
        const { stdout } = await runTool(k.file, ['version', '--client', '-o', 'json'], { tool: 'kubectl' });
        const v = JSON.parse(stdout) as { clientVersion?: { gitVersion?: string }; kustomizeVersion?: string };
        return `${v.clientVersion?.gitVersion ?? 'unknown'} (kustomize ${v.kustomizeVersion ?? 'unknown'})`;
      });
      out.kubectl = info;
    } else {
      out.kustomize = await cachedToolVersion(stateDir, key, async () =>
        firstLine((await runTool(k.file, ['version'], { tool: 'kustomize' })).stdout),
      );
    }
  }
  return out;
}
