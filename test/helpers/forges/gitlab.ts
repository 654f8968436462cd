// A GitLab API v4 double for merge requests: PRIVATE-TOKEN auth (401 otherwise), 409 "Another open
// merge request already exists for this source branch: !N", users lookup for reviewer ids.
import type { Handler } from './server.ts';
import type { FakePr, PrStore } from './store.ts';

export function gitlabApi(store: PrStore, token: string, base = '/api/v4'): Handler {
  const re = new RegExp(`^${base}/(?:projects/([^/]+)/merge_requests(?:/(\\d+))?|users)$`);
  return (req) => {
    const m = re.exec(req.path);
    if (!m) return undefined;
    if (req.headers['private-token'] !== token) return { status: 401, body: { message: '401 Unauthorized' } };
    if (!m[1]) {
      const username = req.query.get('username');
      return { status: 200, body: username === 'alice' ? [{ id: 7, username: 'alice' }] : [] };
    }
    const project = decodeURIComponent(m[1]);
    const view = (p: FakePr) => ({
      iid: p.id,
      web_url: `https://gitlab.example/${project}/-/merge_requests/${p.id}`,
      state: p.open ? 'opened' : 'closed',
      title: p.title,
      description: p.body,
      source_branch: p.head,
      target_branch: p.base,
      labels: p.labels,
      reviewers: p.reviewers.map((id) => ({ id: Number(id) })),
    });
    // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON
    const apply = (p: FakePr, body: any) => {
      if (body.title !== undefined) p.title = body.title;
      if (body.description !== undefined) p.body = body.description;
      if (typeof body.labels === 'string') p.labels = body.labels.split(',').filter(Boolean);
      if (Array.isArray(body.reviewer_ids)) p.reviewers = body.reviewer_ids.map(String);
    };
    if (!m[2] && req.method === 'GET') {
      const src = req.query.get('source_branch');
      const tgt = req.query.get('target_branch');
      return { status: 200, body: store.list((p) => (!src || p.head === src) && (!tgt || p.base === tgt)).map(view) };
    }
    if (!m[2] && req.method === 'POST') {
      const b = req.body ?? {};
      if (!b.source_branch || !b.target_branch || !b.title)
        return { status: 400, body: { message: { title: ["can't be blank"] } } };
      const dup = store.openFor(b.source_branch, b.target_branch);
      if (dup)
        return {
          status: 409,
          body: { message: [`Another open merge request already exists for this source branch: !${dup.id}`] },
        };
      const p = store.add({ head: b.source_branch, base: b.target_branch, title: b.title, body: '' });
      apply(p, b);
      return { status: 201, body: view(p) };
    }
    const p = m[2] ? store.get(Number(m[2])) : undefined;
    if (!p) return { status: 404, body: { message: '404 Not found' } };
    if (req.method === 'PUT') {
      apply(p, req.body ?? {});
      return { status: 200, body: view(p) };
    }
    return undefined;
  };
}
