// Gitea and Forgejo: API v1 pulls.
import { basicAuth } from '../git.ts';
import { openOrUpdate } from './flow.ts';
import { apiClient, apiError } from './http.ts';
import type { Forge, ForgeOps, FoundPullRequest } from './types.ts';
import type { RemoteRepo } from './detect.ts';

interface GtPull {
  number: number;
  html_url: string;
  body?: string;
  head?: { ref?: string };
  base?: { ref?: string };
}

const found = (p: GtPull): FoundPullRequest => ({ id: p.number, url: p.html_url, body: p.body ?? '' });

export function giteaForge(remote: RemoteRepo, token: string, tokenVariable: string, apiUrl?: string): Forge {
  const [owner, repo] = [remote.segments.slice(0, -1).join('/'), remote.segments.at(-1)!];
  const base = apiUrl ?? `${remote.origin.replace(/\/$/, '')}/api/v1`;
  const api = apiClient('Gitea', base, { authorization: `token ${token}` }, tokenVariable);
  const r = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  const warnings: string[] = [];
  let labelIds: number[] | undefined;

  async function labels(names: readonly string[]): Promise<number[]> {
    if (labelIds) return labelIds;
    labelIds = [];
    if (names.length === 0) return labelIds;
    const all = (await api.ok('GET', `${r}/labels?limit=100`)) as Array<{ id: number; name: string }>;
    for (const name of names) {
      const l = all.find((x) => x.name === name);
      if (l) labelIds.push(l.id);
      else warnings.push(`the repository has no label "${name}" (gitops.labels); create it in Gitea first`);
    }
    return labelIds;
  }

  const ops: ForgeOps = {
    async find(spec) {
      const out: FoundPullRequest[] = [];
      for (let page = 1; page <= 20; page++) {
        const list = (await api.ok('GET', `${r}/pulls?state=open&limit=50&page=${page}`)) as GtPull[];
        for (const p of list) if (p.head?.ref === spec.head && p.base?.ref === spec.base) out.push(found(p));
        if (list.length < 50) break;
      }
      return out;
    },
    async create(spec) {
      const res = await api.request('POST', `${r}/pulls`, {
        head: spec.head,
        base: spec.base,
        title: spec.title,
        body: spec.body,
        labels: await labels(spec.labels),
      });
      if (res.status === 201) return found(res.data as GtPull);
      if (res.status === 409) return 'duplicate';
      throw apiError('Gitea', 'POST', `${r}/pulls`, res, tokenVariable);
    },
    async update(pr, spec) {
      await api.ok('PATCH', `${r}/pulls/${pr.id}`, {
        title: spec.title,
        body: spec.body,
        labels: await labels(spec.labels),
      });
    },
    async decorate(pr, spec) {
      if (spec.reviewers.length)
        await api.ok('POST', `${r}/pulls/${pr.id}/requested_reviewers`, { reviewers: spec.reviewers });
      return warnings;
    },
  };
  return {
    provider: 'gitea',
    bodyLimit: 65_536,
    gitAuth: basicAuth(remote.origin, 'oauth2', token),
    tokenVariable,
    openOrUpdate: (spec) => openOrUpdate('Gitea', ops, spec),
  };
}
