// The laptop's half of an intercept: a pool of idle "tunnels" — port-forwards to the agent's
// control port, opened before they are needed — each of which the agent pairs with one incoming
// connection ("OPEN <port>\n"). A paired tunnel connects to the local process and pipes; a new
// idle one replaces it. When nothing listens locally, an HTTP caller gets a 502 naming the port
// and any other caller a reset, never a hang.
import net from 'node:net';
import { type Duplex, duplexPair } from 'node:stream';
import { type Dialer, type PodConnection, wsForward } from '../kube/streams.ts';
import { TUNNEL_HELLO, TUNNEL_OK } from './agent.ts';

export interface TunnelStatus {
  idle: number;
  active: number;
  /** connections relayed so far */
  served: number;
  /** the last failure to open a tunnel, until one opens again */
  error?: string;
}

export interface TunnelPoolOptions {
  dialer: Dialer;
  namespace: string;
  pod: string;
  control: number;
  /** agent listen port → local port on this machine */
  localPorts: ReadonlyMap<number, number>;
  /** idle tunnels kept open */
  idle?: number;
  onNotice(message: string): void;
  onStatus?(status: TunnelStatus): void;
}

interface Tunnel {
  ws?: PodConnection;
  /** what the API server reported on the stream's error channel */
  error?: string;
  end: Duplex;
  local?: net.Socket;
  state: 'opening' | 'idle' | 'active' | 'closed';
}

/** At most this many tunnels beyond the pool size are opened while a burst of connections lasts. */
const MAX_SURGE = 56;
/** A burst is over when no connection found the pool empty for this long; the extra tunnels close. */
const SURGE_CALM_MS = 3_000;

const HTTP_REQUEST = /^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS|CONNECT|TRACE) \S+ HTTP\/1\.[01]\r?\n/;

export class TunnelPool {
  private readonly o: TunnelPoolOptions;
  private readonly tunnels = new Set<Tunnel>();
  private served = 0;
  private error: string | undefined;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readyWaiters: Array<() => void> = [];
  /**
   * Extra tunnels wanted while connections arrive faster than the pool refills: each opening takes
   * a WebSocket round trip to the API server, so a burst (a page with 50 assets, a load test)
   * would otherwise queue at the agent behind a handful of openings and time out there.
   */
  private surge = 0;
  private calmTimer: NodeJS.Timeout | undefined;

  constructor(options: TunnelPoolOptions) {
    this.o = options;
  }

  get target(): number {
    return this.o.idle ?? 8;
  }

  status(): TunnelStatus {
    let idle = 0;
    let active = 0;
    for (const t of this.tunnels) {
      if (t.state === 'idle') idle++;
      else if (t.state === 'active') active++;
    }
    const s: TunnelStatus = { idle, active, served: this.served };
    if (this.error) s.error = this.error;
    return s;
  }

  /** Open port-forward WebSockets (idle + active tunnels): what a leak check counts. */
  get openForwards(): number {
    return [...this.tunnels].filter((t) => t.state !== 'closed').length;
  }

  start(): void {
    this.fill();
    // After a laptop sleep the tunnels are usually dead without anyone having noticed; a timer
    // that fires far later than asked is the sign: start afresh.
    let last = Date.now();
    this.sleepTimer = setInterval(() => {
      const now = Date.now();
      if (now - last > 15_000) {
        this.o.onNotice(`woke up after ${Math.round((now - last) / 1000)} s: reopening the tunnels`);
        this.reset();
      }
      last = now;
    }, 2_000);
    this.sleepTimer.unref();
  }

  /** Resolves once at least one idle tunnel is open. */
  ready(): Promise<void> {
    if (this.status().idle > 0) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private report(): void {
    this.o.onStatus?.(this.status());
  }

  private fill(): void {
    if (this.stopped || this.retryTimer) return;
    let pending = 0;
    for (const t of this.tunnels) if (t.state === 'idle' || t.state === 'opening') pending++;
    for (let i = pending; i < this.target + this.surge; i++) void this.open();
  }

  /** A connection found no idle tunnel left: open more at once, and close the extra when calm. */
  private starved(): void {
    this.surge = Math.min(MAX_SURGE, Math.max(this.target, this.surge * 2));
    clearTimeout(this.calmTimer);
    this.calmTimer = setTimeout(() => {
      this.surge = 0;
      const idle = [...this.tunnels].filter((t) => t.state === 'idle');
      for (const t of idle.slice(this.target)) this.drop(t);
    }, SURGE_CALM_MS);
    this.calmTimer.unref();
  }

  private async open(): Promise<void> {
    const [mine, theirs] = duplexPair();
    const t: Tunnel = { end: mine, state: 'opening' };
    this.tunnels.add(t);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const nl = buffered.indexOf(10);
      if (nl < 0) return;
      mine.off('data', onData);
      mine.pause();
      const m = /^OPEN (\d+)$/.exec(buffered.subarray(0, nl).toString('latin1'));
      if (!m) return this.drop(t);
      this.pair(t, Number(m[1]), buffered.subarray(nl + 1));
    };
    mine.on('data', onData);
    mine.on('error', () => this.drop(t));
    mine.on('close', () => this.drop(t));
    try {
      t.ws = await wsForward(
        this.o.dialer,
        { namespace: this.o.namespace, pod: this.o.pod },
        this.o.control,
        theirs as unknown as net.Socket,
        (text) => {
          t.error = text;
        },
      );
    } catch (error) {
      this.tunnels.delete(t);
      t.state = 'closed';
      mine.destroy();
      this.failed((error as Error).message);
      return;
    }
    if (this.stopped || t.state === 'closed') {
      t.ws.terminate();
      this.tunnels.delete(t);
      return;
    }
    t.state = 'idle';
    this.error = undefined;
    mine.write(TUNNEL_HELLO);
    for (const w of this.readyWaiters.splice(0)) w();
    this.report();
  }

