// Port-forward over SPDY/3.1 (kubectl 1.32 has no other way). Per local connection the client
// opens an error stream and a data stream sharing a requestid; both must be answered.
import type { Socket } from 'node:net';
import transport from 'spdy-transport';
import type { Node } from '../contract.ts';
import type { PodGone } from './upgrade.ts';

/** One direction of a spdy-transport flow-control window. */
interface WindowSide {
  update(size: number, callback?: () => void): void;
}

function unlimited(side: WindowSide): void {
  side.update = (_size, callback) => {
    if (callback) process.nextTick(callback);
  };
}

interface SpdyStream extends NodeJS.ReadWriteStream {
  _spdyState: { window: { send: WindowSide } };
  headers: Record<string, string>;
  respond(status: number, headers: Record<string, string>): void;
  destroy(): void;
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

export function servePortForwardSpdy(
  node: Node,
  namespace: string,
  pod: string,
  socket: Socket,
  head: Buffer,
  podGone: PodGone,
  log: (m: string) => void,
): void {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n',
  );
  if (head.length > 0) socket.unshift(head);
  const connection = transport.connection.create(socket, { protocol: 'spdy', isServer: true }) as unknown as {
    _spdyState: {
      parser: { parseKVs: (b: unknown, cb: (e: Error | null, h?: Record<string, string>) => void) => void };
      window: { send: WindowSide };
    };
    start(version: number): void;
    on(event: string, listener: (arg: never) => void): void;
    end(): void;
  };
  // The parser insists on HTTP pseudo-headers that port-forward streams never carry.
  const parser = connection._spdyState.parser;
  const parseKVs = parser.parseKVs.bind(parser);
  parser.parseKVs = (buffer, callback) =>
    parseKVs(buffer, (error, headers) => {
      if (headers) {
        headers[':method'] ??= 'POST';
        headers[':path'] ??= '/';
      }
      callback(error, headers);
    });
  connection.start(3.1);
  // kubectl's SPDY library (moby/spdystream) does no flow control: it never sends WINDOW_UPDATE, and
  // the kubelet's side never waits for one. Honouring windows here stalled every session at 64 KiB.
  unlimited(connection._spdyState.window.send);

  const pairs = new Map<string, Pair>();
  connection.on('error', () => socket.destroy());
  socket.on('error', () => {});
  const stopWatching = podGone(() => {
    log(`port-forward ${namespace}/${pod}: pod deleted, closing the connection`);
    socket.destroy();
  });
  socket.on('close', () => {
    stopWatching();
    pairs.clear();
  });
  connection.on('stream', (stream: SpdyStream) => {
    unlimited(stream._spdyState.window.send);
    stream.respond(200, {});
    stream.on('error', () => {});
    const id = stream.headers.requestid ?? '';
    const pair = pairs.get(id) ?? {};
    pairs.set(id, pair);
    if (stream.headers.streamtype === 'error') {
      pair.error = stream;
      // kubectl closes its side of the error stream and reads it to EOF.
      stream.resume();
      return;
    }
    if (stream.headers.streamtype !== 'data') {
      stream.end();
      return;
    }
    pair.data = stream;
    const port = Number(stream.headers.port);
    const fail = (message: string) => {
      log(`port-forward ${namespace}/${pod}:${port}: ${message}`);
      pair.error?.end(message);
      stream.end();
      pairs.delete(id);
    };
    node.connect(namespace, pod, port).then(
      (target) => {
        stream.pipe(target);
        target.pipe(stream);
        target.on('error', (error) => fail(`error forwarding port ${port} to pod ${pod}: ${error.message}`));
        target.on('close', () => {
          pair.error?.end();
          pairs.delete(id);
        });
        stream.on('close', () => target.destroy());
      },
      (error: Error) => fail(`error forwarding port ${port} to pod ${pod}, uid : ${error.message}`),
    );
  });
}
