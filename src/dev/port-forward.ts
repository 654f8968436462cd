// A port-forward that outlives pods: it listens on 127.0.0.1:<local> for the whole session and
// opens one port-forward WebSocket per accepted connection to whatever pod the target has now.
// Both ends of every connection are closed explicitly (kube/streams.ts), so no local client hangs on
// a pod that went away. A request that reaches the pod while its process restarts (onSync: restart)
// is replayed until the process listens, so a browser refresh during a reload waits instead of failing.
import net from 'node:net';
import { KloopError } from '../errors.ts';
import type { PodRef } from '../kube/exec.ts';
import { type Dialer, type PodConnection, wsForward } from '../kube/streams.ts';
import type { PortStatus } from './store.ts';

export function parsePort(spec: number | string): { local: number; remote: number } {
  const [a, b] = String(spec).split(':');
  const local = Number(a);
  const remote = b === undefined ? local : Number(b);
  return { local, remote };
}

/** How long a request waits for a process that restarts after a sync before it is refused. */
const RESTART_WAIT_MS = 10_000;

interface Conn {
  socket: net.Socket;
  /** destroy: drop both sides at once; otherwise the local side gets an orderly end */
  close(destroy?: boolean): void;
}

export class PortForwarder {
  readonly local: number;
  readonly remote: number;
  private readonly dialer: Dialer;
  private readonly target: string;
  private readonly onStatus: (s: PortStatus) => void;
  private server: net.Server | null = null;
  private pod: PodRef | null = null;
  private readonly conns = new Set<Conn>();
  private waiting: Array<() => void> = [];
  private state: PortStatus['state'] = 'starting';
  private error: string | undefined;

  constructor(
    dialer: Dialer,
    target: string,
    spec: { local: number; remote: number },
    onStatus: (s: PortStatus) => void,
  ) {
    this.dialer = dialer;
    this.target = target;
    this.local = spec.local;
    this.remote = spec.remote;
    this.onStatus = onStatus;
  }

  status(): PortStatus {
    const s: PortStatus = { local: this.local, remote: this.remote, state: this.state, connections: this.conns.size };
    if (this.error) s.error = this.error;
    return s;
  }

  private report(state: PortStatus['state'], error?: string): void {
    this.state = state;
    this.error = error;
    this.onStatus(this.status());
  }

  /** Listens on 127.0.0.1; a busy port is a clear error. */
  async start(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') {
          reject(
            new KloopError(`dev target "${this.target}": local port ${this.local} is already in use`, {
              hint: `stop what listens on 127.0.0.1:${this.local} (e.g. \`lsof -i :${this.local}\`), or change "${this.local}:${this.remote}" in ports: of the target`,
            }),
          );
        } else if (error.code === 'EACCES') {
          reject(
            new KloopError(`dev target "${this.target}": no permission to listen on port ${this.local}`, {
              hint: 'use a local port above 1023',
            }),
          );
        } else reject(error);
      });
      server.listen(this.local, '127.0.0.1', () => resolve());
    });
    server.on('error', (error) => this.report('error', error.message));
    this.server = server;
    this.report(this.pod ? 'forwarding' : 'reconnecting');
  }

  /** Points new connections at this pod; connections to the previous pod are closed. */
  setPod(pod: PodRef | null): void {
    const changed = pod?.pod !== this.pod?.pod;
    this.pod = pod;
    if (changed) for (const c of [...this.conns]) c.close();
    if (pod) for (const w of this.waiting.splice(0)) w();
    if (this.server) this.report(pod ? 'forwarding' : 'reconnecting');
  }

  private async podWithin(ms: number): Promise<PodRef | null> {
    if (this.pod) return this.pod;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.pod;
  }

  private accept(socket: net.Socket): void {
    socket.pause();
    let ws: PodConnection | null = null;
    let closed = false;
    const conn: Conn = {
      socket,
      close: (destroy = true) => {
        if (closed) return;
        closed = true;
        this.conns.delete(conn);
        // end (not destroy) lets the client read what is still buffered, then see EOF
        if (destroy) socket.destroy();
        else socket.end();
        ws?.terminate();
        this.onStatus(this.status());
      },
    };
    this.conns.add(conn);
    socket.on('error', () => conn.close());
    socket.on('close', () => conn.close());
    void this.connect(
      conn,
      socket,
      () => closed,
      (w) => {
        ws = w;
      },
    );
  }

  private async connect(
    conn: Conn,
    socket: net.Socket,
    isClosed: () => boolean,
    setWs: (ws: PodConnection) => void,
  ): Promise<void> {
    // A connection made while the pod is being replaced waits for the new one.
    const pod = await this.podWithin(30_000);
    if (isClosed()) return;
    if (!pod) return conn.close();
    let ws: PodConnection;
    try {
      ws = await wsForward(
        this.dialer,
        pod,
        this.remote,
        socket,
        (text) => this.report(this.state, `${pod.pod}:${this.remote}: ${text}`),
        { retryRefusedMs: RESTART_WAIT_MS },
      );
    } catch (error) {
      this.report('reconnecting', `cannot forward to pod ${pod.pod}: ${(error as Error).message}`);
      conn.close();
      return;
    }
    setWs(ws);
    if (isClosed()) {
      ws.terminate();
      return;
    }
    ws.onClose(() => conn.close(false));
    socket.resume();
    this.onStatus(this.status());
  }

  async close(): Promise<void> {
    for (const w of this.waiting.splice(0)) w();
    for (const c of [...this.conns]) c.close();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.report('closed');
  }
}
