import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { resolveCredentials } from '../../../src/kube/credentials.ts';
import { KloopError } from '../../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'kloop-creds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, users: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: {
            server: 'https://127.0.0.1:6443',
            'certificate-authority-data': Buffer.from('CA PEM').toString('base64'),
            'tls-server-name': 'kube.local',
          },
        },
        { name: 'insecure', cluster: { server: 'http://127.0.0.1:8080', 'insecure-skip-tls-verify': true } },
      ],
      users: Object.entries(users).map(([n, user]) => ({ name: n, user })),
      contexts: [
        ...Object.keys(users).map((u) => ({ name: u, context: { cluster: 'c', user: u, namespace: `ns-${u}` } })),
        { name: 'plain', context: { cluster: 'insecure', user: Object.keys(users)[0] } },
      ],
      'current-context': Object.keys(users)[0],
      ...extra,
    }),
  );
  return file;
}

describe('credentials from the kubeconfig', () => {
  it('reads token files, client certificates, CA, TLS server name and the context namespace', async () => {
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const file = kubeconfig('a', {
      tokenfile: { tokenFile: 'token' },
      cert: {
        'client-certificate-data': Buffer.from('CERT').toString('base64'),
        'client-key-data': Buffer.from('KEY').toString('base64'),
      },
      basic: { username: 'u', password: 'p' },
    });
    const t = await resolveCredentials({ kubeconfig: file, env: {} });
    assert.equal(t.context, 'tokenfile');
    assert.equal(t.namespace, 'ns-tokenfile');
    assert.equal(t.server, 'https://127.0.0.1:6443');
    assert.equal(String(t.tls.ca), 'CA PEM');
    assert.equal(t.tls.servername, 'kube.local');
    assert.deepEqual(await t.headers(), { Authorization: 'Bearer file-token' });

    const c = await resolveCredentials({ kubeconfig: file, context: 'cert', env: {} });
    assert.equal(String(c.tls.cert), 'CERT');
    assert.equal(String(c.tls.key), 'KEY');
    assert.deepEqual(await c.headers(), {});

    const b = await resolveCredentials({ kubeconfig: file, context: 'basic', env: {} });
    assert.deepEqual(await b.headers(), { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });

    const plain = await resolveCredentials({ kubeconfig: file, context: 'plain', env: {} });
    assert.equal(plain.tls.rejectUnauthorized, false);
  });

  it('runs exec credential plugins (through client-node)', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'from-plugin' },
    });
    const file = kubeconfig('exec', {
      plugin: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: 'sh',
          args: ['-c', `printf '%s' '${credential}'`],
          interactiveMode: 'Never',
        },
      },
    });
    const creds = await resolveCredentials({ kubeconfig: file, env: {} });
    assert.equal((await creds.headers()).Authorization, 'Bearer from-plugin');
  });

  it('an unknown context or a missing kubeconfig is one clear error', async () => {
    const file = kubeconfig('b', { x: { token: 't' } });
    await assert.rejects(
      resolveCredentials({ kubeconfig: file, context: 'prod', env: {} }),
      (e: unknown) =>
        e instanceof KloopError &&
        /kube context "prod" is not in the kubeconfig/.test(e.message) &&
        /known contexts: x, plain/.test(e.hint ?? ''),
    );
    await assert.rejects(resolveCredentials({ env: { KUBECONFIG: join(dir, 'missing') } }), /no cluster is configured/);
  });
});
