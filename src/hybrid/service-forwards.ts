// Every Service of the namespace on a loopback address of its own (127.0.0.N; Linux routes all of
// 127/8 to lo, so no privileges are needed), with the Service's own port numbers. Each accepted
// connection becomes one port-forward to a ready pod the Service selects *now*, so replaced pods
// are followed; a Service without a ready pod resets the connection at once instead of leaving
// the caller hanging.
import net from 'node:net';
import { type Dialer, type PodConnection, wsForward } from '../kube/streams.ts';
import type { ClusterView, ServiceInfo, ServicePort } from './cluster-view.ts';

export interface ForwardedPort {
  service: string;
  name?: string;
  /** the Service's port */
  port: number;
  /** where it listens locally: the same number unless that one could not be bound */
  address: string;
  localPort: number;
}

export interface ForwardStatus {
  service: string;
  address: string;
  ports: Array<{ port: number; localPort: number; name?: string }>;
  connections: number;
  error?: string;
}

interface Conn {
  service: string;
  pod: string;
  socket: net.Socket;
  ws?: PodConnection;
}

/** First loopback host number used for Services (127.0.0.1 stays the proxy's). */
const FIRST_HOST = 2;

async function listen(server: net.Server, port: number, host: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const onError = (error: NodeJS.ErrnoException) => resolve(error);
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve(null);
    });
  });
}

export class ServiceForwards {
  private readonly view: ClusterView;
  private readonly dialer: Dialer;
  private readonly onNotice: (message: string) => void;
  private readonly servers = new Map<string, net.Server[]>();
  private readonly ports = new Map<string, ForwardedPort[]>();
  private readonly addresses = new Map<string, string>();
  private readonly errors = new Map<string, string>();
  private readonly conns = new Set<Conn>();
  private nextHost = FIRST_HOST;
  private syncing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(view: ClusterView, dialer: Dialer, onNotice: (message: string) => void) {
    this.view = view;
    this.dialer = dialer;
    this.onNotice = onNotice;
  }

  /** Opens listeners for Services that have none and closes those of removed Services. */
  sync(services: ServiceInfo[]): Promise<void> {
    this.syncing = this.syncing.then(() => this.apply(services)).catch(() => {});
    return this.syncing;
  }

  private async apply(services: ServiceInfo[]): Promise<void> {
    if (this.closed) return;
    const wanted = new Map(services.filter((s) => s.forwardable).map((s) => [s.name, s]));
    for (const name of [...this.servers.keys()]) {
      const svc = wanted.get(name);
      const have = this.ports.get(name) ?? [];
      const same = svc && JSON.stringify(svc.ports.map((p) => p.port)) === JSON.stringify(have.map((p) => p.port));
      if (!same) await this.closeService(name);
    }
    for (const svc of wanted.values()) if (!this.servers.has(svc.name)) await this.openService(svc);
  }

  private async openService(svc: ServiceInfo): Promise<void> {
    const tcp = svc.ports.filter((p) => p.protocol === 'TCP');
    // A Service keeps its address across restarts of its listeners; a busy address moves it on.
    for (let attempt = 0; attempt < 20; attempt++) {
      const address = this.addresses.get(svc.name) ?? `127.0.0.${this.nextHost++}`;
      const servers: net.Server[] = [];
      const forwarded: ForwardedPort[] = [];
      let busy = false;
      for (const p of tcp) {
        const server = net.createServer((socket) => this.accept(svc.name, p, socket));
        let error = await listen(server, p.port, address);
        let localPort = p.port;
        if (error?.code === 'EACCES') {
          // ports below 1024 need privileges: use a high one; env vars and the proxy point at it
          error = await listen(server, 0, address);
          localPort = (server.address() as net.AddressInfo | null)?.port ?? 0;
        }
        if (error) {
          busy = true;
          server.close();
          break;
        }
        server.on('error', () => {});
        servers.push(server);
        forwarded.push({ service: svc.name, port: p.port, address, localPort, ...(p.name ? { name: p.name } : {}) });
      }
      if (busy) {
        for (const s of servers) s.close();
        this.addresses.delete(svc.name);
        continue;
      }
      this.addresses.set(svc.name, address);
      this.servers.set(svc.name, servers);
      this.ports.set(svc.name, forwarded);
      return;
    }
    this.errors.set(svc.name, 'no free loopback address');
    this.onNotice(`${svc.name}: no free loopback address for its ports; it is not reachable`);
  }

