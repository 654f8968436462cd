// A GitHub REST API double (pulls, issue labels, requested reviewers) with GitHub's documented
// status codes and error bodies: 401 Bad credentials, 422 Validation Failed for a duplicate PR or a
// head branch that does not exist, 201/200 on success.
import type { Handler } from './server.ts';
import type { FakePr, PrStore } from './store.ts';

export function githubApi(store: PrStore, token: string, base = '/api/v3'): Handler {
  const re = new RegExp(`^${base}/repos/([^/]+)/([^/]+)/(pulls|issues)(?:/(\\d+))?(?:/(labels|requested_reviewers))?$`);
  return (req) => {
    const m = re.exec(req.path);
    if (!m) return undefined;
    if (req.headers.authorization !== `Bearer ${token}`)
      return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    const [, owner, repo, kind, num, sub] = m;
    const view = (p: FakePr) => ({
      number: p.id,
      html_url: `https://github.example/${owner}/${repo}/pull/${p.id}`,
      state: p.open ? 'open' : 'closed',
      title: p.title,
      body: p.body,
      head: { ref: p.head, label: `${owner}:${p.head}` },
      base: { ref: p.base },
      labels: p.labels.map((name) => ({ name })),
      requested_reviewers: p.reviewers.map((login) => ({ login })),
    });
    if (kind === 'pulls' && !num && req.method === 'GET') {
      const head = req.query.get('head');
      const b = req.query.get('base');
      const list = store.list((p) => (!head || `${owner}:${p.head}` === head) && (!b || p.base === b));
      return { status: 200, body: list.map(view) };
    }
    if (kind === 'pulls' && !num && req.method === 'POST') {
      const { title, head, base: target, body } = req.body ?? {};
      if (!title || !head || !target)
        return {
          status: 422,
          body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'missing_field' }] },
        };
      if (!store.branchExists(head))
        return {
          status: 422,
          body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] },
        };
      if (store.openFor(head, target))
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'PullRequest',
                code: 'custom',
                message: `A pull request already exists for ${owner}:${head}.`,
              },
            ],
            documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
          },
        };
      return { status: 201, body: view(store.add({ head, base: target, title, body: body ?? '' })) };
    }
    const pr = num ? store.get(Number(num)) : undefined;
    if (!pr) return { status: 404, body: { message: 'Not Found' } };
    if (kind === 'pulls' && !sub && req.method === 'PATCH') {
      if (req.body.title !== undefined) pr.title = req.body.title;
      if (req.body.body !== undefined) pr.body = req.body.body;
      return { status: 200, body: view(pr) };
    }
    if (kind === 'issues' && sub === 'labels' && req.method === 'POST') {
      for (const l of req.body.labels as string[]) if (!pr.labels.includes(l)) pr.labels.push(l);
      return { status: 200, body: pr.labels.map((name) => ({ name })) };
    }
    if (kind === 'pulls' && sub === 'requested_reviewers' && req.method === 'POST') {
      for (const r of req.body.reviewers as string[]) if (!pr.reviewers.includes(r)) pr.reviewers.push(r);
      return { status: 201, body: view(pr) };
    }
    return undefined;
  };
}
