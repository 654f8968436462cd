// From kubeconfig to what a request needs: server URL, TLS material, auth headers.
// Kubeconfigs with tokens, token files, client certificates or basic auth (what kubectl's own
// contexts, kind, k3d, minikube and the sandbox write) are read directly; anything more (exec
// credential plugins, auth providers, proxy-url, impersonation) is handed to
// @kubernetes/client-node, which is loaded only then: importing it costs over a second, which a
// no-op deploy should not pay.
import { readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { findContext, type KubeUser, readKubeconfig } from '../config/kubeconfig.ts';
import { KloopError } from '../errors.ts';

export interface TlsMaterial {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface Credentials {
  server: string;
  context: string;
  /** the context's namespace */
  namespace?: string;
  tls: TlsMaterial;
  /** auth headers for one request (exec plugins may refresh their token) */
  headers(): Promise<Record<string, string>>;
  /** the same kubeconfig as @kubernetes/client-node sees it (its WebSocket streams need one) */
  kubeConfig(): Promise<KubeConfig>;
}

export interface CredentialOptions {
  context?: string;
  /** a kubeconfig file instead of $KUBECONFIG / ~/.kube/config */
  kubeconfig?: string;
  /** the environment to read KUBECONFIG and HOME from (default: process.env) */
  env?: Readonly<Record<string, string | undefined>>;
}

const fromData = (data: string | undefined) => (data ? Buffer.from(data, 'base64') : undefined);
const fromFile = (file: string | undefined) => (file ? readFileSync(file) : undefined);

function needsClientNode(files: string[], user: KubeUser | undefined): boolean {
  if (user?.plugin) return true;
  // features the direct path does not implement: be safe and let client-node handle them
  return files.some((f) => {
    try {
      return /^\s*(proxy-url|as|as-groups|as-uid|as-user-extra):/m.test(readFileSync(f, 'utf8'));
    } catch {
      return false;
    }
  });
}

async function viaClientNode(
  options: CredentialOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else if (env.KUBECONFIG) {
      const [first, ...rest] = env.KUBECONFIG.split(delimiter).filter(Boolean);
      kc.loadFromFile(first!);
      for (const f of rest) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more);
      }
    } else kc.loadFromDefault();
  } catch (error) {
    throw new KloopError(`cannot read the kubeconfig: ${(error as Error).message}`, {
      hint: 'check $KUBECONFIG or ~/.kube/config',
      cause: error,
    });
  }
  if (options.context) kc.setCurrentContext(options.context);
  // client-node refuses plain-http clusters unless marked insecure; kubectl and helm accept them
  const cluster = kc.getCurrentCluster();
  if (cluster?.server.startsWith('http:') && !cluster.skipTLSVerify) {
    const copy = new KubeConfig();
    copy.loadFromOptions({
      clusters: kc.clusters.map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c)),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    return copy;
  }
  return kc;
}

export async function resolveCredentials(options: CredentialOptions = {}): Promise<Credentials> {
  const env = options.kubeconfig
    ? { ...(options.env ?? process.env), KUBECONFIG: options.kubeconfig }
    : (options.env ?? process.env);
  const config = readKubeconfig(env as Record<string, string | undefined>);
  const contextName = options.context ?? config.currentContext;
  if (!contextName || config.files.length === 0)
    throw new KloopError('no cluster is configured: no kubeconfig with a current context was found', {
      hint: 'set KUBECONFIG, or pick a context with `kloop use context <name>` / --kube-context',
    });
  const context = findContext(config, contextName);
  if (!context) {
    const known = config.contexts.map((c) => c.name);
    throw new KloopError(`kube context "${contextName}" is not in the kubeconfig`, {
      hint: known.length ? `known contexts: ${known.join(', ')}` : 'the kubeconfig has no contexts',
    });
  }
  const cluster = config.clusters.find((c) => c.name === context.cluster);
  if (!cluster?.server)
    throw new KloopError(
      `kube context "${contextName}" names cluster "${context.cluster ?? ''}", which has no server`,
      {
        hint: `check the clusters: entries of ${config.files.join(', ')}`,
      },
    );
  const user = config.users.find((u) => u.name === context.user);
  let loaded: Promise<KubeConfig> | undefined;
  const kubeConfig = () => {
    loaded ??= viaClientNode({ ...options, context: contextName }, env);
    return loaded;
  };
  const base = { server: cluster.server, context: contextName, namespace: context.namespace, kubeConfig };

  if (needsClientNode(config.files, user)) {
    const kc = await kubeConfig();
    const probe: import('node:https').RequestOptions = {};
    try {
      await kc.applyToHTTPSOptions(probe);
    } catch (error) {
      throw new KloopError(`cannot use the credentials of kube context "${contextName}": ${(error as Error).message}`, {
        hint: 'check the user entry of the context in the kubeconfig (exec plugin, auth provider)',
        cause: error,
      });
    }
    return {
      ...base,
      tls: {
        ca: probe.ca as Buffer | undefined,
        cert: probe.cert as Buffer | undefined,
        key: probe.key as Buffer | undefined,
        rejectUnauthorized: probe.rejectUnauthorized,
        servername: probe.servername,
      },
      async headers() {
        const opts: import('node:https').RequestOptions = {};
        await kc.applyToHTTPSOptions(opts);
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) out[k] = String(v);
        if (opts.auth) out.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
        return out;
      },
    };
  }

  try {
    const tls: TlsMaterial = {
      ca: fromData(cluster.certificateAuthorityData) ?? fromFile(cluster.certificateAuthority),
      cert: fromData(user?.clientCertificateData) ?? fromFile(user?.clientCertificate),
      key: fromData(user?.clientKeyData) ?? fromFile(user?.clientKey),
      rejectUnauthorized: cluster.insecureSkipTlsVerify ? false : undefined,
      servername: cluster.tlsServerName,
    };
    const fixed: Record<string, string> = {};
    const token = user?.token ?? (user?.tokenFile ? readFileSync(user.tokenFile, 'utf8').trim() : undefined);
    if (token) fixed.Authorization = `Bearer ${token}`;
    else if (user?.username)
      fixed.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
    return { ...base, tls, headers: async () => ({ ...fixed }) };
  } catch (error) {
    throw new KloopError(`cannot read the credentials of kube context "${contextName}": ${(error as Error).message}`, {
      hint: 'a certificate, key or token file named in the kubeconfig is missing or unreadable',
      cause: error,
    });
  }
}
