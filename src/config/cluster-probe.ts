// A plain HTTPS GET against the cluster of a kube context, using the kubeconfig's server, CA and
// token or client certificate: enough for `kloop doctor` (GET /version) and for listing
// namespaces in `kloop use namespace`, without a client library.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { KloopError } from '../errors.ts';
import { findContext, type Kubeconfig } from './kubeconfig.ts';

export interface ProbeResult {
  status: number;
  body: string;
  server: string;
}

const b64 = (s: string) => Buffer.from(s, 'base64');

function readCredential(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new KloopError(`cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
      hint: 'fix the path in your kubeconfig',
    });
  }
}

/** GET `path` on the context's API server. Throws a KloopError naming the server when it cannot connect. */
export async function clusterGet(
  kubeconfig: Kubeconfig,
  contextName: string | undefined,
  path: string,
  timeoutMs = 5000,
): Promise<ProbeResult> {
  if (!contextName) {
    throw new KloopError('no kube context is selected', {
      hint: 'set current-context in your kubeconfig, run `kloop use context <name>`, or pass --kube-context',
    });
  }
  const context = findContext(kubeconfig, contextName);
  if (!context) {
    const known = kubeconfig.contexts.map((c) => c.name);
    throw new KloopError(`kube context "${contextName}" is not in the kubeconfig`, {
      hint: known.length
        ? `known contexts: ${known.join(', ')}`
        : `no contexts in ${kubeconfig.files.join(', ') || 'any kubeconfig'}`,
    });
  }
  const cluster = kubeconfig.clusters.find((c) => c.name === context.cluster);
  if (!cluster?.server) {
    throw new KloopError(
      `kube context "${contextName}" names cluster "${context.cluster ?? ''}", which has no server`,
      {
        hint: 'check the clusters: section of your kubeconfig',
      },
    );
  }
  const user = kubeconfig.users.find((u) => u.name === context.user);
  const url = new URL(path, cluster.server.endsWith('/') ? cluster.server : `${cluster.server}/`);
  // the server URL may carry a path prefix (e.g. a proxy): keep it
  url.pathname = `${new URL(cluster.server).pathname.replace(/\/$/, '')}${path}`;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'kloop' };
  let token = user?.token;
  if (!token && user?.tokenFile) token = readCredential(user.tokenFile, 'token file').toString('utf8').trim();
  if (token) headers.authorization = `Bearer ${token}`;
  else if (user?.username !== undefined && user.password !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  const tls: https.RequestOptions = {
    ...(cluster.certificateAuthorityData ? { ca: b64(cluster.certificateAuthorityData) } : {}),
    ...(cluster.certificateAuthority ? { ca: readCredential(cluster.certificateAuthority, 'CA file') } : {}),
    ...(user?.clientCertificateData ? { cert: b64(user.clientCertificateData) } : {}),
    ...(user?.clientCertificate ? { cert: readCredential(user.clientCertificate, 'client certificate') } : {}),
    ...(user?.clientKeyData ? { key: b64(user.clientKeyData) } : {}),
    ...(user?.clientKey ? { key: readCredential(user.clientKey, 'client key') } : {}),
    ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    rejectUnauthorized: !cluster.insecureSkipTlsVerify,
  };
  const client = url.protocol === 'http:' ? http : https;
  return new Promise<ProbeResult>((resolvePromise, reject) => {
    const req = client.request(
      url,
      { method: 'GET', headers, ...(client === https ? tls : {}), timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            server: cluster.server as string,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new KloopError(`cannot reach the cluster of context "${contextName}" at ${cluster.server}: ${error.message}`, {
          hint: `is the cluster running and reachable (VPN, port-forward)? \`kubectl --context ${contextName} version\` checks the same`,
          cause: error,
        }),
      );
    });
    req.end();
  });
}
