// The intercept agent: the program the agent pod runs on a stock Node.js image, shipped as the
// text of agentMain() in a ConfigMap (no custom image, no registry). It listens on the Service's
// target ports; connections to the intercepted port are paired with "tunnels" — connections the
// laptop opened beforehand to the control port through port-forwards; the agent writes
// `OPEN <port>\n`, the laptop answers `OK\n`, then bytes flow — and the rest go on to the
// original pods through the shadow Service. With a header rule, each connection's first HTTP
// request decides; the request is rewritten to `Connection: close` so that the next request on
// the client's next connection is decided afresh.
//
// agentMain must stay self-contained (it runs alone in the pod): no imports, no outer names.

export interface AgentRoute {
  /** the pod port the agent listens on (the Service's targetPort) */
  listen: number;
  /** the original pods, through the shadow Service */
  upstream: { host: string; port: number };
  intercept: boolean;
  /** only requests with this header go to the laptop */
  header?: { name: string; value: string };
}

export interface AgentConfig {
  control: number;
  routes: AgentRoute[];
  /** how long a connection waits for a tunnel before it is refused (ms) */
  tunnelWaitMs: number;
  /** how long a paired tunnel has to confirm with "OK\n" before the next one is tried (ms) */
  confirmMs: number;
}

export const AGENT_CONFIG_ENV = 'KLOOP_AGENT';
/** The first line a tunnel sends, and the line that pairs it with a connection. */
export const TUNNEL_HELLO = 'KLOOP-TUNNEL 1\n';
/** The laptop's answer to `OPEN <port>\n`, before any payload: the tunnel is alive. */
export const TUNNEL_OK = 'OK\n';

