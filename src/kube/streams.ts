// Exec and port-forward WebSockets spoken directly with `ws`, from the same credentials as every
// other request. @kubernetes/client-node's Exec/PortForward need its KubeConfig, whose import
// alone costs ~85 MB of RSS (a three-target session then exceeds 150 MB), its port-forward has no
// backpressure, leaves the local socket open when the WebSocket closes and drops later errors.
// The channel framing (kube-api-wire.md §6–7): byte 0 names the stream; 0 stdin, 1 stdout,
// 2 stderr, 3 status, 4 resize, 255 close (v5); port-forward: 2i data, 2i+1 error, each starting
// with the 2-byte port.
import { PassThrough, type Readable } from 'node:stream';
import WebSocket from 'ws';
import { KloopError } from '../errors.ts';
import type { Credentials } from './credentials.ts';
import type { ExitStatus, RemoteProcess } from '../dev/sync/process.ts';

export interface Dialer {
  /**
   * `onMessage` is attached before the connection opens: frames that arrive together with the
   * upgrade response (the port-forward port prefix, a fast command's output) are not lost.
   */
  open(path: string, protocols: string[], onMessage: (data: Buffer) => void): Promise<WebSocket>;
}

export function createDialer(creds: Pick<Credentials, 'server' | 'tls' | 'headers'>): Dialer {
  const base = creds.server.replace(/^http/, 'ws').replace(/\/$/, '');
  const secure = base.startsWith('wss:');
  return {
    async open(path, protocols, onMessage) {
      const headers = await creds.headers();
      const ws = new WebSocket(`${base}${path}`, protocols, {
        headers,
        ca: creds.tls.ca,
        cert: creds.tls.cert,
        key: creds.tls.key,
        rejectUnauthorized: creds.tls.rejectUnauthorized,
        // TLS server name override (tls-server-name in the kubeconfig); ws passes it on to tls.connect
        ...(creds.tls.servername ? ({ servername: creds.tls.servername } as object) : {}),
        perMessageDeflate: false,
        // Inside TLS, an all-zero masking key: ws then sends each frame as it is, where a random
        // key costs a copy and an XOR in JavaScript of everything sent (100 MB through ws: ~0.8 s
        // of CPU against ~0.2 s). Masking keeps intermediaries that read the stream from taking
        // frame bytes for HTTP; none can read a TLS stream. Plain ws:// keeps random keys.
        ...(secure ? { generateMask: (mask: Buffer) => mask.fill(0) } : {}),
      });
      ws.on('message', (data: Buffer) => onMessage(data));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', (error) => reject(error));
        ws.once('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => {
            let message = body.trim();
            try {
              message = (JSON.parse(body) as { message?: string }).message ?? message;
            } catch {}
            reject(new KloopError(`${path.split('?')[0]}: HTTP ${res.statusCode}${message ? `: ${message}` : ''}`));
          });
        });
      });
      return ws;
    },
  };
}