  private async closeService(name: string): Promise<void> {
    const servers = this.servers.get(name) ?? [];
    this.servers.delete(name);
    this.ports.delete(name);
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  /** Where a Service port listens locally (for env vars and the proxy). */
  local(service: string, port: number): ForwardedPort | undefined {
    return this.ports.get(service)?.find((p) => p.port === port);
  }

  all(): ForwardedPort[] {
    return [...this.ports.values()].flat();
  }

  address(service: string): string | undefined {
    return this.ports.has(service) ? this.addresses.get(service) : undefined;
  }

  /** Why a connection to a Service cannot be forwarded now, or null when it can. */
  unavailable(service: string): string | null {
    const svc = this.view.service(service);
    if (!svc) return `Service ${service} does not exist in namespace ${this.view.namespace}`;
    if (!svc.forwardable) return `Service ${service} selects no pods (ExternalName or no selector)`;
    if (this.view.readyPods(svc.selector).length === 0) {
      const sel = Object.entries(svc.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const all = this.view.matchingPods(svc.selector).length;
      return `Service ${service} has no ready pod (${all ? `${all} pods match ${sel}, none ready` : `no pod matches ${sel}`})`;
    }
    return null;
  }

  private accept(service: string, port: ServicePort, socket: net.Socket): void {
    socket.pause();
    socket.on('error', () => {});
    const svc = this.view.service(service);
    const target = svc ? this.view.pick(svc, port) : null;
    if (!svc || !target) {
      this.onNotice(
        `${service}:${port.port}: ${this.unavailable(service) ?? 'no pod serves this port'}; connection refused`,
      );
      socket.resetAndDestroy();
      return;
    }
    const conn: Conn = { service, pod: target.pod, socket };
    this.conns.add(conn);
    socket.on('close', () => {
      this.conns.delete(conn);
      conn.ws?.terminate();
    });
    wsForward(this.dialer, { namespace: this.view.namespace, pod: target.pod }, target.port, socket, (text) =>
      this.onNotice(`${service}:${port.port} → ${target.pod}:${target.port}: ${text}`),
    ).then(
      (ws) => {
        conn.ws = ws;
        if (socket.destroyed) ws.terminate();
        else socket.resume();
      },
      (error: Error) => {
        this.onNotice(`${service}:${port.port}: cannot forward to pod ${target.pod}: ${error.message}`);
        this.conns.delete(conn);
        socket.resetAndDestroy();
      },
    );
  }

  /** Ends the connections to a pod that went away (the next connection picks another). */
  podGone(pod: string): void {
    for (const c of [...this.conns]) {
      if (c.pod !== pod) continue;
      this.conns.delete(c);
      c.socket.end();
      c.ws?.terminate();
    }
  }

  status(): ForwardStatus[] {
    const counts = new Map<string, number>();
    for (const c of this.conns) counts.set(c.service, (counts.get(c.service) ?? 0) + 1);
    return [...this.ports.entries()].map(([service, ports]) => {
      const s: ForwardStatus = {
        service,
        address: this.addresses.get(service) ?? '',
        ports: ports.map((p) => ({ port: p.port, localPort: p.localPort, ...(p.name ? { name: p.name } : {}) })),
        connections: counts.get(service) ?? 0,
      };
      const error = this.errors.get(service);
      if (error) s.error = error;
      return s;
    });
  }

  get openConnections(): number {
    return this.conns.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.syncing;
    for (const c of [...this.conns]) {
      c.socket.destroy();
      c.ws?.terminate();
    }
    this.conns.clear();
    await Promise.all([...this.servers.keys()].map((n) => this.closeService(n)));
  }
}
