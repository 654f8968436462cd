// promote against each forge: the GitOps repository is served over smart HTTP by the real
// `git http-backend` behind token authentication, next to a double of the forge's PR API that
// answers with the documented status codes and bodies. Request bodies are asserted. Every git,
// docker, helm and kubectl process kloop starts is recorded (argv and environment) by wrappers first
// on PATH: the token must never be on a command line, where `ps` shows it to every local user.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { azureApi } from '../../helpers/forges/azure.ts';
import { bitbucketApi } from '../../helpers/forges/bitbucket.ts';
import { gitHttpBackend } from '../../helpers/forges/git-http.ts';
import { giteaApi } from '../../helpers/forges/gitea.ts';
import { githubApi } from '../../helpers/forges/github.ts';
import { gitlabApi } from '../../helpers/forges/gitlab.ts';
import type { Handler, Recorded, TestServer } from '../../helpers/forges/server.ts';
import { startServer } from '../../helpers/forges/server.ts';
import { PrStore } from '../../helpers/forges/store.ts';
import { type SpiedCall, type Spy, spyTools } from '../../helpers/spy-tools.ts';
import { git, makeShop, type Shop } from './shop.ts';

interface ForgeCase {
  name: string;
  /** repository path on the server (also where the bare repository lives) */
  repoPath: string;
  tokenVariable: string;
  provider: string;
  apiPath: string;
  api: (store: PrStore, token: string) => Handler;
  create: { method: string; path: RegExp };
  update: { method: string; path: RegExp };
  /** the description field of a create/update request */
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON
  description(body: any): string;
  /** asserts the create request body */
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON
  checkCreate(body: any): void;
  /** the race path: the forge's duplicate answer (no list-first forge has one) */
  duplicateStatus?: number;
}

const BRANCH = 'kloop/shop/staging';

const cases: ForgeCase[] = [
  {
    name: 'GitHub (Enterprise API URL)',
    repoPath: 'acme/fleet.git',
    tokenVariable: 'GITHUB_TOKEN',
    provider: 'github',
    apiPath: '/api/v3',
    api: (s, t) => githubApi(s, t),
    create: { method: 'POST', path: /^\/api\/v3\/repos\/acme\/fleet\/pulls$/ },
    update: { method: 'PATCH', path: /^\/api\/v3\/repos\/acme\/fleet\/pulls\/1$/ },
    description: (b) => b.body,
    checkCreate(b) {
      assert.equal(b.head, BRANCH);
      assert.equal(b.base, 'main');
      assert.equal(b.draft, false);
      assert.match(b.title, /^kloop: promote shop to staging @ [0-9a-f]{7}: shop$/);
    },
    duplicateStatus: 422,
  },
  {
    name: 'GitLab',
    repoPath: 'acme/platform/fleet.git',
    tokenVariable: 'GITLAB_TOKEN',
    provider: 'gitlab',
    apiPath: '/api/v4',
    api: (s, t) => gitlabApi(s, t),
    create: { method: 'POST', path: /^\/api\/v4\/projects\/acme%2Fplatform%2Ffleet\/merge_requests$/ },
    update: { method: 'PUT', path: /^\/api\/v4\/projects\/acme%2Fplatform%2Ffleet\/merge_requests\/1$/ },
    description: (b) => b.description,
    checkCreate(b) {
      assert.equal(b.source_branch, BRANCH);
      assert.equal(b.target_branch, 'main');
      assert.equal(b.labels, 'promotion');
      assert.deepEqual(b.reviewer_ids, [7]);
      assert.equal(b.remove_source_branch, true);
    },
    duplicateStatus: 409,
  },
  {
    name: 'Azure DevOps',
    repoPath: 'acme/ops/_git/fleet',
    tokenVariable: 'AZURE_DEVOPS_EXT_PAT',
    provider: 'azure',
    apiPath: '',
    api: (s, t) => azureApi(s, t),
    create: { method: 'POST', path: /^\/acme\/ops\/_apis\/git\/repositories\/fleet\/pullrequests$/ },
    update: { method: 'PATCH', path: /^\/acme\/ops\/_apis\/git\/repositories\/fleet\/pullrequests\/1$/ },
    description: (b) => b.description,
    checkCreate(b) {
      assert.equal(b.sourceRefName, `refs/heads/${BRANCH}`);
      assert.equal(b.targetRefName, 'refs/heads/main');
      assert.equal(b.isDraft, false);
      assert.deepEqual(b.labels, [{ name: 'promotion' }]);
    },
    duplicateStatus: 409,
  },
  {
    name: 'Gitea',
    repoPath: 'acme/fleet.git',
    tokenVariable: 'GITEA_TOKEN',
    provider: 'gitea',
    apiPath: '/api/v1',
    api: (s, t) => giteaApi(s, t),
    create: { method: 'POST', path: /^\/api\/v1\/repos\/acme\/fleet\/pulls$/ },
    update: { method: 'PATCH', path: /^\/api\/v1\/repos\/acme\/fleet\/pulls\/1$/ },
    description: (b) => b.body,
    checkCreate(b) {
      assert.equal(b.head, BRANCH);
      assert.equal(b.base, 'main');
      assert.deepEqual(b.labels, [1]);
    },
    duplicateStatus: 409,
  },
  {
    name: 'Bitbucket Cloud',
    repoPath: 'acme/fleet.git',
    tokenVariable: 'BITBUCKET_TOKEN',
    provider: 'bitbucket',
    apiPath: '/2.0',
    api: (s, t) => bitbucketApi(s, t),
    create: { method: 'POST', path: /^\/2\.0\/repositories\/acme\/fleet\/pullrequests$/ },
    update: { method: 'PUT', path: /^\/2\.0\/repositories\/acme\/fleet\/pullrequests\/1$/ },
    description: (b) => b.description,
    checkCreate(b) {
      assert.deepEqual(b.source, { branch: { name: BRANCH } });
      assert.deepEqual(b.destination, { branch: { name: 'main' } });
      assert.deepEqual(b.reviewers, [{ account_id: 'alice' }]);
    },
  },
];

