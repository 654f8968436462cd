// A Bitbucket Cloud API 2.0 double for pull requests: Bearer auth (401 otherwise), the q= filter on
// source.branch.name / destination.branch.name / state, paginated {values} answers.
import type { Handler } from './server.ts';
import type { FakePr, PrStore } from './store.ts';

export function bitbucketApi(store: PrStore, token: string, base = '/2.0'): Handler {
  const re = new RegExp(`^${base}/repositories/([^/]+)/([^/]+)/pullrequests(?:/(\\d+))?$`);
  return (req) => {
    const m = re.exec(req.path);
    if (!m) return undefined;
    if (req.headers.authorization !== `Bearer ${token}`)
      return { status: 401, body: { type: 'error', error: { message: 'Access token expired or invalid' } } };
    const [, ws, slug, num] = m;
    const view = (p: FakePr) => ({
      id: p.id,
      title: p.title,
      description: p.body,
      state: p.open ? 'OPEN' : 'MERGED',
      source: { branch: { name: p.head } },
      destination: { branch: { name: p.base } },
      reviewers: p.reviewers.map((uuid) => ({ uuid })),
      links: { html: { href: `https://bitbucket.example/${ws}/${slug}/pull-requests/${p.id}` } },
    });
    if (!num && req.method === 'GET') {
      const q = req.query.get('q') ?? '';
      const field = (name: string) => new RegExp(`${name.replace(/\./g, '\\.')}="([^"]*)"`).exec(q)?.[1];
      const src = field('source.branch.name');
      const dst = field('destination.branch.name');
      const list = store.list((p) => (!src || p.head === src) && (!dst || p.base === dst));
      return { status: 200, body: { values: list.map(view), pagelen: 10, size: list.length, page: 1 } };
    }
    if (!num && req.method === 'POST') {
      const b = req.body ?? {};
      const head = b.source?.branch?.name;
      const target = b.destination?.branch?.name;
      if (!store.branchExists(head))
        return { status: 400, body: { type: 'error', error: { message: 'source: The branch does not exist.' } } };
      const p = store.add({ head, base: target, title: b.title, body: b.description ?? '' });
      p.reviewers = (b.reviewers ?? []).map((r: { uuid?: string; account_id?: string }) => r.uuid ?? r.account_id);
      return { status: 201, body: view(p) };
    }
    const p = num ? store.get(Number(num)) : undefined;
    if (!p) return { status: 404, body: { type: 'error', error: { message: 'Pull request not found' } } };
    if (req.method === 'PUT') {
      if (req.body.title !== undefined) p.title = req.body.title;
      if (req.body.description !== undefined) p.body = req.body.description;
      return { status: 200, body: view(p) };
    }
    return undefined;
  };
}
