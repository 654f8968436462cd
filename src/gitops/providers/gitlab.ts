// GitLab (gitlab.com and self-managed): merge requests API v4.
import { basicAuth } from '../git.ts';
import { openOrUpdate } from './flow.ts';
import { apiClient, apiError } from './http.ts';
import type { Forge, ForgeOps, FoundPullRequest } from './types.ts';
import type { RemoteRepo } from './detect.ts';

interface GlMergeRequest {
  iid: number;
  web_url: string;
  description?: string | null;
}

const found = (m: GlMergeRequest): FoundPullRequest => ({ id: m.iid, url: m.web_url, body: m.description ?? '' });

export function gitlabForge(remote: RemoteRepo, token: string, tokenVariable: string, apiUrl?: string): Forge {
  const base = apiUrl ?? `${remote.origin.replace(/\/$/, '')}/api/v4`;
  const api = apiClient('GitLab', base, { 'private-token': token }, tokenVariable);
  const p = `/projects/${encodeURIComponent(remote.segments.join('/'))}`;
  let reviewerIds: number[] | undefined;
  const warnings: string[] = [];

  async function reviewers(names: readonly string[]): Promise<number[]> {
    if (reviewerIds) return reviewerIds;
    reviewerIds = [];
    for (const name of names) {
      const users = (await api.ok('GET', `/users?${new URLSearchParams({ username: name })}`)) as Array<{ id: number }>;
      if (users[0]) reviewerIds.push(users[0].id);
      else warnings.push(`GitLab has no user "${name}" (gitops.reviewers)`);
    }
    return reviewerIds;
  }

  const ops: ForgeOps = {
    async find(spec) {
      const q = new URLSearchParams({ state: 'opened', source_branch: spec.head, target_branch: spec.base });
      return ((await api.ok('GET', `${p}/merge_requests?${q}`)) as GlMergeRequest[]).map(found);
    },
    async create(spec) {
      const res = await api.request('POST', `${p}/merge_requests`, {
        source_branch: spec.head,
        target_branch: spec.base,
        title: spec.title,
        description: spec.body,
        labels: spec.labels.join(','),
        reviewer_ids: await reviewers(spec.reviewers),
        remove_source_branch: true,
      });
      if (res.status === 201) return found(res.data as GlMergeRequest);
      if (res.status === 409) return 'duplicate';
      throw apiError('GitLab', 'POST', `${p}/merge_requests`, res, tokenVariable);
    },
    async update(mr, spec) {
      await api.ok('PUT', `${p}/merge_requests/${mr.id}`, {
        title: spec.title,
        description: spec.body,
        labels: spec.labels.join(','),
        reviewer_ids: await reviewers(spec.reviewers),
      });
    },
    async decorate() {
      return warnings;
    },
  };
  return {
    provider: 'gitlab',
    bodyLimit: 1_048_576,
    gitAuth: basicAuth(remote.origin, 'oauth2', token),
    tokenVariable,
    openOrUpdate: (spec) => openOrUpdate('GitLab', ops, spec),
  };
}
