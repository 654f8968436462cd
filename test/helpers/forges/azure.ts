// An Azure DevOps Git pull requests API (7.1) double: Basic ":PAT" or Bearer auth (401 otherwise),
// 409 TF401179 for a second active PR of the same branches, and a 400 for a description longer
// than 4,000 characters, as the service enforces.
import type { Handler } from './server.ts';
import type { FakePr, PrStore } from './store.ts';

export function azureApi(store: PrStore, token: string): Handler {
  const re =
    /^\/([^/]+)\/([^/]+)\/_apis\/git\/repositories\/([^/]+)\/pullrequests(?:\/(\d+))?(?:\/(labels|reviewers)(?:\/([^/]+))?)?$/i;
  return (req) => {
    const m = re.exec(req.path);
    if (!m) return undefined;
    const auth = req.headers.authorization ?? '';
    const okAuth = auth === `Bearer ${token}` || auth === `Basic ${Buffer.from(`:${token}`).toString('base64')}`;
    if (!okAuth) return { status: 401, body: 'Unauthorized', headers: { 'content-type': 'text/plain' } };
    if (req.query.get('api-version') !== '7.1')
      return {
        status: 400,
        body: {
          message: 'VS800075: The api-version query parameter is required',
          typeKey: 'VssVersionOutOfRangeException',
        },
      };
    const [, , , repo, id, sub, reviewer] = m;
    const view = (p: FakePr) => ({
      pullRequestId: p.id,
      status: p.open ? 'active' : 'completed',
      title: p.title,
      description: p.body,
      sourceRefName: `refs/heads/${p.head}`,
      targetRefName: `refs/heads/${p.base}`,
      repository: { name: repo },
      labels: p.labels.map((name) => ({ name, active: true })),
    });
    const tooLong = (d: unknown) =>
      typeof d === 'string' && d.length > 4000
        ? {
            status: 400,
            body: {
              message: 'The pull request description is too long: it is limited to 4000 characters.',
              typeKey: 'InvalidArgumentValueException',
            },
          }
        : undefined;
    if (!id && req.method === 'GET') {
      const src = req.query.get('searchCriteria.sourceRefName');
      const tgt = req.query.get('searchCriteria.targetRefName');
      const list = store.list(
        (p) => (!src || `refs/heads/${p.head}` === src) && (!tgt || `refs/heads/${p.base}` === tgt),
      );
      return { status: 200, body: { value: list.map(view), count: list.length } };
    }
    if (!id && req.method === 'POST') {
      const b = req.body ?? {};
      const long = tooLong(b.description);
      if (long) return long;
      const head = String(b.sourceRefName ?? '').replace(/^refs\/heads\//, '');
      const base = String(b.targetRefName ?? '').replace(/^refs\/heads\//, '');
      if (!store.branchExists(head))
        return {
          status: 400,
          body: {
            message: `TF401398: The pull request cannot be activated because the source and/or the target branch no longer exists.`,
          },
        };
      if (store.openFor(head, base))
        return {
          status: 409,
          body: {
            $id: '1',
            innerException: null,
            message: 'TF401179: An active pull request for the source and target branch already exists.',
            typeName:
              'Microsoft.TeamFoundation.Git.Server.GitPullRequestExistsException, Microsoft.TeamFoundation.Git.Server',
            typeKey: 'GitPullRequestExistsException',
            errorCode: 0,
            eventId: 3000,
          },
        };
      const p = store.add({ head, base, title: b.title, body: b.description ?? '' });
      p.labels = (b.labels ?? []).map((l: { name: string }) => l.name);
      return { status: 201, body: view(p) };
    }
    const p = id ? store.get(Number(id)) : undefined;
    if (!p) return { status: 404, body: { message: `TF401180: The requested pull request was not found.` } };
    if (!sub && req.method === 'PATCH') {
      const long = tooLong(req.body?.description);
      if (long) return long;
      if (req.body.title !== undefined) p.title = req.body.title;
      if (req.body.description !== undefined) p.body = req.body.description;
      return { status: 200, body: view(p) };
    }
    if (sub?.toLowerCase() === 'labels' && req.method === 'POST') {
      if (!p.labels.includes(req.body.name)) p.labels.push(req.body.name);
      return { status: 200, body: { name: req.body.name, active: true } };
    }
    if (sub?.toLowerCase() === 'reviewers' && req.method === 'PUT' && reviewer) {
      if (!p.reviewers.includes(reviewer)) p.reviewers.push(reviewer);
      return { status: 200, body: { id: reviewer, vote: 0 } };
    }
    return undefined;
  };
}
