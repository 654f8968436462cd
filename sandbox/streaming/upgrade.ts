// Upgraded connections on pods: exec and attach (WebSocket v5/v4), port-forward (WebSocket v4
// for client-node, SPDY/3.1 for kubectl).
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Node } from '../contract.ts';
import { ApiError } from '../server/errors.ts';
import { parseResourcePath } from '../server/router.ts';
import type { MemoryStore } from '../store/store.ts';
import { serveExec } from './exec.ts';
import { servePortForwardWebSocket } from './portforward-ws.ts';
import { servePortForwardSpdy } from './portforward-spdy.ts';

const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

function reject(socket: Socket, error: ApiError): void {
  const body = JSON.stringify(error.toStatus());
  const reason = { 400: 'Bad Request', 404: 'Not Found', 403: 'Forbidden' }[error.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${error.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function offered(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/**
 * Calls back once when the pod (this uid) is deleted; returns the unsubscribe. A real kubelet tears
 * port-forward streams down with the pod's sandbox, and kubectl exits with "lost connection to pod".
 */
export type PodGone = (callback: () => void) => () => void;

const PODS = { group: '', version: 'v1', resource: 'pods' };

function podGoneSignal(store: MemoryStore, namespace: string, name: string, uid: string | undefined): PodGone {
  return (callback) => {
    const unsubscribe = store.subscribe(PODS, (event) => {
      const meta = event.object.metadata;
      if (event.type !== 'DELETED' || meta.namespace !== namespace || meta.name !== name) return;
      if (uid && meta.uid !== uid) return;
      unsubscribe();
      callback();
    });
    return unsubscribe;
  };
}

export function handleUpgrade(
  store: MemoryStore,
  node: Node,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  log: (m: string) => void,
): void {
  try {
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const route = parseResourcePath(store.registry, url.pathname);
    const action = route?.subresource;
    if (route?.info.group !== '' || route.info.resource !== 'pods' || !route.name || !action) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (!['exec', 'attach', 'portforward'].includes(action)) {
      throw new ApiError(400, 'BadRequest', `${action} does not support upgrades`);
    }
    const target = store.mustGet(route.info, route.namespace, route.name);
    const namespace = route.namespace!;
    const pod = route.name;
    const podGone = podGoneSignal(store, namespace, pod, target.metadata.uid);
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();

    if (upgrade === 'spdy/3.1') {
      if (action !== 'portforward') {
        throw new ApiError(
          400,
          'BadRequest',
          'the sandbox serves exec and attach over WebSocket (v5.channel.k8s.io) only',
        );
      }
      servePortForwardSpdy(node, namespace, pod, socket, head, podGone, log);
      return;
    }
    if (upgrade !== 'websocket') throw new ApiError(400, 'BadRequest', `unsupported upgrade ${upgrade}`);
    const protocols = offered(req);
    const protocol =
      action === 'portforward'
        ? protocols.includes('v4.channel.k8s.io') || protocols.length === 0
          ? 'v4.channel.k8s.io'
          : undefined
        : EXEC_PROTOCOLS.find((p) => protocols.includes(p));
    if (!protocol) {
      // kubectl offers SPDY-over-WebSocket for port-forward; a 400 makes it fall back to plain SPDY.
      throw new ApiError(400, 'BadRequest', `none of the offered subprotocols is supported: ${protocols.join(', ')}`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (action === 'portforward') servePortForwardWebSocket(node, namespace, pod, url.searchParams, ws, podGone, log);
      else serveExec(node, namespace, pod, action === 'attach', protocol, url.searchParams, ws, log);
    });
  } catch (error) {
    reject(socket, error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error)));
  }
}
