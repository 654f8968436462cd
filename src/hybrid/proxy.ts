// Name resolution without root: an HTTP proxy on 127.0.0.1 (exported as HTTP_PROXY/HTTPS_PROXY)
// that sends `svc`, `svc.ns`, `svc.ns.svc` and `svc.ns.svc.cluster.local` to the Service's local
// forward and every other host straight on. CONNECT carries HTTPS (and any TCP) the same way.
// A Service that cannot be reached answers 502 with the reason, so the caller sees why.
import http from 'node:http';
import net from 'node:net';

export interface Route {
  host: string;
  port: number;
}

export interface Resolver {
  /** the Service a host name means in this namespace, or undefined for other hosts */
  service(host: string): string | undefined;
  /** the local forward of a Service port, or the reason it cannot be reached */
  forward(service: string, port: number): Route | { error: string };
}

/** The Service named by a cluster DNS name of `namespace`: svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local. */
export function serviceOfHost(host: string, namespace: string): string | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  const parts = h.split('.');
  if (parts.length === 1) return parts[0] || undefined;
  if (parts[1] !== namespace) return undefined;
  const rest = parts.slice(2).join('.');
  return rest === '' || rest === 'svc' || rest === 'svc.cluster.local' ? parts[0] : undefined;
}

export interface HttpProxy {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function splitHostPort(authority: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(authority) ?? /^([^:]+)(?::(\d+))?$/.exec(authority);
  return { host: m?.[1] ?? authority, port: m?.[2] ? Number(m[2]) : defaultPort };
}

export async function startProxy(resolver: Resolver, onNotice: (m: string) => void): Promise<HttpProxy> {
  const sockets = new Set<net.Socket>();
  const route = (host: string, port: number): Route | { error: string } => {
    const service = resolver.service(host);
    return service === undefined ? { host, port } : resolver.forward(service, port);
  };
  const fail = (res: http.ServerResponse, text: string) => {
    onNotice(text);
    if (res.headersSent) return res.destroy();
    res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end(`kloop connect: ${text}\n`);
  };

  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('kloop connect: this is an HTTP proxy; send absolute URLs (http://host/path)\n');
      return;
    }
    const target = route(url.hostname, Number(url.port) || 80);
    if ('error' in target) return fail(res, target.error);
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = http.request(
      {
        host: target.host,
        port: target.port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
        agent: false,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
        up.pipe(res);
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) =>
      fail(res, `${url.host}: ${error.code === 'ECONNRESET' ? 'connection reset' : error.message}`),
    );
    req.pipe(upstream);
  });

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    const { host, port } = splitHostPort(req.url ?? '', 443);
    const target = route(host, port);
    const refuse = (text: string) => {
      onNotice(text);
      client.end(
        `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nkloop connect: ${text}\n`,
      );
    };
    if ('error' in target) return refuse(target.error);
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (error) => {
      if (upstream.connecting) refuse(`${req.url}: ${error.message}`);
      else client.destroy();
    });
    client.on('close', () => upstream.destroy());
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
