import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Variable, VariableSet } from '../../../src/config/project.ts';
import { secretProblems } from '../../../src/gitops/guard.ts';
import type { KubeObject, RenderedApp } from '../../../src/render/index.ts';

function app(objects: KubeObject[]): RenderedApp {
  return {
    name: 'web',
    namespace: 'shop',
    objects,
    yaml: '',
    imageRewrites: [],
    cached: false,
  } as unknown as RenderedApp;
}

function vars(list: Array<Pick<Variable, 'name' | 'value' | 'secret'>>): VariableSet {
  return { own: new Map(list.map((v) => [v.name, { ...v, source: 'envFile' as const }])), process: {} };
}

const none = vars([]);

describe('secret guard', () => {
  it('names plain Secret data by object and key', () => {
    const s = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'shop' },
      data: { pw: 'aGk=' },
      stringData: { user: 'x' },
    };
    assert.deepEqual(secretProblems([app([s])], none), [
      'app web, Secret/shop/db: data.pw is plain Secret data',
      'app web, Secret/shop/db: stringData.user is plain Secret data',
    ]);
  });

  it('passes SOPS-encrypted Secrets, empty Secrets and references', () => {
    const sops = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      data: { pw: 'ENC[AES256_GCM,data:x]' },
      sops: { version: '3.9.0' },
    };
    const tls = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'empty' }, type: 'Opaque' };
    const ext = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'e' },
      spec: { data: [{ secretKey: 'pw' }] },
    };
    const sealed = {
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: { name: 's' },
      spec: { encryptedData: { pw: 'AgB...' } },
    };
    assert.deepEqual(secretProblems([app([sops, tls, ext, sealed])], none), []);
  });

  it('finds a secret variable value verbatim or base64-encoded, in values and keys', () => {
    const v = vars([
      { name: 'TOKEN', value: 'tok-123456', secret: true },
      { name: 'TITLE', value: 'Shop', secret: false },
    ]);
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'shop' },
      data: { url: 'https://x?t=tok-123456', encoded: Buffer.from('tok-123456').toString('base64'), title: 'Shop' },
    };
    assert.deepEqual(secretProblems([app([cm])], v), [
      'app web, ConfigMap/shop/c: data.url holds the secret variable TOKEN',
      'app web, ConfigMap/shop/c: data.encoded holds the secret variable TOKEN (base64-encoded)',
    ]);
  });
});
