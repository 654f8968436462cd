import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import type { Engine } from '../../../../sandbox/node/docker/engine.ts';
import { probeOnce } from '../../../../sandbox/node/probes.ts';

// httpGet and tcpSocket probes only need an address: a local server stands in for the pod.
const target = (port: number) => ({
  engine: undefined as unknown as Engine,
  containerId: 'x',
  podIP: '127.0.0.1',
  container: { name: 'c', ports: [{ name: 'http', containerPort: port }] },
});

async function listen(server: http.Server | net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

test('httpGet: 2xx/3xx pass, other codes fail with the status; named ports resolve; headers are sent', async () => {
  const seen: Array<string | undefined> = [];
  const server = http.createServer((req, res) => {
    seen.push(String(req.headers['x-probe']));
    res.statusCode = req.url === '/ok' ? 200 : req.url === '/moved' ? 302 : 503;
    res.end();
  });
  const port = await listen(server);
  try {
    const t = target(port);
    assert.equal(
      await probeOnce({ httpGet: { path: '/ok', port: 'http', httpHeaders: [{ name: 'X-Probe', value: '1' }] } }, t),
      undefined,
    );
    assert.equal(await probeOnce({ httpGet: { path: '/moved', port } }, t), undefined);
    assert.equal(await probeOnce({ httpGet: { path: '/down', port } }, t), 'HTTP probe failed with statuscode: 503');
    assert.match(
      (await probeOnce({ httpGet: { path: '/', port: 'nope' } }, t))!,
      /"nope" is not a named port of container "c"/,
    );
    assert.equal(seen[0], '1');
  } finally {
    server.close();
  }
});

test('tcpSocket: an open port passes, a closed one fails with the connection error', async () => {
  const server = net.createServer((socket) => socket.destroy());
  const port = await listen(server);
  const t = target(port);
  assert.equal(await probeOnce({ tcpSocket: { port } }, t), undefined);
  server.close();
  await new Promise((r) => server.once('close', r));
  assert.match((await probeOnce({ tcpSocket: { port } }, t))!, /ECONNREFUSED/);
  assert.equal(await probeOnce({}, t), 'probe has no handler (exec, httpGet or tcpSocket)');
});
