// Bitbucket Cloud: API 2.0 pull requests. It has no labels and no duplicate-PR error of its own,
// so the open PR is always looked up first.
import { basicAuth } from '../git.ts';
import { openOrUpdate } from './flow.ts';
import { apiClient, apiError } from './http.ts';
import type { Forge, ForgeOps, FoundPullRequest } from './types.ts';
import type { RemoteRepo } from './detect.ts';

interface BbPull {
  id: number;
  description?: string;
  links?: { html?: { href?: string } };
}

export function bitbucketForge(remote: RemoteRepo, token: string, tokenVariable: string, apiUrl?: string): Forge {
  const [workspace, slug] = [remote.segments[0]!, remote.segments[1]!];
  const api = apiClient(
    'Bitbucket',
    apiUrl ?? 'https://api.bitbucket.org/2.0',
    { authorization: `Bearer ${token}` },
    tokenVariable,
  );
  const r = `/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(slug)}/pullrequests`;
  const found = (p: BbPull): FoundPullRequest => ({
    id: p.id,
    url: p.links?.html?.href ?? `https://bitbucket.org/${workspace}/${slug}/pull-requests/${p.id}`,
    body: p.description ?? '',
  });
  // Reviewers are account UUIDs ({...}) or account ids; Bitbucket Cloud resolves nothing else.
  const reviewers = (names: readonly string[]) =>
    names.map((n) => (n.startsWith('{') ? { uuid: n } : { account_id: n }));

  const ops: ForgeOps = {
    async find(spec) {
      const q = `source.branch.name="${spec.head}" AND destination.branch.name="${spec.base}" AND state="OPEN"`;
      const data = (await api.ok('GET', `${r}?${new URLSearchParams({ q })}`)) as { values: BbPull[] };
      return data.values.map(found);
    },
    async create(spec) {
      const res = await api.request('POST', r, {
        title: spec.title,
        description: spec.body,
        source: { branch: { name: spec.head } },
        destination: { branch: { name: spec.base } },
        close_source_branch: true,
        reviewers: reviewers(spec.reviewers),
      });
      if (res.status === 201) return found(res.data as BbPull);
      if (res.status === 409 || (res.status === 400 && /already (exists|open)/i.test(JSON.stringify(res.data))))
        return 'duplicate';
      throw apiError('Bitbucket', 'POST', r, res, tokenVariable);
    },
    async update(pr, spec) {
      await api.ok('PUT', `${r}/${pr.id}`, {
        title: spec.title,
        description: spec.body,
        reviewers: reviewers(spec.reviewers),
      });
    },
    async decorate(_pr, spec) {
      return spec.labels.length ? ['Bitbucket Cloud pull requests have no labels; gitops.labels ignored'] : [];
    },
  };
  return {
    provider: 'bitbucket',
    bodyLimit: 32_768,
    gitAuth: basicAuth(remote.origin, 'x-token-auth', token),
    tokenVariable,
    openOrUpdate: (spec) => openOrUpdate('Bitbucket', ops, spec),
  };
}
