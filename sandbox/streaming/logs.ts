// GET pods/{name}/log: text/plain, a chunked stream while following.
import type { ServerResponse } from 'node:http';
import type { LogRequest, Node } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };

function int(query: URLSearchParams, key: string): number | undefined {
  const value = query.get(key);
  return value === null || value === '' ? undefined : Number(value);
}

export async function handleLog(
  store: MemoryStore,
  node: Node,
  namespace: string,
  pod: string,
  query: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  store.mustGet(PODS, namespace, pod);
  const request: LogRequest = {
    namespace,
    pod,
    container: query.get('container') ?? '',
    follow: query.get('follow') === 'true',
    previous: query.get('previous') === 'true',
    timestamps: query.get('timestamps') === 'true',
  };
  const tail = int(query, 'tailLines');
  if (tail !== undefined) request.tailLines = tail;
  const since = int(query, 'sinceSeconds');
  if (since !== undefined) request.sinceSeconds = since;
  const sinceTime = query.get('sinceTime');
  if (sinceTime) request.sinceTime = sinceTime;
  const limit = int(query, 'limitBytes');
  if (limit !== undefined) request.limitBytes = limit;

  const stream = await node.logs(request);
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  stream.pipe(res);
  stream.on('error', () => res.end());
  // A client that leaves a follow stream is seen on the response, not the request (Node quirk).
  res.on('close', () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.());
}
