// The HTTP proxy with real sockets: cluster names go to the Service's forward, other hosts
// straight on, CONNECT tunnels, and an unreachable Service is a 502 that says why.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { type HttpProxy, serviceOfHost, startProxy } from '../../../src/hybrid/proxy.ts';

test('cluster names of the namespace name a Service; other names do not', () => {
  assert.equal(serviceOfHost('back', 'shop'), 'back');
  assert.equal(serviceOfHost('back.shop', 'shop'), 'back');
  assert.equal(serviceOfHost('back.shop.svc', 'shop'), 'back');
  assert.equal(serviceOfHost('BACK.shop.svc.cluster.local.', 'shop'), 'back');
  assert.equal(serviceOfHost('back.other', 'shop'), undefined);
  assert.equal(serviceOfHost('example.com', 'shop'), undefined);
  assert.equal(serviceOfHost('back.shop.svc.example.com', 'shop'), undefined);
});

let forward: http.Server;
let other: http.Server;
let proxy: HttpProxy;
const notices: string[] = [];

before(async () => {
  forward = http.createServer((req, res) => res.end(`service saw ${req.method} ${req.url} host=${req.headers.host}`));
  other = http.createServer((req, res) => res.end(`other saw ${req.url}`));
  await new Promise<void>((r) => forward.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  const fport = (forward.address() as net.AddressInfo).port;
  proxy = await startProxy(
    {
      service: (host) => (host === 'back' || host === 'down' ? host : undefined),
      forward: (service, port) =>
        service === 'down'
          ? { error: 'Service down has no ready pod' }
          : port === 8080
            ? { host: '127.0.0.1', port: fport }
            : { error: `Service back has no port ${port}` },
    },
    (m) => notices.push(m),
  );
});
after(async () => {
  await proxy?.close();
  forward?.close();
  other?.close();
});

function viaProxy(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port: proxy.port, path: url, headers: { host: new URL(url).host } },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

test('absolute-URL requests: Service names to the forward, others directly', async () => {
  assert.deepEqual(await viaProxy('http://back:8080/x?y=1'), {
    status: 200,
    body: 'service saw GET /x?y=1 host=back:8080',
  });
  const oport = (other.address() as net.AddressInfo).port;
  assert.deepEqual(await viaProxy(`http://127.0.0.1:${oport}/z`), { status: 200, body: 'other saw /z' });
});

test('an unreachable Service or port is a 502 naming the reason', async () => {
  const down = await viaProxy('http://down:8080/');
  assert.equal(down.status, 502);
  assert.equal(down.body, 'kloop connect: Service down has no ready pod\n');
  const port = await viaProxy('http://back:9999/');
  assert.equal(port.status, 502);
  assert.match(port.body, /Service back has no port 9999/);
  assert.ok(notices.includes('Service down has no ready pod'));
});

test('CONNECT tunnels bytes to the Service forward', async () => {
  const s = net.connect(proxy.port, '127.0.0.1');
  s.write('CONNECT back:8080 HTTP/1.1\r\nHost: back:8080\r\n\r\n');
  let got = '';
  s.on('data', (c) => {
    got += c;
    if (got.includes('\r\n\r\n') && !got.includes('GET'))
      s.write('GET /tunnelled HTTP/1.1\r\nHost: back\r\nConnection: close\r\n\r\n');
  });
  await new Promise((r) => s.on('close', r));
  assert.match(got, /^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
  assert.match(got, /service saw GET \/tunnelled host=back$/);
});
