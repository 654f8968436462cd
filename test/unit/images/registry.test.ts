import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  isLoopbackRegistry,
  parseChallenge,
  parseImageName,
  registryCredentials,
} from '../../../src/images/registry.ts';

describe('image names as Docker reads them', () => {
  it('splits registry, path and tag or digest; no registry part is Docker Hub', () => {
    assert.deepEqual(parseImageName('127.0.0.1:5000/shop/web:abc'), {
      registry: '127.0.0.1:5000',
      path: 'shop/web',
      reference: 'abc',
    });
    assert.deepEqual(parseImageName('nginx'), { registry: 'docker.io', path: 'library/nginx', reference: 'latest' });
    assert.deepEqual(parseImageName('acme/web@sha256:00'), {
      registry: 'docker.io',
      path: 'acme/web',
      reference: 'sha256:00',
    });
    assert.equal(parseImageName('localhost/web:1').registry, 'localhost');
    assert.equal(parseImageName('index.docker.io/acme/web:1').registry, 'docker.io');
  });

  it('loopback registries are the ones Docker reaches over plain HTTP', () => {
    assert.equal(isLoopbackRegistry('127.0.0.1:5000'), true);
    assert.equal(isLoopbackRegistry('127.8.9.10'), true);
    assert.equal(isLoopbackRegistry('localhost:5000'), true);
    assert.equal(isLoopbackRegistry('[::1]:5000'), true);
    assert.equal(isLoopbackRegistry('registry.example.com'), false);
    assert.equal(isLoopbackRegistry('10.0.0.1:5000'), false);
  });

  it('reads Bearer and Basic challenges', () => {
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"',
      ),
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example.com/token',
          service: 'registry.example.com',
          scope: 'repository:a/b:pull',
        },
      },
    );
    assert.deepEqual(parseChallenge('Basic realm="kloop"'), { scheme: 'basic', params: { realm: 'kloop' } });
  });
});

describe('credentials from the Docker CLI config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-dockercfg-'));
  const env = { DOCKER_CONFIG: dir };
  const write = (config: object) => writeFileSync(join(dir, 'config.json'), JSON.stringify(config));

  it('decodes auths entries by host, and Docker Hub under its v1 URL', async () => {
    write({
      auths: {
        '127.0.0.1:5000': { auth: Buffer.from('dev:pa:ss').toString('base64') },
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:tok').toString('base64') },
      },
    });
    const local = await registryCredentials('127.0.0.1:5000', env);
    assert.equal(local?.username, 'dev');
    assert.equal(local?.password, 'pa:ss');
    assert.equal(local?.source, join(dir, 'config.json'));
    assert.equal((await registryCredentials('docker.io', env))?.username, 'hub');
    assert.equal(await registryCredentials('other.example.com', env), undefined);
  });

  it('an identity token is kept as such; a missing file means no credentials', async () => {
    write({ auths: { 'https://r.example.com': { identitytoken: 'refresh' } } });
    assert.equal((await registryCredentials('r.example.com', env))?.identityToken, 'refresh');
    rmSync(join(dir, 'config.json'));
    assert.equal(await registryCredentials('r.example.com', env), undefined);
    rmSync(dir, { recursive: true, force: true });
  });
});
