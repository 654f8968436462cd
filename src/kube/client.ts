// kloop's one way to talk to a cluster. The kubeconfig is turned into TLS material and auth headers
// by credentials.ts (client-node for exec plugins and auth providers); requests go out through
// node:http(s) so bodies are sent as-is
// (server-side apply must not pass through the generated models, which drop unknown fields) and
// streams (watch, logs) are ours to time out.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';
import { type CredentialOptions, type Credentials, resolveCredentials } from './credentials.ts';

/** A Kubernetes `Status` as error bodies carry it. */
export interface Status {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: Array<{ reason?: string; message?: string; field?: string }>;
  };
}

/** An API request the server answered with an error status. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: Status;
  constructor(code: number, status: Status, what: string) {
    super(status.message ? status.message : `${what}: HTTP ${code}`);
    this.name = 'ApiError';
    this.code = code;
    this.reason = status.reason ?? '';
    this.status = status;
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.code === 404;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** milliseconds; default 30 s */
  timeout?: number;
}

export interface KubeClient {
  /** the API server URL, e.g. https://127.0.0.1:6443 */
  readonly server: string;
  readonly context: string;
  /** the namespace objects without one go to */
  readonly namespace: string;
  /**
   * what the client resolved (once) to reach the cluster: exec, attach and port-forward WebSockets
   * dial with the same (`createDialer(client.credentials)`), so they cannot reach another cluster
   * or run an exec credential plugin a second time
   */
  readonly credentials: Pick<Credentials, 'server' | 'tls' | 'headers'>;
  /** the kubeconfig as @kubernetes/client-node sees it (loaded on first use), for its WebSocket streams (exec, port-forward) */
  kubeConfig(): Promise<KubeConfig>;
  request<T = unknown>(options: RequestOptions): Promise<T>;
  /** A streaming GET (watch, logs): resolves once the response headers arrived with status 200. */
  stream(options: RequestOptions): Promise<IncomingMessage>;
  /** Stops keeping connections alive, so the process can exit. */
  close(): void;
}

export interface ConnectOptions extends CredentialOptions {
  /** default: the context's namespace, else "default" */
  namespace?: string;
}

function describeNetworkError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return `${error.code === 'ETIMEDOUT' ? 'timed out' : 'connection reset'}`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'CERT_HAS_EXPIRED':
      return `TLS certificate not trusted (${error.message})`;
    default:
      return error.message;
  }
}

function buildQuery(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

export async function connect(options: ConnectOptions = {}): Promise<KubeClient> {
  const creds = await resolveCredentials(options);
  const cluster = { server: creds.server };
  const contextName = creds.context;
  const namespace = options.namespace ?? creds.namespace ?? 'default';
  const base = new URL(creds.server);
  const secure = base.protocol === 'https:';
  const basePath = base.pathname.replace(/\/$/, '');
  // Short requests share a few kept-alive connections (a burst of 40 LISTs should not mean 40 TLS
  // handshakes); long-lived streams (watches, logs) get connections of their own.
  const makeAgent = (maxSockets: number) =>
    secure
      ? new https.Agent({ keepAlive: true, maxSockets, ...creds.tls })
      : new http.Agent({ keepAlive: true, maxSockets });
  const requestAgent = makeAgent(6);
  const streamAgent = makeAgent(Number.POSITIVE_INFINITY);
  const headers = () => creds.headers();

  function unreachable(error: NodeJS.ErrnoException): KloopError {
    return new KloopError(`cannot reach the cluster at ${cluster.server}: ${describeNetworkError(error)}`, {
      hint: `is the cluster of kube context "${contextName}" running? Pick another with --kube-context or \`kloop use context\``,
      cause: error,
    });
  }

  function unauthorised(code: number, status: Status): KloopError {
    return new KloopError(
      `the cluster at ${cluster.server} refused kloop's credentials (${code} ${status.reason ?? ''}): ${status.message ?? ''}`.trim(),
      {
        hint: `log in again or fix the user of kube context "${contextName}" in the kubeconfig`,
      },
    );
  }

  async function send(o: RequestOptions, streaming = false): Promise<IncomingMessage> {
    const body =
      o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : Buffer.from(JSON.stringify(o.body));
    const h = { ...(await headers()) };
    h.Accept = o.accept ?? 'application/json';
    if (body !== undefined) {
      h['Content-Type'] = o.contentType ?? 'application/json';
      h['Content-Length'] = String(Buffer.byteLength(body));
    }
    const path = `${basePath}${o.path}${buildQuery(o.query)}`;
    log.debug(`${o.method ?? 'GET'} ${path}`);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = (secure ? https : http).request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          path,
          method: o.method ?? 'GET',
          headers: h,
          agent: streaming ? streamAgent : requestAgent,
        },
        resolve,
      );
      req.setTimeout(o.timeout ?? 30_000, () =>
        req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', (error: NodeJS.ErrnoException) => reject(error.code ? unreachable(error) : error));
      req.end(body);
    });
  }

  async function readAll(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function failure(res: IncomingMessage, o: RequestOptions): Promise<Error> {
    const text = await readAll(res);
    let status: Status = {};
    try {
      status = JSON.parse(text) as Status;
    } catch {
      status = { message: text.trim() || undefined };
    }
    const code = res.statusCode ?? 0;
    if (code === 401 || (code === 403 && /system:anonymous/.test(status.message ?? '')))
      return unauthorised(code, status);
    return new ApiError(code, status, `${o.method ?? 'GET'} ${o.path}`);
  }

  return {
    server: cluster.server,
    context: contextName,
    namespace,
    credentials: creds,
    kubeConfig: creds.kubeConfig,
    async request<T>(o: RequestOptions): Promise<T> {
      const res = await send(o);
      if ((res.statusCode ?? 0) >= 300) throw await failure(res, o);
      const text = await readAll(res);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async stream(o: RequestOptions): Promise<IncomingMessage> {
      const res = await send({ timeout: 0, ...o }, true);
      if ((res.statusCode ?? 0) >= 300) throw await failure(res, o);
      return res;
    },
    close() {
      requestAgent.destroy();
      streamAgent.destroy();
    },
  };
}
