// Port-forward over WebSocket (v4.channel.k8s.io, what client-node speaks): port i uses channel
// 2i for data and 2i+1 for errors; each channel first carries its port, 2 bytes little-endian.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Node } from '../contract.ts';
import type { PodGone } from './upgrade.ts';

export function servePortForwardWebSocket(
  node: Node,
  namespace: string,
  pod: string,
  query: URLSearchParams,
  ws: WebSocket,
  podGone: PodGone,
  log: (m: string) => void,
): void {
  const ports = query
    .getAll('ports')
    .flatMap((p) => p.split(','))
    .map((p) => Number(p.trim()))
    .filter((p) => Number.isInteger(p) && p > 0);
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const sockets: Array<Promise<Socket | undefined>> = ports.map(async (port, i) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    send(2 * i, prefix);
    send(2 * i + 1, prefix);
    try {
      const socket = await node.connect(namespace, pod, port);
      socket.on('data', (chunk: Buffer) => send(2 * i, chunk));
      socket.on('end', () => ws.close(1000));
      socket.on('error', (error) => {
        send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${pod}: ${error.message}`));
        ws.close(1000);
      });
      return socket;
    } catch (error) {
      send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${pod}: ${(error as Error).message}`));
      ws.close(1000);
      return undefined;
    }
  });
  ws.on('message', async (data: Buffer) => {
    const channel = data[0]!;
    if (channel % 2 !== 0) return;
    const socket = await sockets[channel / 2];
    socket?.write(data.subarray(1));
  });
  const stopWatching = podGone(() => {
    log(`port-forward ${namespace}/${pod}: pod deleted, closing the connection`);
    ws.close(1000, 'pod deleted');
  });
  ws.on('close', async () => {
    stopWatching();
    for (const s of sockets) (await s)?.end();
  });
}