function requestsTo(server: TestServer, spec: { method: string; path: RegExp }): Recorded[] {
  return server.requests.filter((r) => r.method === spec.method && spec.path.test(r.path));
}

for (const fc of cases) {
  describe(`promote with ${fc.name}`, () => {
    const token = `tok-${fc.provider}-${Math.random().toString(36).slice(2)}-secret`;
    const encoded = [
      Buffer.from(`:${token}`).toString('base64'),
      Buffer.from(`x-access-token:${token}`).toString('base64'),
      Buffer.from(`oauth2:${token}`).toString('base64'),
      Buffer.from(`x-token-auth:${token}`).toString('base64'),
      Buffer.from(`kloop:${token}`).toString('base64'),
    ];
    let server: TestServer;
    let shop: Shop;
    let store: PrStore;
    let traceDir: string;
    let spy: Spy;
    const outputs: string[] = [];
    const kloop = async (args: string[], extra: Record<string, string> = {}) => {
      const trace = path.join(traceDir, `trace-${outputs.length}`);
      const r = await shop.kloop(args, {
        PATH: spy.path,
        [fc.tokenVariable]: token,
        GIT_TRACE: trace,
        GIT_TRACE_CURL: trace,
        GIT_TRACE_CURL_NO_DATA: '1',
        ...extra,
      });
      outputs.push(r.stdout, r.stderr, readFileOr(trace));
      return r;
    };

    before(async () => {
      traceDir = mkdtempSync(path.join(tmpdir(), 'kloop-trace-'));
      spy = spyTools(SPIED);
      let root = '';
      let api: Handler = () => undefined;
      server = await startServer([
        gitHttpBackend({ projectRoot: () => root, token: () => token }),
        (req, raw, res) => api(req, raw, res),
      ]);
      shop = makeShop({
        fleetPath: `srv/${fc.repoPath}`,
        repo: () => `${server.url}/${fc.repoPath}`,
        gitops: { provider: fc.provider, apiUrl: `${server.url}${fc.apiPath}` },
      });
      root = path.join(shop.dir, 'srv');
      store = new PrStore(shop.fleet);
      api = fc.api(store, token);
    });
    after(async () => {
      await server.close();
      shop.cleanup();
      spy.cleanup();
      rmSync(traceDir, { recursive: true, force: true });
    });

    it('pushes over authenticated HTTP and opens one pull request', async () => {
      const r = await kloop(['promote', '--env', 'staging']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(shop.revParse(BRANCH), 'branch pushed through git http-backend');
      assert.equal(store.prs.length, 1);
      const creates = requestsTo(server, fc.create);
      assert.equal(creates.length, 1);
      fc.checkCreate(creates[0]!.body);
      const body = fc.description(creates[0]!.body);
      assert.ok(body.startsWith('<!-- kloop:promote project=shop env=staging -->'), body.slice(0, 80));
      assert.match(body, /\| added \| Deployment \| shop \| web \|/);
      assert.match(r.stdout, new RegExp(`/${store.prs[0]!.id}\\n$`), 'prints the PR URL');
      if (fc.provider === 'github' || fc.provider === 'gitea') {
        assert.deepEqual(store.prs[0]!.labels, ['promotion']);
        assert.deepEqual(store.prs[0]!.reviewers, ['alice']);
      }
      const dry = await kloop(['promote', '--env', 'staging', '--dry-run']);
      assert.equal(dry.stdout, body, 'the PR body is the --dry-run summary');
    });

    it('re-run without a change: no commit, the same PR is updated, not duplicated', async () => {
      const sha = shop.revParse(BRANCH);
      const before = server.requests.length;
      const r = await kloop(['promote', '--env', 'staging']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(shop.revParse(BRANCH), sha);
      assert.equal(store.prs.length, 1);
      const updates = requestsTo(server, fc.update).filter((x) => server.requests.indexOf(x) >= before);
      assert.equal(updates.length, 1);
      assert.equal(fc.description(updates[0]!.body), store.prs[0]!.body);
    });

    it('a change updates the same branch and PR, also when the create races with another run', async () => {
      const sha = shop.revParse(BRANCH);
      shop.write('deploy/web/service.yaml', shop.read('deploy/web/service.yaml').replace('port: 80', 'port: 8080'));
      shop.commit('web: port 8080');
      if (fc.duplicateStatus) store.hideFromLists = 1; // the PR "appears" between find and create
      const before = server.requests.length;
      const r = await kloop(['promote', '--env', 'staging']);
      assert.equal(r.code, 0, r.stderr);
      assert.notEqual(shop.revParse(BRANCH), sha);
      assert.equal(store.prs.length, 1, 'never duplicated');
      assert.match(store.prs[0]!.body, /\+ {4}- port: 8080/);
      const newCreates = requestsTo(server, fc.create).filter((x) => server.requests.indexOf(x) >= before);
      if (fc.duplicateStatus) {
        assert.equal(newCreates.length, 1);
        assert.equal(newCreates[0]!.status, fc.duplicateStatus);
      } else assert.equal(newCreates.length, 0);
    });

    it('a wrong token is one clear error', async () => {
      const r = await kloop(['promote', '--env', 'staging'], { [fc.tokenVariable]: `${token}-wrong` });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /authentication failed/);
      assert.match(r.stderr, new RegExp(`the token in ${fc.tokenVariable} was refused`));
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
    });

    it('no token appears in any output or in git trace', () => {
      const all = outputs.join('\n');
      assert.ok(all.length > 1000 && /git-receive-pack|info\/refs/.test(all), 'the trace was captured');
      for (const secret of [token, ...encoded]) assert.ok(!all.includes(secret), `found ${secret.slice(0, 8)}...`);
    });

    it('no token on any command line, nor in the environment of anything but git', () => {
      assertNoTokenLeak(spy.calls(), [token, ...encoded], fc.tokenVariable);
    });
  });
}

/** the tools promote may start; each is recorded through a wrapper first on PATH */
const SPIED = ['git', 'docker', 'helm', 'kubectl'];

/**
 * No secret in any argv; in the environment only git's (GIT_CONFIG_VALUE_n carries the header) and
 * the variable the user set the token in, which every child inherits from kloop as it was given.
 */
function assertNoTokenLeak(calls: SpiedCall[], secrets: string[], userVariable?: string): void {
  const pushes = calls.filter((c) => c.tool === 'git' && c.argv.includes('push'));
  assert.ok(pushes.length > 0, `git push ran through the recording wrapper (${calls.length} calls recorded)`);
  const carries = (v: string) => secrets.some((s) => v.includes(s));
  assert.ok(
    pushes.some((c) => Object.values(c.env).some(carries)),
    'the push carried its credential in its environment (the recording sees environments)',
  );
  for (const c of calls) {
    const shown = `${c.tool} ${c.argv.join(' ')}`.slice(0, 200);
    assert.ok(!c.argv.some(carries), `a token on the command line of: ${shown}`);
    if (c.tool === 'git') continue;
    for (const [key, value] of Object.entries(c.env))
      if (key !== userVariable) assert.ok(!carries(value), `a token in ${key} in the environment of: ${shown}`);
  }
}

function readFileOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe('Azure DevOps description limit', () => {
  it('cuts the body to 4,000 characters with a notice', async () => {
    const token = 'azure-limit-token-xyz';
    let root = '';
    let api: Handler = () => undefined;
    const server = await startServer([
      gitHttpBackend({ projectRoot: () => root, token: () => token }),
      (req, raw, res) => api(req, raw, res),
    ]);
    const shop = makeShop({
      fleetPath: 'srv/acme/ops/_git/fleet',
      repo: () => `${server.url}/acme/ops/_git/fleet`,
      gitops: { provider: 'azure', apiUrl: server.url },
    });
    try {
      root = path.join(shop.dir, 'srv');
      const store = new PrStore(shop.fleet);
      api = azureApi(store, token);
      const many = Array.from(
        { length: 40 },
        (_, i) =>
          `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings-${i} }\ndata: { value: "${'v'.repeat(60)}" }\n`,
      ).join('---\n');
      shop.write('deploy/cache/many.yaml', many);
      shop.commit('many');
      const r = await shop.kloop(['promote', '--env', 'staging'], { SYSTEM_ACCESSTOKEN: token });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(store.prs.length, 1);
      const body = store.prs[0]!.body;
      assert.ok(body.length <= 4000, `${body.length}`);
      assert.match(body, /resource diffs omitted: the pull request description is limited to 4000 characters/);
      assert.match(body, /### Reproduce/);
      assert.match(r.stderr, /Azure DevOps reviewers must be identity ids/);
      assert.equal(git(shop.fleet, 'rev-parse', '--verify', '-q', BRANCH).trim().length, 40);
    } finally {
      await server.close();
      shop.cleanup();
    }
  });
});

describe('credentials written into gitops.repo', () => {
  it('are moved into a header: the push works and the password is never printed or traced', async () => {
    const token = 'url-embedded-password-123';
    let root = '';
    const server = await startServer([gitHttpBackend({ projectRoot: () => root, token: () => token })]);
    const traceDir = mkdtempSync(path.join(tmpdir(), 'kloop-trace-'));
    const spy = spyTools(SPIED);
    const shop = makeShop({
      fleetPath: 'srv/acme/fleet.git',
      repo: () => `${server.url.replace('//', `//bot:${token}@`)}/acme/fleet.git`,
    });
    try {
      root = path.join(shop.dir, 'srv');
      const trace = path.join(traceDir, 'trace');
      const r = await shop.kloop(['promote', '--env', 'staging'], {
        PATH: spy.path,
        GIT_TRACE: trace,
        GIT_TRACE_CURL: trace,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(shop.revParse(BRANCH), 'pushed');
      assert.match(r.stderr, /kloop does not know the forge at 127\.0\.0\.1; set gitops\.provider/);
      assert.match(
        r.stderr,
        new RegExp(`open a pull request from ${BRANCH} into main in ${server.url}/acme/fleet\\.git`),
      );
      const all = r.stdout + r.stderr + readFileOr(trace);
      assert.ok(all.includes('git-receive-pack'), 'trace captured');
      const secrets = [token, Buffer.from(`bot:${token}`).toString('base64')];
      for (const secret of secrets) assert.ok(!all.includes(secret));
      assertNoTokenLeak(spy.calls(), secrets);
    } finally {
      await server.close();
      shop.cleanup();
      spy.cleanup();
      rmSync(traceDir, { recursive: true, force: true });
    }
  });
});
