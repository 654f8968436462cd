// ServiceAccount tokens (TokenRequest, `kubectl create token`): JWTs with the claims a cluster's
// tokens carry, signed with a key derived from the sandbox's admin token, and accepted as bearer
// tokens until they expire.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import { ApiError, invalid, notFound } from './errors.ts';

/** The audience kube-apiserver issues for when a request names none (kubeadm's default). */
export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const DEFAULT_SECONDS = 3600;

let key: Buffer | undefined;

export function configureTokens(adminToken: string): void {
  key = createHmac('sha256', 'kloop-sandbox service account tokens').update(adminToken).digest();
}

const b64 = (value: Buffer | string) => Buffer.from(value).toString('base64url');

function sign(data: string): string {
  if (!key) throw new Error('service account tokens are not configured');
  return createHmac('sha256', key).update(data).digest('base64url');
}

/** True for an unexpired token this sandbox issued. */
export function validServiceAccountToken(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || !key) return false;
  const expected = Buffer.from(sign(`${parts[0]}.${parts[1]}`));
  const given = Buffer.from(parts[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: number };
    return typeof claims.exp === 'number' && claims.exp * 1000 > Date.now();
  } catch {
    return false;
  }
}

const SERVICEACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts' };
const bindable: Record<string, { group: string; version: string; resource: string }> = {
  Pod: { group: '', version: 'v1', resource: 'pods' },
  Secret: { group: '', version: 'v1', resource: 'secrets' },
  Node: { group: '', version: 'v1', resource: 'nodes' },
};

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

/** POST serviceaccounts/{name}/token: 201 with the TokenRequest and its status. */
export function requestToken(
  store: MemoryStore,
  namespace: string,
  name: string,
  body: KubeObject,
  dryRun: boolean,
): KubeObject {
  const account = store.get(SERVICEACCOUNTS, namespace, name);
  if (!account) throw notFound('', 'serviceaccounts', name);
  const spec = { ...((body.spec ?? {}) as TokenRequestSpec) };
  const seconds = spec.expirationSeconds ?? DEFAULT_SECONDS;
  if (seconds < 600) {
    throw invalid('authentication.k8s.io', 'TokenRequest', name, [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${seconds}: may not specify a duration less than 10 minutes`,
        field: 'spec.expirationSeconds',
      },
    ]);
  }
  const audiences = spec.audiences?.length ? spec.audiences : [ISSUER];
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    aud: audiences,
    exp: now + seconds,
    iat: now,
    iss: ISSUER,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace,
      serviceaccount: { name, uid: account.metadata.uid },
    } as Record<string, unknown>,
    nbf: now,
    sub: `system:serviceaccount:${namespace}:${name}`,
  };
  const ref = spec.boundObjectRef;
  if (ref?.kind) {
    const type = bindable[ref.kind];
    if (!type) {
      throw new ApiError(
        400,
        'BadRequest',
        `cannot bind token for serviceaccount "${name}" to object of type ${ref.apiVersion ?? 'v1'}, Kind=${ref.kind}`,
      );
    }
    const bound = store.get(type, ref.kind === 'Node' ? undefined : namespace, ref.name ?? '');
    if (!bound || (ref.uid && ref.uid !== bound.metadata.uid)) {
      throw notFound('', type.resource, ref.name ?? '');
    }
    (claims['kubernetes.io'] as Record<string, unknown>)[ref.kind.toLowerCase()] = {
      name: bound.metadata.name,
      uid: bound.metadata.uid,
    };
  }
  const header = b64(JSON.stringify({ alg: 'HS256', kid: 'kloop-sandbox' }));
  const payload = b64(JSON.stringify(claims));
  const token = dryRun ? '' : `${header}.${payload}.${sign(`${header}.${payload}`)}`;
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds: seconds, boundObjectRef: ref?.kind ? ref : null },
    status: {
      token,
      expirationTimestamp: new Date((now + seconds) * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    },
  } as unknown as KubeObject;
}
