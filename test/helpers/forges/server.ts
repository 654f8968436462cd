// A small HTTP server on 127.0.0.1 for forge doubles and git's smart HTTP: it records every request
// (method, path, query, headers, JSON body) so tests can assert what kloop sent.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON
  body: any;
  status?: number;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A route handler returns a reply, or undefined to fall through to the next one. */
export type Handler = (
  req: Recorded,
  raw: IncomingMessage,
  res: ServerResponse,
) => Reply | undefined | 'handled' | Promise<Reply | undefined | 'handled'>;

export interface TestServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startServer(handlers: Handler[]): Promise<TestServer> {
  const requests: Recorded[] = [];
  const server = createServer(async (raw, res) => {
    const u = new URL(raw.url ?? '/', 'http://127.0.0.1');
    const rec: Recorded = {
      method: raw.method ?? 'GET',
      path: u.pathname,
      query: u.searchParams,
      headers: raw.headers,
      body: undefined,
    };
    try {
      // git's smart HTTP bodies are streamed to the backend; API bodies are read as JSON here
      const isGit = /\/(git-upload-pack|git-receive-pack|info\/refs)$/.test(u.pathname);
      if (!isGit && rec.method !== 'GET') {
        const chunks: Buffer[] = [];
        for await (const c of raw) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        rec.body = text ? JSON.parse(text) : undefined;
      }
      requests.push(rec);
      for (const h of handlers) {
        const reply = await h(rec, raw, res);
        if (reply === 'handled') return;
        if (reply) {
          rec.status = reply.status;
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
          return;
        }
      }
      rec.status = 404;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Not Found' }));
    } catch (e) {
      res.writeHead(500);
      res.end(String(e));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
