// GitHub and GitHub Enterprise: REST v3 pulls API.
import { basicAuth } from '../git.ts';
import { openOrUpdate } from './flow.ts';
import { apiClient, apiError } from './http.ts';
import type { Forge, ForgeOps, FoundPullRequest } from './types.ts';
import type { RemoteRepo } from './detect.ts';

interface GhPull {
  number: number;
  html_url: string;
  body?: string | null;
}

const found = (p: GhPull): FoundPullRequest => ({ id: p.number, url: p.html_url, body: p.body ?? '' });

export function githubForge(remote: RemoteRepo, token: string, tokenVariable: string, apiUrl?: string): Forge {
  const [owner, repo] = [remote.segments.slice(0, -1).join('/'), remote.segments.at(-1)!];
  const base =
    apiUrl ?? (remote.host === 'github.com' ? 'https://api.github.com' : `${remote.origin.replace(/\/$/, '')}/api/v3`);
  const api = apiClient(
    'GitHub',
    base,
    {
      authorization: `Bearer ${token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    },
    tokenVariable,
  );
  const r = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  const ops: ForgeOps = {
    async find(spec) {
      const q = new URLSearchParams({ state: 'open', head: `${owner}:${spec.head}`, base: spec.base });
      return ((await api.ok('GET', `${r}/pulls?${q}`)) as GhPull[]).map(found);
    },
    async create(spec) {
      const res = await api.request('POST', `${r}/pulls`, {
        title: spec.title,
        head: spec.head,
        base: spec.base,
        body: spec.body,
        draft: false,
      });
      if (res.status === 201) return found(res.data as GhPull);
      if (res.status === 422 && /already exists/i.test(JSON.stringify(res.data))) return 'duplicate';
      throw apiError('GitHub', 'POST', `${r}/pulls`, res, tokenVariable);
    },
    async update(pr, spec) {
      await api.ok('PATCH', `${r}/pulls/${pr.id}`, { title: spec.title, body: spec.body, base: spec.base });
    },
    async decorate(pr, spec) {
      if (spec.labels.length) await api.ok('POST', `${r}/issues/${pr.id}/labels`, { labels: spec.labels });
      if (spec.reviewers.length) {
        // "org/team" names a team; anything else a user
        const teams = spec.reviewers.filter((x) => x.includes('/')).map((x) => x.split('/').at(-1)!);
        const users = spec.reviewers.filter((x) => !x.includes('/'));
        await api.ok('POST', `${r}/pulls/${pr.id}/requested_reviewers`, { reviewers: users, team_reviewers: teams });
      }
      return [];
    },
  };
  return {
    provider: 'github',
    bodyLimit: 65_536,
    gitAuth: basicAuth(remote.origin, 'x-access-token', token),
    tokenVariable,
    openOrUpdate: (spec) => openOrUpdate('GitHub', ops, spec),
  };
}
