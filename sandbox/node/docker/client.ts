// A small Docker Engine API client over the unix socket (API 1.41, Engine 20.10).
// Only what the node side needs: JSON calls, raw streams (logs, wait) and hijacked
// connections (exec start, attach) that carry stdin and stdout/stderr.

import http from 'node:http';
import type { Socket } from 'node:net';

export const DOCKER_API_VERSION = 'v1.41';
const CALL_TIMEOUT_MS = 120_000;

export class DockerError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'DockerError';
    this.status = status;
  }
}

export interface DockerClient {
  socketPath: string;
  /** JSON request; resolves with the parsed body (or undefined for empty bodies). */
  call<T = unknown>(method: string, path: string, body?: unknown, query?: Query): Promise<T>;
  /** A request whose response body is returned as a stream (logs, wait, image pulls). */
  stream(
    method: string,
    path: string,
    query?: Query,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<http.IncomingMessage>;
  /** A request upgraded to a raw bidirectional connection (exec start, attach). */
  hijack(method: string, path: string, body?: unknown, query?: Query): Promise<Socket>;
}

export type Query = Record<string, string | number | boolean | undefined>;

export function dockerSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return '/var/run/docker.sock';
}

function buildPath(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    params.set(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  const qs = params.toString();
  return `/${DOCKER_API_VERSION}${path}${qs ? `?${qs}` : ''}`;
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function failure(method: string, path: string, res: http.IncomingMessage): Promise<DockerError> {
  const text = await readBody(res);
  let message = text.trim();
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // not JSON: keep the raw text
  }
  return new DockerError(res.statusCode ?? 0, `docker ${method} ${path}: ${res.statusCode} ${message}`);
}

export function createDockerClient(
  socketPath = dockerSocketPath(),
  options: { callTimeoutMs?: number } = {},
): DockerClient {
  const callTimeoutMs = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
  function request(
    method: string,
    path: string,
    query: Query | undefined,
    body: unknown,
    headers: Record<string, string> = {},
  ): http.ClientRequest {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({
      socketPath,
      method,
      path: buildPath(path, query),
      headers: {
        ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
        ...headers,
      },
    });
    req.end(payload);
    return req;
  }

  function connectError(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
      return new Error(
        `Docker Engine is not reachable at ${socketPath} (${code}): start dockerd, or set DOCKER_HOST=unix:///path/to/docker.sock`,
      );
    }
    return err;
  }

  async function stream(
    method: string,
    path: string,
    query?: Query,
    body?: unknown,
    timeoutMs = 0,
    headers: Record<string, string> = {},
  ) {
    return await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = request(method, path, query, body, headers);
      req.on('error', (err) => reject(connectError(err)));
      // A daemon that stops answering must not hang a pod's sync loop for good. A timer rather
      // than a socket timeout, which would stay on the pooled socket for later requests.
      const timer =
        timeoutMs > 0
          ? setTimeout(
              () =>
                req.destroy(new Error(`Docker Engine did not answer ${method} ${path} within ${timeoutMs / 1000}s`)),
              timeoutMs,
            )
          : undefined;
      req.on('close', () => clearTimeout(timer));
      req.on('response', (res) => {
        clearTimeout(timer);
        if ((res.statusCode ?? 500) >= 400) failure(method, path, res).then(reject, reject);
        else resolve(res);
      });
    });
  }

  return {
    socketPath,
    async call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
      // Waiting for a container is open-ended; a stop takes up to its grace period.
      const timeoutMs = path.endsWith('/wait') ? 0 : callTimeoutMs + Number(query?.t ?? 0) * 1000;
      const res = await stream(method, path, query, body, timeoutMs);
      const text = await readBody(res);
      if (!text) return undefined as T;
      const type = String(res.headers['content-type'] ?? '');
      return (type.includes('json') ? JSON.parse(text) : text) as T;
    },
    stream: (method, path, query, body, headers) => stream(method, path, query, body, 0, headers),
    async hijack(method: string, path: string, body?: unknown, query?: Query): Promise<Socket> {
      return await new Promise<Socket>((resolve, reject) => {
        const req = request(method, path, query, body, { Connection: 'Upgrade', Upgrade: 'tcp' });
        req.on('error', (err) => reject(connectError(err)));
        req.on('upgrade', (_res, socket, head) => {
          if (head.length > 0) socket.unshift(head);
          resolve(socket);
        });
        req.on('response', (res) => {
          // Docker answers 200 instead of 101 for some errors; anything not upgraded is a failure.
          failure(method, path, res).then(reject, reject);
        });
      });
    },
  };
}
