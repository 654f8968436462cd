// Azure DevOps Repos: pull requests API 7.1. The description limit is 4,000 characters.
import { KloopError } from '../../errors.ts';
import { basicAuth, bearerAuth } from '../git.ts';
import { openOrUpdate } from './flow.ts';
import { apiClient, apiError } from './http.ts';
import type { Forge, ForgeOps, FoundPullRequest } from './types.ts';
import type { RemoteRepo } from './detect.ts';

interface AzPull {
  pullRequestId: number;
  description?: string;
}

/** org, project and repository from dev.azure.com/{org}/{project}/_git/{repo} or {org}.visualstudio.com/{project}/_git/{repo}. */
export function azureCoordinates(remote: RemoteRepo): { org: string; project: string; repo: string } {
  const s = remote.segments;
  const git = s.indexOf('_git');
  if (git >= 1 && s[git + 1]) {
    const repo = s[git + 1]!;
    const project = s[git - 1]!;
    const org = remote.host.endsWith('.visualstudio.com') ? remote.host.split('.')[0]! : s[git - 2];
    if (org) return { org, project, repo };
  }
  // ssh.dev.azure.com:v3/{org}/{project}/{repo}
  if (s[0] === 'v3' && s.length === 4) return { org: s[1]!, project: s[2]!, repo: s[3]! };
  throw new KloopError(`cannot read the Azure DevOps organization, project and repository from ${remote.display}`, {
    hint: 'use a URL like https://dev.azure.com/<org>/<project>/_git/<repo>',
  });
}

export function azureForge(remote: RemoteRepo, token: string, tokenVariable: string, apiUrl?: string): Forge {
  const { org, project, repo } = azureCoordinates(remote);
  // The pipeline's SYSTEM_ACCESSTOKEN is a bearer token; a personal access token goes as Basic ":PAT".
  const bearer = tokenVariable === 'SYSTEM_ACCESSTOKEN';
  const authorization = bearer ? `Bearer ${token}` : `Basic ${Buffer.from(`:${token}`).toString('base64')}`;
  const base = apiUrl ?? 'https://dev.azure.com';
  const api = apiClient('Azure DevOps', base, { authorization }, tokenVariable);
  const e = encodeURIComponent;
  const prs = `/${e(org)}/${e(project)}/_apis/git/repositories/${e(repo)}/pullrequests`;
  const v = 'api-version=7.1';
  const web = (id: number) =>
    `${apiUrl ? base.replace(/\/$/, '') : 'https://dev.azure.com'}/${e(org)}/${e(project)}/_git/${e(repo)}/pullrequest/${id}`;
  const found = (p: AzPull): FoundPullRequest => ({
    id: p.pullRequestId,
    url: web(p.pullRequestId),
    body: p.description ?? '',
  });

  const ops: ForgeOps = {
    async find(spec) {
      const q = new URLSearchParams({
        'searchCriteria.sourceRefName': `refs/heads/${spec.head}`,
        'searchCriteria.targetRefName': `refs/heads/${spec.base}`,
        'searchCriteria.status': 'active',
      });
      const data = (await api.ok('GET', `${prs}?${q}&${v}`)) as { value: AzPull[] };
      return data.value.map(found);
    },
    async create(spec) {
      const res = await api.request('POST', `${prs}?${v}`, {
        sourceRefName: `refs/heads/${spec.head}`,
        targetRefName: `refs/heads/${spec.base}`,
        title: spec.title,
        description: spec.body,
        isDraft: false,
        labels: spec.labels.map((name) => ({ name })),
      });
      if (res.status === 201) return found(res.data as AzPull);
      if (res.status === 409 && /TF401179/.test(JSON.stringify(res.data))) return 'duplicate';
      throw apiError('Azure DevOps', 'POST', prs, res, tokenVariable);
    },
    async update(pr, spec) {
      await api.ok('PATCH', `${prs}/${pr.id}?${v}`, { title: spec.title, description: spec.body });
      for (const name of spec.labels) await api.ok('POST', `${prs}/${pr.id}/labels?${v}`, { name });
    },
    async decorate(pr, spec) {
      const warnings: string[] = [];
      for (const reviewer of spec.reviewers) {
        // Azure DevOps adds reviewers by identity id only; names cannot be resolved with a repo-scoped token.
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(reviewer)) {
          warnings.push(`Azure DevOps reviewers must be identity ids (GUIDs); skipped "${reviewer}"`);
          continue;
        }
        await api.ok('PUT', `${prs}/${pr.id}/reviewers/${e(reviewer)}?${v}`, { vote: 0 });
      }
      return warnings;
    },
  };
  return {
    provider: 'azure',
    bodyLimit: 4_000,
    gitAuth: bearer ? bearerAuth(remote.origin, token) : basicAuth(remote.origin, 'kloop', token),
    tokenVariable,
    openOrUpdate: (spec) => openOrUpdate('Azure DevOps', ops, spec),
  };
}