interface V1Status {
  status?: string;
  message?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

export function exitOf(status: V1Status): ExitStatus {
  if (status.status === 'Success') return { code: 0 };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message ? Number(cause.message) : Number.NaN;
  return { code: Number.isFinite(code) ? code : null, reason: status.message };
}

const MESSAGE_BYTES = 64 * 1024;

/**
 * Sends a readable into a channel, one chunk in flight at a time (backpressure). Big chunks (a sync
 * frame is up to 8 MB) go as 64 KiB messages, the size kubectl sends: API servers and kubelets
 * relay small messages without buffering whole ones.
 */
function pump(source: Readable, ws: WebSocket, channel: number, onEnd: () => void): void {
  source.on('data', (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    source.pause();
    for (let at = 0; at < chunk.length; at += MESSAGE_BYTES) {
      const part = chunk.subarray(at, at + MESSAGE_BYTES);
      const last = at + MESSAGE_BYTES >= chunk.length;
      const message = Buffer.allocUnsafe(part.length + 1);
      message[0] = channel;
      part.copy(message, 1);
      ws.send(message, last ? () => source.resume() : undefined);
    }
  });
  source.on('end', onEnd);
}

export interface ExecOptions {
  tty?: boolean;
  /** with tty: the terminal written to directly; its size and resizes are sent along */
  terminal?: NodeJS.WriteStream;
}

export async function wsExec(
  dialer: Dialer,
  ref: { namespace: string; pod: string; container: string },
  command: string[],
  options: ExecOptions = {},
): Promise<RemoteProcess> {
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  q.set('container', ref.container);
  q.set('stdin', 'true');
  q.set('stdout', 'true');
  if (!options.tty) q.set('stderr', 'true');
  if (options.tty) q.set('tty', 'true');
  const path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods/${encodeURIComponent(ref.pod)}/exec?${q}`;
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: NodeJS.WritableStream = options.tty && options.terminal ? options.terminal : stdout;
  let status: ExitStatus | undefined;
  const ws = await dialer.open(path, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], (data) => {
    const payload = data.subarray(1);
    if (data[0] === 1) out.write(payload);
    else if (data[0] === 2) stderr.write(payload);
    else if (data[0] === 3) {
      try {
        status = exitOf(JSON.parse(payload.toString()) as V1Status);
      } catch {
        status = { code: null, reason: payload.toString() };
      }
    }
  });
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  // Stdin EOF: v5 closes just the stdin stream, and the exit status still arrives.
  pump(stdin, ws, 0, () => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (v5) ws.send(Buffer.from([255, 0]));
    else ws.close();
  });
  const terminal = options.tty ? options.terminal : undefined;
  const sendSize = () => {
    if (terminal?.columns && ws.readyState === WebSocket.OPEN)
      ws.send(
        Buffer.concat([
          Buffer.from([4]),
          Buffer.from(JSON.stringify({ Width: terminal.columns, Height: terminal.rows })),
        ]),
      );
  };
  sendSize();
  terminal?.on('resize', sendSize);
  const exited = new Promise<ExitStatus>((resolve) => {
    ws.on('close', (code, reason) => {
      terminal?.off('resize', sendSize);
      stdout.end();
      stderr.end();
      resolve(status ?? { code: null, reason: `the exec stream closed (${code}${reason.length ? ` ${reason}` : ''})` });
    });
    ws.on('error', () => {});
  });
  return { stdin, stdout, stderr, exited, kill: () => ws.terminate() };
}

/** One forwarded TCP connection, whichever WebSocket currently carries it. */
export interface PodConnection {
  terminate(): void;
  onClose(fn: () => void): void;
}

export interface ForwardOptions {
  /**
   * For this long after the first attempt, a pod port that refuses before it sent a byte is dialled
   * again and what the client sent so far is replayed: a request made while the process restarts
   * after a sync waits for it instead of failing.
   */
  retryRefusedMs?: number;
}

/** Bytes of an unanswered request kept for a replay; a larger upload is not retried. */
const REPLAY_BYTES = 1024 * 1024;

/**
 * One TCP connection to a pod port, piped both ways with `socket`; resolves once the first
 * WebSocket is open. When either side ends, the other is ended too (no hanging local sockets).
 */
export async function wsForward(
  dialer: Dialer,
  ref: { namespace: string; pod: string },
  port: number,
  socket: import('node:net').Socket,
  onError: (text: string) => void,
  options: ForwardOptions = {},
): Promise<PodConnection> {
  const path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods/${encodeURIComponent(ref.pod)}/portforward?ports=${port}`;
  const retryUntil = Date.now() + (options.retryRefusedMs ?? 0);
  const closeListeners: Array<() => void> = [];
  let answered = false;
  let sent: Buffer[] | null = []; // what the client sent before the pod answered; null once too big
  let sentBytes = 0;
  let clientEnded = false;
  let done = false;
  let ws!: WebSocket;
  let retries = 0;

  const finish = () => {
    if (done) return;
    done = true;
    socket.end();
    for (const fn of closeListeners.splice(0)) fn();
  };
  const send = (chunk: Buffer, then?: () => void) => {
    for (let at = 0; at < chunk.length; at += MESSAGE_BYTES) {
      const part = chunk.subarray(at, at + MESSAGE_BYTES);
      const message = Buffer.allocUnsafe(part.length + 1);
      message[0] = 0;
      part.copy(message, 1);
      ws.send(message, at + MESSAGE_BYTES >= chunk.length ? then : undefined);
    }
  };

  const dial = async (): Promise<WebSocket> => {
    const seenPort = [false, false];
    const errors: Buffer[] = [];
    const next = await dialer.open(path, ['v4.channel.k8s.io'], (data) => {
      const ch = data[0]!;
      let payload = data.subarray(1);
      if (ch > 1) return;
      if (!seenPort[ch]) {
        seenPort[ch] = true;
        payload = payload.subarray(2);
      }
      if (payload.length === 0) return;
      if (ch === 0) {
        answered = true;
        sent = null;
        // backpressure: stop reading the WebSocket until the local client drained what it got
        if (!socket.write(payload)) {
          next.pause();
          socket.once('drain', () => next.resume());
        }
      } else errors.push(payload);
    });
    next.on('close', () => {
      if (done || next !== ws) return;
      const text = Buffer.concat(errors).toString().trim();
      const replayable = !answered && sent !== null && text !== '' && !socket.destroyed;
      if (replayable && Date.now() < retryUntil) {
        // 25, 50, 100, 200, then every 250 ms: a refusal is often momentary (a busy server's full
        // accept backlog), and a flat 250 ms made each one a visible stall of a page load (bench/sync
        // p95); a restarting process still gets its 10 s
        setTimeout(() => void redial(), Math.min(250, 25 * 2 ** retries++));
        return;
      }
      if (text) onError(text);
      finish();
    });
    next.on('error', () => {
      if (next === ws && !done) socket.destroy();
    });
    return next;
  };
  const redial = async () => {
    if (done || socket.destroyed) return finish();
    try {
      ws = await dial();
    } catch (error) {
      onError((error as Error).message);
      return finish();
    }
    if (done || socket.destroyed) return ws.terminate();
    for (const chunk of sent ?? []) send(chunk);
    if (clientEnded) ws.close();
  };

  ws = await dial();
  socket.on('data', (chunk: Buffer) => {
    if (!answered && sent) {
      sentBytes += chunk.length;
      if (sentBytes > REPLAY_BYTES) sent = null;
      else sent.push(chunk);
    }
    if (ws.readyState !== WebSocket.OPEN) return; // between attempts: kept in `sent` for the replay
    socket.pause();
    send(chunk, () => socket.resume());
  });
  socket.on('end', () => {
    clientEnded = true;
    if (ws.readyState === WebSocket.OPEN) ws.close();
  });
  socket.on('close', () => {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    finish();
  });
  return {
    terminate: () => {
      ws.terminate();
      finish();
    },
    onClose: (fn) => {
      if (done) fn();
      else closeListeners.push(fn);
    },
  };
}
