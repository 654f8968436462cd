// A Gitea/Forgejo API v1 double: `Authorization: token` (401 otherwise), 409 "pull request already
// exists for these targets", label ids, requested reviewers; PATCH of a pull answers 201 as Gitea does.
import type { Handler } from './server.ts';
import type { FakePr, PrStore } from './store.ts';

const labels = [
  { id: 1, name: 'promotion' },
  { id: 2, name: 'bug' },
];

export function giteaApi(store: PrStore, token: string, base = '/api/v1'): Handler {
  const re = new RegExp(`^${base}/repos/([^/]+)/([^/]+)/(pulls|labels)(?:/(\\d+))?(?:/(requested_reviewers))?$`);
  return (req) => {
    const m = re.exec(req.path);
    if (!m) return undefined;
    if (req.headers.authorization !== `token ${token}`)
      return {
        status: 401,
        body: { message: 'user does not exist [uid: 0, name: ]', url: 'https://gitea.example/api/swagger' },
      };
    const [, owner, repo, kind, num, sub] = m;
    if (kind === 'labels') return { status: 200, body: labels };
    const view = (p: FakePr) => ({
      number: p.id,
      html_url: `https://gitea.example/${owner}/${repo}/pulls/${p.id}`,
      state: p.open ? 'open' : 'closed',
      title: p.title,
      body: p.body,
      head: { ref: p.head },
      base: { ref: p.base },
      labels: p.labels.map((name) => ({ name })),
    });
    const setLabels = (p: FakePr, ids: unknown) => {
      if (Array.isArray(ids)) p.labels = ids.map((id) => labels.find((l) => l.id === id)?.name ?? `#${id}`);
    };
    if (!num && req.method === 'GET') {
      const limit = Number(req.query.get('limit') ?? 30);
      const page = Number(req.query.get('page') ?? 1);
      const all = store.list(() => true);
      return { status: 200, body: all.slice((page - 1) * limit, page * limit).map(view) };
    }
    if (!num && req.method === 'POST') {
      const b = req.body ?? {};
      if (!store.branchExists(b.head)) return { status: 404, body: { message: "The target couldn't be found." } };
      const dup = store.openFor(b.head, b.base);
      if (dup)
        return {
          status: 409,
          body: {
            message: `pull request already exists for these targets [id: ${dup.id}, issue_id: ${dup.id}, head_repo: 1, base_repo: 1, head_branch: ${b.head}, base_branch: ${b.base}]`,
            url: 'https://gitea.example/api/swagger',
          },
        };
      const p = store.add({ head: b.head, base: b.base, title: b.title, body: b.body ?? '' });
      setLabels(p, b.labels);
      return { status: 201, body: view(p) };
    }
    const p = num ? store.get(Number(num)) : undefined;
    if (!p) return { status: 404, body: { message: "The target couldn't be found." } };
    if (!sub && req.method === 'PATCH') {
      if (req.body.title !== undefined) p.title = req.body.title;
      if (req.body.body !== undefined) p.body = req.body.body;
      setLabels(p, req.body.labels);
      return { status: 201, body: view(p) };
    }
    if (sub === 'requested_reviewers' && req.method === 'POST') {
      for (const r of req.body.reviewers as string[]) if (!p.reviewers.includes(r)) p.reviewers.push(r);
      return { status: 201, body: [] };
    }
    return undefined;
  };
}