export function agentMain(): void {
  const net = require('node:net') as typeof import('node:net');
  const config = JSON.parse(process.env.KLOOP_AGENT ?? '{}') as AgentConfig;
  const idle: import('node:net').Socket[] = [];
  const waiting: Array<(t: import('node:net').Socket | null) => void> = [];
  const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);

  function takeTunnel(waitMs: number): Promise<import('node:net').Socket | null> {
    const t = idle.shift();
    if (t) return Promise.resolve(t);
    if (waitMs <= 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (s: import('node:net').Socket | null) => {
        clearTimeout(timer);
        resolve(s);
      };
      const timer = setTimeout(() => {
        const i = waiting.indexOf(done);
        if (i >= 0) waiting.splice(i, 1);
        resolve(null);
      }, waitMs);
      waiting.push(done);
    });
  }

  function join(a: import('node:net').Socket, b: import('node:net').Socket, head?: Buffer): void {
    a.on('error', () => b.destroy());
    b.on('error', () => a.destroy());
    a.on('close', () => b.destroy());
    b.on('close', () => a.destroy());
    if (head?.length) b.write(head);
    a.pipe(b);
    b.pipe(a);
    a.resume();
    b.resume();
  }

  const control = net.createServer({ allowHalfOpen: false }, (socket) => {
    socket.setNoDelay(true);
    let hello = '';
    const onData = (chunk: Buffer) => {
      hello += chunk.toString('latin1');
      if (hello.length < 15) return;
      socket.off('data', onData);
      socket.pause();
      if (hello !== 'KLOOP-TUNNEL 1\n') return socket.destroy();
      socket.on('error', () => {});
      socket.once('close', () => {
        const i = idle.indexOf(socket);
        if (i >= 0) idle.splice(i, 1);
      });
      const w = waiting.shift();
      if (w) w(socket);
      else idle.push(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
  control.listen(config.control, () => log(`control port ${config.control}`));

  /** The laptop's "OK" line on a paired tunnel: what followed it, or null when it never came. */
  function confirmed(tunnel: import('node:net').Socket): Promise<Buffer | null> {
    return new Promise((resolve) => {
      let buf = Buffer.alloc(0);
      const finish = (rest: Buffer | null) => {
        clearTimeout(timer);
        tunnel.off('data', onData);
        tunnel.off('close', onClose);
        tunnel.pause();
        resolve(rest);
      };
      const onData = (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const nl = buf.indexOf(10);
        if (nl < 0) return;
        finish(buf.subarray(0, nl).toString('latin1') === 'OK' ? buf.subarray(nl + 1) : null);
      };
      const onClose = () => finish(null);
      const timer = setTimeout(() => finish(null), config.confirmMs);
      tunnel.on('data', onData);
      tunnel.once('close', onClose);
      tunnel.resume();
    });
  }

  // A tunnel can be dead without anyone having noticed (the laptop lost its network): each
  // pairing waits for the laptop's OK and moves on to the next tunnel without it. What the caller
  // sent meanwhile is kept, to be sent again on the next tunnel.
  async function toLaptop(client: import('node:net').Socket, route: AgentRoute, head: Buffer): Promise<void> {
    const deadline = Date.now() + config.tunnelWaitMs;
    const sent: Buffer[] = head.length ? [head] : [];
    let size = head.length;
    let current: import('node:net').Socket | null = null;
    let ended = false;
    const onData = (chunk: Buffer) => {
      sent.push(chunk);
      size += chunk.length;
      current?.write(chunk);
      if (size > 1 << 20) client.pause();
    };
    const onEnd = () => {
      ended = true;
    };
    client.on('data', onData);
    client.once('end', onEnd);
    client.resume();
    for (;;) {
      const tunnel = await takeTunnel(deadline - Date.now());
      if (!tunnel) {
        log(
          `:${route.listen}: no live tunnel from the laptop within ${config.tunnelWaitMs} ms; refusing the connection`,
        );
        client.resetAndDestroy();
        return;
      }
      if (client.destroyed) {
        // the caller gave up while waiting: the tunnel is still fresh, keep it
        idle.unshift(tunnel);
        return;
      }
      tunnel.on('error', () => {});
      tunnel.write(`OPEN ${route.listen}\n`);
      for (const chunk of sent) tunnel.write(chunk);
      current = tunnel;
      const rest = await confirmed(tunnel);
      if (rest === null) {
        log(`:${route.listen}: a tunnel did not answer; trying the next one`);
        current = null;
        tunnel.destroy();
        continue;
      }
      client.off('data', onData);
      client.off('end', onEnd);
      client.pause();
      if (rest.length) client.write(rest);
      join(client, tunnel);
      if (ended) tunnel.end();
      return;
    }
  }

  function toUpstream(client: import('node:net').Socket, route: AgentRoute, head: Buffer): void {
    const up = net.connect(route.upstream.port, route.upstream.host);
    up.pause();
    up.on('error', () => client.destroy());
    up.once('connect', () => join(client, up, head));
  }

  function rewriteHead(head: string): string {
    const lines = head.split('\r\n');
    const upgrade = lines.some((l) => /^upgrade:/i.test(l));
    if (upgrade) return head;
    const kept = lines.filter((l, i) => i === 0 || !/^(connection|keep-alive):/i.test(l));
    kept.splice(1, 0, 'Connection: close');
    return kept.join('\r\n');
  }

  function byHeader(client: import('node:net').Socket, route: AgentRoute): void {
    const rule = route.header!;
    let buf = Buffer.alloc(0);
    const decide = (matched: boolean, head: Buffer) => {
      client.off('data', onData);
      client.pause();
      if (matched) void toLaptop(client, route, head);
      else toUpstream(client, route, head);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        // not HTTP, or a head too large to be one: the original pods get it unchanged
        if (buf.length > 65536 || !/^[A-Z]+ /.test(buf.subarray(0, 16).toString('latin1'))) decide(false, buf);
        return;
      }
      const head = buf.subarray(0, end).toString('latin1');
      if (!/^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(head.split('\r\n')[0] ?? '')) {
        decide(false, buf);
        return;
      }
      const want = rule.name.toLowerCase();
      const matched = head
        .split('\r\n')
        .slice(1)
        .some((l) => {
          const colon = l.indexOf(':');
          return (
            colon > 0 && l.slice(0, colon).trim().toLowerCase() === want && l.slice(colon + 1).trim() === rule.value
          );
        });
      decide(matched, Buffer.concat([Buffer.from(rewriteHead(head), 'latin1'), buf.subarray(end)]));
    };
    client.on('data', onData);
  }

  for (const route of config.routes) {
    const server = net.createServer({ pauseOnConnect: true }, (client) => {
      client.setNoDelay(true);
      client.on('error', () => {});
      if (!route.intercept) toUpstream(client, route, Buffer.alloc(0));
      else if (route.header) {
        client.resume();
        byHeader(client, route);
      } else void toLaptop(client, route, Buffer.alloc(0));
    });
    server.listen(route.listen, () =>
      log(
        `:${route.listen} → ${route.intercept ? `laptop${route.header ? ` (${route.header.name}: ${route.header.value})` : ''}` : `${route.upstream.host}:${route.upstream.port}`}`,
      ),
    );
  }
  setInterval(() => log(`tunnels idle ${idle.length}, connections waiting ${waiting.length}`), 60_000).unref();
}

/** The file the ConfigMap carries: agentMain's text, called. */
export function agentSource(): string {
  return `'use strict';\n// kloop intercept agent (generated; see src/hybrid/agent.ts)\n(${agentMain.toString()})();\n`;
}
