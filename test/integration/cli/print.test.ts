import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { kloop, TempDirs } from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

const SECRET = 'tok-9f8e7d6c5b';
const ENV_SECRET = 'staging-pw-1a2b3c';
const files = {
  'kloop.yaml': `version: v1
name: shop
vars:
  TITLE: { default: Shop }
  API_TOKEN: { secret: true }
  DB_PASSWORD: { secret: true, default: "" }
  FROM_FILE: from-default
  SHORT: { secret: true }
apps:
  web:
    namespace: \${NS:-shop}
    manifests: [deploy/*.yaml]
    helm:
      chart: chart
      set: { token: "\${API_TOKEN}", title: "\${TITLE}", password: "\${DB_PASSWORD}" }
commands:
  show: echo $TITLE
environments:
  staging:
    envFile: envs/staging.env
    kubeContext: staging-ctx
    namespace: shop-staging
`,
  'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  '.env': `API_TOKEN=${SECRET}\nFROM_FILE=from-local-env\nSHORT=ab\n`,
  'envs/staging.env': `API_TOKEN=staging-token-xyz\nDB_PASSWORD="${ENV_SECRET}"\n`,
};

describe('kloop print', () => {
  it('prints the resolved config in text with secrets redacted', async () => {
    const dir = temp.make(files);
    const r = await kloop(dir, ['print']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET), r.stdout);
    assert.ok(!r.stderr.includes(SECRET));
    assert.match(r.stdout, /API_TOKEN:\n {4}value: "\*\*\*\*\*\*"\n {4}source: envFile/);
    assert.match(r.stdout, /token: "\*\*\*\*\*\*"/);
    assert.match(r.stdout, /title: Shop/);
    assert.match(r.stdout, /FROM_FILE:\n {4}value: from-local-env/);
    assert.match(r.stdout, /SHORT:\n {4}value: "\*\*\*\*\*\*"/, 'short secrets are not printed either');
  });

  it('prints JSON with secrets redacted and the precedence visible', async () => {
    const dir = temp.make(files);
    const r = await kloop(dir, ['-o', 'json', 'print', '--var', 'TITLE=Flagged'], { FROM_FILE: 'from-process' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET));
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.vars.TITLE, { value: 'Flagged', source: 'flag' });
    assert.deepEqual(out.vars.FROM_FILE, { value: 'from-process', source: 'process' });
    assert.equal(out.vars.API_TOKEN.value, '******');
    assert.equal(out.vars.API_TOKEN.secret, true);
    assert.equal(out.apps.web.helm.set.token, '******');
    assert.equal(out.apps.web.helm.set.title, 'Flagged');
    assert.equal(out.apps.web.namespace, 'shop');
    assert.equal(out.environment, null);
    assert.equal(out.vars.process, undefined, 'the process environment is not printed');
  });

  it('with --env uses only the environment env file, never .env', async () => {
    const dir = temp.make(files);
    const r = await kloop(dir, ['print', '-o', 'json', '--env', 'staging']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes(ENV_SECRET) && !r.stdout.includes('staging-token-xyz'));
    const out = JSON.parse(r.stdout);
    assert.equal(out.environment, 'staging');
    assert.deepEqual(out.cluster, { context: 'staging-ctx', namespace: 'shop-staging' });
    assert.equal(out.vars.FROM_FILE.value, 'from-default', 'the local .env does not feed an environment');
    assert.equal(out.vars.SHORT, undefined);
    assert.match(out.vars.API_TOKEN.file, /envs\/staging\.env$/);
    assert.equal(out.apps.web.helm.set.password, '******');
  });

  it('--debug stack traces and errors pass the redaction point too', async () => {
    const dir = temp.make({
      ...files,
      'kloop.yaml': `${files['kloop.yaml']}build:\n  parallel: "\${API_TOKEN}"\n`,
    });
    const r = await kloop(dir, ['print', '--debug']);
    assert.equal(r.status, 1);
    assert.ok(!r.stderr.includes(SECRET), r.stderr);
    assert.match(r.stderr, /build\.parallel: expected a number, got the string "\*\*\*\*\*\*"/);
    assert.match(r.stderr, /at loadConfig/, '--debug shows the stack');
  });
});

describe('output into a pipe that closes early (kloop … | head)', () => {
  it('stops quietly with exit 0, no EPIPE stack', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./helpers.ts');
    const child = spawn(process.execPath, [BIN, 'dev', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    // the reader is gone before kloop writes (head -1 after its line, or a closed pager)
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
