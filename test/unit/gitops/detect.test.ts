import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { azureCoordinates } from '../../../src/gitops/providers/azure.ts';
import { chooseForge, detectProvider, parseRemote } from '../../../src/gitops/providers/detect.ts';
import { redact } from '../../../src/log/redact.ts';

const detect = (url: string) => detectProvider(parseRemote(url, '/work'));

describe('forge detection', () => {
  it('knows the forges from their URLs', () => {
    assert.equal(detect('https://github.com/acme/fleet.git'), 'github');
    assert.equal(detect('git@github.com:acme/fleet.git'), 'github');
    assert.equal(detect('https://gitlab.com/acme/platform/fleet.git'), 'gitlab');
    assert.equal(detect('https://gitlab.acme.io/fleet.git'), 'gitlab');
    assert.equal(detect('https://dev.azure.com/acme/ops/_git/fleet'), 'azure');
    assert.equal(detect('https://acme.visualstudio.com/ops/_git/fleet'), 'azure');
    assert.equal(detect('https://bitbucket.org/acme/fleet.git'), 'bitbucket');
    assert.equal(detect('https://codeberg.org/acme/fleet.git'), 'gitea');
    assert.equal(detect('https://git.acme.io/fleet.git'), undefined);
    assert.equal(detect('../fleet'), 'local');
  });

  it('reads Azure DevOps coordinates from each URL form', () => {
    const c = (u: string) => azureCoordinates(parseRemote(u, '/'));
    assert.deepEqual(c('https://dev.azure.com/acme/ops/_git/fleet'), { org: 'acme', project: 'ops', repo: 'fleet' });
    assert.deepEqual(c('https://acme@dev.azure.com/acme/ops/_git/fleet'), {
      org: 'acme',
      project: 'ops',
      repo: 'fleet',
    });
    assert.deepEqual(c('https://acme.visualstudio.com/ops/_git/fleet'), { org: 'acme', project: 'ops', repo: 'fleet' });
    assert.deepEqual(c('git@ssh.dev.azure.com:v3/acme/ops/fleet'), { org: 'acme', project: 'ops', repo: 'fleet' });
  });

  it('moves credentials out of a URL and redacts them', () => {
    const r = parseRemote('https://bot:pa55-w0rd-xyz@git.acme.io/fleet.git', '/');
    assert.equal(r.url, 'https://git.acme.io/fleet.git');
    assert.ok(r.embeddedAuth?.header.startsWith('Authorization: Basic '));
    assert.equal(redact('push with pa55-w0rd-xyz'), 'push with ******');
  });

  it('takes the token from the first variable set; without one the PR is opened by hand', () => {
    const gitops = { repo: 'https://github.com/acme/fleet.git' };
    const withToken = chooseForge(gitops, '/', { GH_TOKEN: 'ghp_unit_test_token' });
    assert.equal(withToken.forge?.provider, 'github');
    assert.equal(withToken.forge?.tokenVariable, 'GH_TOKEN');
    assert.equal(withToken.gitAuth?.origin, 'https://github.com/');
    const without = chooseForge(gitops, '/', {});
    assert.equal(without.forge, undefined);
    assert.match(without.manualReason ?? '', /set GITHUB_TOKEN or GH_TOKEN/);
    const azure = chooseForge({ repo: 'https://dev.azure.com/a/b/_git/c' }, '/', {
      SYSTEM_ACCESSTOKEN: 'sat-unit-test',
    });
    assert.equal(azure.forge?.bodyLimit, 4000);
    assert.equal(azure.gitAuth?.header, 'Authorization: Bearer sat-unit-test');
  });

  it("uses the API URL the forge's own CI announces for the same server", async () => {
    const requests: string[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const choice = chooseForge({ repo: 'https://gitlab.acme.io/team/fleet.git' }, '/', {
        GITLAB_TOKEN: 'glpat-unit-test',
        CI_SERVER_URL: 'https://gitlab.acme.io',
        CI_API_V4_URL: `http://127.0.0.1:${port}/api/v4`,
      });
      await assert.rejects(
        choice.forge!.openOrUpdate({
          head: 'kloop/a/b',
          base: 'main',
          title: 't',
          body: 'b',
          marker: 'm',
          labels: [],
          reviewers: [],
        }),
        /GitLab API POST \/projects\/team%2Ffleet\/merge_requests answered 200/,
      );
      assert.equal(
        requests[0],
        'GET /api/v4/projects/team%2Ffleet/merge_requests?state=opened&source_branch=kloop%2Fa%2Fb&target_branch=main',
      );
    } finally {
      server.close();
    }
  });
});
