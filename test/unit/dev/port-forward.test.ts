// The port-forwarder against a local WebSocket server that speaks the kubelet's v4 port-forward
// framing and echoes: data both ways, a busy local port, and both ends closed on either side's end.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import { createDialer } from '../../../src/kube/streams.ts';
import { PortForwarder } from '../../../src/dev/port-forward.ts';
import type { PortStatus } from '../../../src/dev/store.ts';
import { freePort } from '../../helpers/ports.ts';

let server: WebSocketServer;
let serverPort = 0;
const paths: string[] = [];
const serverSockets = new Set<import('ws').WebSocket>();

before(async () => {
  server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (p) => (p.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false),
  });
  await new Promise((r) => server.once('listening', r));
  serverPort = (server.address() as net.AddressInfo).port;
  server.on('connection', (ws, req) => {
    paths.push(req.url ?? '');
    serverSockets.add(ws);
    ws.on('close', () => serverSockets.delete(ws));
    const port = Number(new URL(req.url!, 'http://x').searchParams.get('ports'));
    const prefix = Buffer.from([port & 0xff, port >> 8]);
    ws.send(Buffer.concat([Buffer.from([0]), prefix]));
    ws.send(Buffer.concat([Buffer.from([1]), prefix]));
    ws.on('message', (data: Buffer) => {
      const text = data.subarray(1).toString();
      if (text === 'quit') ws.close();
      else ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(text.toUpperCase())]));
    });
  });
});
after(() => server.close());

const dialer = () => createDialer({ server: `http://127.0.0.1:${serverPort}`, tls: {}, headers: async () => ({}) });

function client(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (c) => {
    data += c.toString();
  });
  const ended = new Promise<void>((r) => socket.on('close', () => r()));
  return { socket, data: () => data, ended };
}

test('bytes go both ways through the pod the forwarder points at', async () => {
  const local = await freePort();
  const statuses: PortStatus[] = [];
  const pf = new PortForwarder(dialer(), 'web', { local, remote: 8080 }, (s) => statuses.push(s));
  pf.setPod({ namespace: 'shop', pod: 'web-1', container: 'web' });
  await pf.start();
  const c = client(local);
  c.socket.write('hello');
  for (let i = 0; i < 50 && c.data() !== 'HELLO'; i++) await delay(20);
  assert.equal(c.data(), 'HELLO', 'the 2-byte port prefix is not passed on');
  assert.equal(paths.at(-1), '/api/v1/namespaces/shop/pods/web-1/portforward?ports=8080');
  // the remote side ends: the local client sees the end instead of hanging
  c.socket.write('quit');
  await c.ended;
  await pf.close();
  assert.equal(statuses.at(-1)?.state, 'closed');
});

test('a new pod closes connections to the old one; close ends every local socket', async () => {
  const local = await freePort();
  const pf = new PortForwarder(dialer(), 'web', { local, remote: 80 }, () => {});
  pf.setPod({ namespace: 'shop', pod: 'web-1', container: 'web' });
  await pf.start();
  const a = client(local);
  a.socket.write('a');
  for (let i = 0; i < 50 && a.data() !== 'A'; i++) await delay(20);
  pf.setPod({ namespace: 'shop', pod: 'web-2', container: 'web' });
  await a.ended;
  const b = client(local);
  b.socket.write('b');
  for (let i = 0; i < 50 && b.data() !== 'B'; i++) await delay(20);
  assert.equal(b.data(), 'B');
  assert.match(paths.at(-1)!, /pods\/web-2\//);
  await pf.close();
  await b.ended;
  for (let i = 0; i < 50 && serverSockets.size; i++) await delay(20);
  assert.equal(serverSockets.size, 0, 'the WebSockets are closed too');
});

test('a busy local port is a clear error', async () => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const port = (busy.address() as net.AddressInfo).port;
  const pf = new PortForwarder(dialer(), 'web', { local: port, remote: 80 }, () => {});
  await assert.rejects(pf.start(), (e: Error & { hint?: string }) => {
    return (
      e.message === `dev target "web": local port ${port} is already in use` &&
      /change "\d+:80" in ports:/.test(e.hint ?? '')
    );
  });
  busy.close();
});