  private failed(message: string): void {
    this.failures++;
    this.error = `cannot open a tunnel to agent pod ${this.o.pod}: ${message}`;
    this.report();
    if (this.stopped || this.retryTimer) return;
    // the agent pod restarting or the API server hiccuping: back off, then fill the pool again
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.fill();
      },
      Math.min(100 * 2 ** this.failures, 5_000),
    );
  }

  private drop(t: Tunnel): void {
    if (t.state === 'closed') return;
    const wasIdle = t.state === 'idle' || t.state === 'opening';
    t.state = 'closed';
    this.tunnels.delete(t);
    t.end.destroy();
    t.local?.destroy();
    t.ws?.terminate();
    this.report();
    // an idle tunnel that closed (agent restarted, connection lost) is replaced; one the API
    // server refused (the pod is not there yet) is retried with a backoff
    if (t.error && wasIdle) this.failed(t.error);
    else if (t.error) this.o.onNotice(`tunnel: ${t.error}`);
    else if (wasIdle) this.fill();
  }

  private pair(t: Tunnel, agentPort: number, rest: Buffer): void {
    // proves to the agent that this tunnel is alive (it tries the next one without it)
    t.end.write(TUNNEL_OK);
    t.state = 'active';
    this.served++;
    this.failures = 0;
    if (![...this.tunnels].some((x) => x.state === 'idle')) this.starved();
    this.fill();
    const localPort = this.o.localPorts.get(agentPort);
    if (localPort === undefined) {
      this.o.onNotice(`the agent sent a connection for port ${agentPort}, which this intercept does not map`);
      this.drop(t);
      return;
    }
    const local = net.connect({ port: localPort, host: '127.0.0.1', noDelay: true });
    t.local = local;
    local.pause();
    let connected = false;
    local.once('connect', () => {
      connected = true;
      if (rest.length) local.write(rest);
      t.end.pipe(local);
      local.pipe(t.end);
      t.end.resume();
      local.resume();
      this.report();
    });
    local.on('close', () => {
      if (connected) this.drop(t);
    });
    local.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected) this.refuse(t, localPort, rest, error);
    });
  }

  /** Nothing listens locally: a 502 for an HTTP caller, a reset (tunnel closed) for others. */
  private refuse(t: Tunnel, localPort: number, rest: Buffer, error: NodeJS.ErrnoException): void {
    const reason = error.code === 'ECONNREFUSED' ? 'connection refused' : error.message;
    const text = `kloop intercept: nothing accepts connections on 127.0.0.1:${localPort} on the developer's machine (${reason}); start the local process`;
    this.o.onNotice(`a connection arrived, but ${text.slice(17)}`);
    const answer = (first: Buffer) => {
      if (HTTP_REQUEST.test(first.subarray(0, 1024).toString('latin1'))) {
        const body = `${text}\n`;
        t.end.end(
          `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
        setTimeout(() => this.drop(t), 5_000).unref();
      } else this.drop(t);
    };
    if (rest.length) {
      answer(rest);
      return;
    }
    // the caller's first bytes tell whether it speaks HTTP; a caller that waits for the server gets a reset
    const timer = setTimeout(() => answer(Buffer.alloc(0)), 1_000);
    t.end.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      t.end.pause();
      answer(chunk);
    });
    t.end.resume();
  }

  /**
   * Drops every tunnel and opens new ones: the agent pod was replaced, and streams to a pod that
   * vanished are not always closed by the other side.
   */
  reset(): void {
    for (const t of [...this.tunnels]) this.drop(t);
    this.fill();
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.sleepTimer) clearInterval(this.sleepTimer);
    clearTimeout(this.calmTimer);
    for (const t of [...this.tunnels]) this.drop(t);
    for (const w of this.readyWaiters.splice(0)) w();
  }
}
