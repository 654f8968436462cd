// exec and attach over WebSocket: channel 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize,
// 255 close (v5: the client's [255, 0] means stdin reached EOF).
import type { WebSocket } from 'ws';
import type { ExecProcess, Node } from '../contract.ts';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

function frame(channel: number, data: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(data) ? data : Buffer.from(data)]);
}

function failure(message: string, reason?: string, code?: number) {
  return { metadata: {}, status: 'Failure', message, ...(reason ? { reason } : {}), ...(code ? { code } : {}) };
}

export async function serveExec(
  node: Node,
  namespace: string,
  pod: string,
  attach: boolean,
  protocol: string,
  query: URLSearchParams,
  ws: WebSocket,
  log: (m: string) => void,
): Promise<void> {
  const command = query.getAll('command');
  const stdin = query.get('stdin') === 'true' || query.get('stdin') === '1';
  const tty = query.get('tty') === 'true' || query.get('tty') === '1';
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
  };
  const finish = (status: object) => {
    send(ERROR, JSON.stringify(status));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };

  // Input may arrive before the process exists: buffer it.
  const pending: Buffer[] = [];
  let stdinClosed = false;
  let proc: ExecProcess | undefined;
  // kubectl sends the terminal size first, usually before the process exists: keep it.
  let size: { width: number; height: number } | undefined;
  const closeStdin = () => {
    stdinClosed = true;
    proc?.stdin?.end();
  };
  ws.on('message', (data: Buffer) => {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    const channel = buf[0];
    const payload = buf.subarray(1);
    if (channel === STDIN) {
      if (proc?.stdin) proc.stdin.write(payload);
      else pending.push(payload);
    } else if (channel === RESIZE) {
      try {
        const sent = JSON.parse(payload.toString()) as Record<string, number>;
        const lower = Object.fromEntries(Object.entries(sent).map(([k, v]) => [k.toLowerCase(), v]));
        size = { width: lower.width ?? 80, height: lower.height ?? 24 };
        proc?.resize(size.width, size.height).catch(() => {});
      } catch {
        // a malformed resize is ignored, as the kubelet does
      }
    } else if (channel === CLOSE && payload[0] === STDIN) closeStdin();
  });
  ws.on('close', () => {
    // v4 clients signal stdin EOF by closing the socket.
    if (!stdinClosed) closeStdin();
  });

  try {
    proc = await node.exec({
      namespace,
      pod,
      container: query.get('container') ?? '',
      command,
      stdin,
      tty,
      ...(attach ? { attach: true } : {}),
    });
  } catch (error) {
    const e = error as { message?: string; reason?: string; code?: number };
    finish(failure(e.message ?? String(error), e.reason, e.code));
    return;
  }
  if (size && tty) proc.resize(size.width, size.height).catch(() => {});
  if (proc.stdin) {
    for (const chunk of pending) proc.stdin.write(chunk);
    if (stdinClosed) proc.stdin.end();
    proc.stdin.on('error', () => {});
  }
  const drained: Array<Promise<void>> = [];
  const pipe = (stream: NodeJS.ReadableStream | null, channel: number) => {
    if (!stream) return;
    drained.push(
      new Promise((resolve) => {
        stream.on('data', (chunk: Buffer) => send(channel, chunk));
        stream.on('end', () => resolve());
        stream.on('close', () => resolve());
        stream.on('error', () => resolve());
      }),
    );
  };
  pipe(proc.stdout, STDOUT);
  pipe(proc.stderr, STDERR);
  let code: number;
  try {
    code = await proc.exited;
  } catch (error) {
    finish(failure((error as Error).message));
    return;
  }
  await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, 2000))]);
  if (code === 0) finish({ metadata: {}, status: 'Success' });
  else {
    finish({
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
    });
  }
  void protocol;
  void log;
}
