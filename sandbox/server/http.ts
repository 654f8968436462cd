// The HTTPS front door: 127.0.0.1 only, bearer tokens, non-resource endpoints, errors as Status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Node } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import { handleLog } from '../streaming/logs.ts';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedCore,
  aggregatedGroups,
  legacyApiVersions,
  legacyGroup,
  legacyGroupList,
  openapiGroupVersion,
  openapiRoot,
  resourceList,
  versionInfo,
} from './discovery.ts';
import { ApiError } from './errors.ts';
import {
  ADMIN,
  allowed,
  forbidden,
  type Identity,
  identityOf,
  serviceAccountIdentity,
  setIdentity,
  verbOf,
} from './rbac.ts';
import { OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_ACCEPT, openapiV2, openapiV2Protobuf } from './openapi-v2.ts';
import { handleResource, type ResourceRoute, sendJson } from './resource-handler.ts';
import { parseResourcePath } from './router.ts';
import { configureTokens, validServiceAccountToken } from './tokens.ts';
import type { TlsMaterial } from './tls.ts';

export interface ApiServerOptions {
  store: MemoryStore;
  node: Node;
  token: string;
  tls: TlsMaterial;
  port: number;
  log: (message: string) => void;
}

export interface ApiServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

// ws and spdy-transport cost startup time; they load on the first upgrade (or right after startup).
let streaming: Promise<typeof import('../streaming/upgrade.ts')> | undefined;
export function loadStreaming(): Promise<typeof import('../streaming/upgrade.ts')> {
  streaming ??= import('../streaming/upgrade.ts');
  return streaming;
}

const publicPaths = new Set(['/version', '/healthz', '/livez', '/readyz']);

/** The admin may act as someone else (kubectl --as / --as-group): Impersonate-User / -Group. */
function impersonated(req: IncomingMessage): Identity | undefined {
  const user = req.headers['impersonate-user'];
  if (typeof user !== 'string' || !user) return undefined;
  const raw = req.headers['impersonate-group'];
  const groups = [...(Array.isArray(raw) ? raw : raw ? [raw] : []), 'system:authenticated'];
  const sa = /^system:serviceaccount:([^:]+):/.exec(user);
  if (sa) groups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
  return { username: user, groups, admin: groups.includes('system:masters') };
}

/** Authenticates the request: the admin token or a ServiceAccount token this sandbox issued. */
function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7).trim() : '');
  const wanted = Buffer.from(token);
  if (given.length === wanted.length && timingSafeEqual(given, wanted)) {
    setIdentity(req, impersonated(req) ?? ADMIN);
    return true;
  }
  if (!validServiceAccountToken(given.toString())) return false;
  const id = serviceAccountIdentity(given.toString());
  if (id) setIdentity(req, id);
  return id !== undefined;
}

/** RBAC for a resource request; exec, attach and port-forward are `create` on their subresource. */
function authorize(
  req: IncomingMessage,
  store: MemoryStore,
  route: ResourceRoute,
  query: URLSearchParams,
  upgrade = false,
): void {
  const id = identityOf(req);
  if (id.admin) return;
  const attributes = {
    verb: upgrade ? 'create' : verbOf(req, query, route.name !== undefined),
    group: route.info.group,
    resource: route.info.resource,
    subresource: route.subresource,
    namespace: route.namespace,
    name: route.name,
  };
  if (!allowed(store, id, attributes)) throw forbidden(id, attributes);
}

const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

/** ApiError as is; the node side's errors (same shape) converted; anything else is a 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as { code?: unknown; reason?: unknown; message?: string; details?: object };
  if (typeof e?.code === 'number' && typeof e.reason === 'string') {
    return new ApiError(e.code, e.reason, e.message ?? '', e.details);
  }
  return new ApiError(500, 'InternalError', `Internal error occurred: ${e?.message ?? String(error)}`);
}

export function sendError(res: ServerResponse, error: unknown, log: (m: string) => void): void {
  const apiError = toApiError(error);
  if (apiError.code >= 500) log(`internal error: ${(error as Error)?.stack ?? error}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, apiError.code, apiError.toStatus());
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { store, node, token, log } = options;
  configureTokens(token);
  const registry = store.registry;
  let address = '';

  const server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const handle = async () => {
      if (!publicPaths.has(path) && !authorized(req, token)) throw unauthorized();
      const aggregated = (req.headers.accept ?? '').includes('g=apidiscovery.k8s.io;v=v2');
      if (path === '/version') return sendJson(res, 200, versionInfo);
      if (publicPaths.has(path)) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end('ok');
      }
      if (path === '/api') {
        return aggregated
          ? sendJson(res, 200, aggregatedCore(registry), AGGREGATED_CONTENT_TYPE)
          : sendJson(res, 200, legacyApiVersions(address));
      }
      if (path === '/apis') {
        return aggregated
          ? sendJson(res, 200, aggregatedGroups(registry), AGGREGATED_CONTENT_TYPE)
          : sendJson(res, 200, legacyGroupList(registry));
      }
      if (path === '/openapi/v2') {
        const doc = openapiV2(registry);
        if (!OPENAPI_V2_PROTOBUF_ACCEPT.test(req.headers.accept ?? '')) return sendJson(res, 200, doc);
        res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF });
        return res.end(openapiV2Protobuf(doc));
      }
      if (path === '/openapi/v3') return sendJson(res, 200, openapiRoot(registry));
      const openapi = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
      if (openapi) {
        const doc = openapi[1]
          ? openapiGroupVersion(registry, '', openapi[1])
          : openapiGroupVersion(registry, openapi[2]!, openapi[3]!);
        if (!doc) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        res.setHeader('Cache-Control', 'public, immutable');
        return sendJson(res, 200, doc);
      }
      const parts = path.split('/').filter(Boolean);
      if (parts[0] === 'api' && parts.length === 2) {
        const list = resourceList(registry, '', parts[1]!);
        if (list) return sendJson(res, 200, list);
      }
      if (parts[0] === 'apis' && parts.length === 2) {
        const group = legacyGroup(registry, parts[1]!);
        if (group) return sendJson(res, 200, group);
      }
      if (parts[0] === 'apis' && parts.length === 3) {
        const list = resourceList(registry, parts[1]!, parts[2]!);
        if (list) return sendJson(res, 200, list);
      }
      const route = parseResourcePath(registry, path);
      if (!route) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      authorize(req, store, route, url.searchParams);
      if (route.info.group === '' && route.info.resource === 'pods' && route.subresource === 'log' && route.name) {
        return handleLog(store, node, route.namespace!, route.name, url.searchParams, res);
      }
      return handleResource(store, route, req, res, url.searchParams);
    };
    handle().catch((error) => sendError(res, error, log));
  });
  // Watches and log streams stay open for minutes.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 120_000;
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!authorized(req, token)) {
      const body = JSON.stringify(unauthorized().toStatus());
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    try {
      const url = new URL(req.url ?? '/', 'https://sandbox');
      const route = parseResourcePath(registry, url.pathname);
      if (route) authorize(req, store, route, url.searchParams, true);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const body = JSON.stringify(error.toStatus());
      socket.end(
        `HTTP/1.1 ${error.code} ${error.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    loadStreaming().then(
      ({ handleUpgrade }) => handleUpgrade(store, node, req, socket, head, log),
      (error) => {
        log(`streaming: ${(error as Error).stack}`);
        socket.destroy();
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
