// `kloop intercept` on the sandbox: in-cluster requests to back reach a local process; a local
// process that is not listening is a clear error to the caller; 200 concurrent connections leave
// no socket or tunnel behind; 100 MB each way arrive intact; --header splits the traffic; Ctrl-C,
// and kill -9 followed by the next run or by kloop purge, restore the Service and leave no agent.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { eventually } from '../../helpers/sandbox.ts';
import { kloop, requireDocker, type Running, type Shop, startKloop, startShop } from './helpers.ts';

const haveDocker = await requireDocker('the kloop intercept tests');
const MB = 1024 * 1024;

/** Deterministic bytes: block i of 64 KiB is filled with (i * 31 + j) & 255. */
function block(i: number): Buffer {
  const b = Buffer.alloc(64 * 1024);
  for (let j = 0; j < b.length; j++) b[j] = (i * 31 + j) & 255;
  return b;
}
function expectedHash(bytes: number): string {
  const h = createHash('sha256');
  for (let i = 0; i * 64 * 1024 < bytes; i++) h.update(block(i));
  return h.digest('hex');
}

/** The local process: /hello, /bulk (100 MB), POST /upload (answers the sha256 of the body). */
function localServer(): http.Server {
  return http.createServer((req, res) => {
    if (req.url === '/bulk') {
      res.writeHead(200, { 'content-length': String(100 * MB) });
      let i = 0;
      const more = () => {
        while (i < 1600) {
          if (!res.write(block(i++))) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    } else if (req.url === '/upload') {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        h.update(c);
        n += c.length;
      });
      req.on('end', () => res.end(`${n} ${h.digest('hex')}`));
    } else res.end(`local ${req.url} ${req.headers['x-dev'] ?? '-'}\n`);
  });
}

async function listen(server: http.Server, port = 0): Promise<number> {
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

function get(
  host: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port: 8080, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const intercepting = (s: Record<string, unknown>) => {
  const i = s.intercept as { phase: string; tunnels: { idle: number; active: number; served: number } };
  return i.phase === 'intercepting' ? i : undefined;
};

describe('kloop intercept', { skip: !haveDocker && 'Docker is not available' }, () => {
  let shop: Shop;
  let server: http.Server;
  let port: number;
  let running: Running | undefined;

  before(async () => {
    shop = await startShop();
    server = localServer();
    port = await listen(server);
  });
  after(async () => {
    running?.child.kill('SIGKILL');
    server?.close();
    await shop?.stop();
  });

  async function stop(r: Running): Promise<void> {
    r.child.kill('SIGINT');
    assert.equal(await r.exited, 0, r.stderr());
  }

  afterEach(() => {
    // a failed test must not leave its kloop running into the next one
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
  });

  async function assertRestored(): Promise<void> {
    const svc = JSON.parse((await shop.sandbox.kubectl(['get', 'svc', 'back', '-o', 'json'])).stdout);
    assert.deepEqual(svc.spec.selector, { app: 'back' });
    assert.equal(svc.metadata.annotations?.['kloop.dev/intercept-original'], undefined);
    const left = await shop.sandbox.kubectl(['get', 'pods,svc,configmaps', '-l', 'kloop.dev/intercept', '-o', 'name']);
    assert.equal(left.stdout.trim(), '', 'no agent pod, ConfigMap or shadow Service is left');
    const r = await eventually(async () => {
      const x = await shop.inFront('wget -qO- http://back:8080/');
      return x.code === 0 && /back from back-/.test(x.stdout) && x;
    }, 30_000);
    assert.match(r.stdout, /back from back-/);
  }

  test('in-cluster requests to back reach the local process, also after the agent pod is replaced; Ctrl-C restores the Service', async () => {
    running = startKloop(shop, ['intercept', 'back', '--port', `${port}:8080`, '-n', 'default']);
    await running.waitForState(intercepting);
    const r = await shop.inFront('wget -qO- http://back:8080/hello');
    assert.equal(r.stdout, 'local /hello -\n', r.stderr);
    // the agent pod deleted under the intercept: created again, the tunnels reconnect
    await shop.sandbox.kubectl(['delete', 'pod', 'kloop-intercept-back', '--wait=true']);
    const again = await eventually(async () => {
      const x = await shop.inFront('timeout 5 wget -qO- http://back:8080/again');
      return x.stdout === 'local /again -\n' && x;
    }, 60_000);
    assert.equal(again.stdout, 'local /again -\n');
    assert.ok(
      running.events.some(
        (e) => e.type === 'notice' && /agent pod kloop-intercept-back is gone/.test(String(e.message)),
      ),
    );
    await stop(running);
    await assertRestored();
  });

  test('200 concurrent connections, 100 MB each way, a local process that is not listening', async () => {
    running = startKloop(shop, ['intercept', 'back', '--port', `${port}:8080`, '-n', 'default']);
    await running.waitForState(intercepting);
    // The Service now selects the agent pod. The sandbox's Service proxy (busybox nc, one process
    // per connection) is far slower than kube-proxy's DNAT, so the load goes where kube-proxy
    // would send it: the pod the Service selects.
    const svc = JSON.parse((await shop.sandbox.kubectl(['get', 'svc', 'back', '-o', 'json'])).stdout);
    assert.deepEqual(svc.spec.selector, { 'kloop.dev/intercept': 'back' });
    const ip = (
      await shop.sandbox.kubectl([
        'get',
        'pods',
        '-l',
        'kloop.dev/intercept=back',
        '-o',
        'jsonpath={.items[0].status.podIP}',
      ])
    ).stdout.trim();
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);

    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => get(ip, `/c${i}`)));
    results.forEach((r, i) => {
      assert.equal(r.body.toString(), `local /c${i} -\n`);
    });
    // nothing leaks: the local server and the tunnel pool are back to idle
    await eventually(async () => new Promise<boolean>((r) => server.getConnections((_, n) => r(n === 0))), 15_000);
    // the burst opened extra tunnels; once it is over, the idle ones go back to the pool size
    const pool = await running.waitForState((s) => {
      const i = intercepting(s);
      return i && i.tunnels.active === 0 && i.tunnels.served >= 200 && i.tunnels.idle <= 8 ? i.tunnels : undefined;
    }, 15_000);
    assert.ok(pool.idle > 0, `idle tunnels are kept for the next connections (${pool.idle})`);

    const down = await get(ip, '/bulk');
    assert.equal(down.body.length, 100 * MB);
    assert.equal(createHash('sha256').update(down.body).digest('hex'), expectedHash(100 * MB));
    const up = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          host: ip,
          port: 8080,
          path: '/upload',
          method: 'POST',
          agent: false,
          headers: { 'content-length': String(100 * MB) },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      let i = 0;
      const more = () => {
        while (i < 1600) if (!req.write(block(i++))) return void req.once('drain', more);
        req.end();
      };
      more();
    });
    assert.equal(up, `${100 * MB} ${expectedHash(100 * MB)}`);

    // nothing listens locally: HTTP callers get a 502 that says so, others a closed connection
    await new Promise<void>((r) => server.close(() => r()));
    try {
      const r = await shop.inFront('wget -S -O- http://back:8080/ 2>&1; true');
      assert.match(r.stdout, /502/);
      const refused = await get(ip, '/');
      assert.equal(refused.status, 502);
      assert.match(refused.body.toString(), new RegExp(`nothing accepts connections on 127\\.0\\.0\\.1:${port}`));
      const ended = await new Promise<string>((resolve) => {
        const s = net.connect(8080, ip);
        const timer = setTimeout(() => resolve('hung'), 15_000);
        s.on('error', () => {});
        s.on('close', () => {
          clearTimeout(timer);
          resolve('closed');
        });
      });
      assert.equal(ended, 'closed', 'a silent TCP caller is not left hanging');
      assert.ok(
        running.events.some((e) => e.type === 'notice' && /nothing accepts connections/.test(String(e.message))),
      );
    } finally {
      server = localServer();
      await listen(server, port);
    }
    await stop(running);
    await assertRestored();
  });

  test('--agent-image the cluster cannot run is one clear error, and the Service stays as it was', async () => {
    const r = await kloop(
      shop,
      ['intercept', 'back', '--port', `${port}:8080`, '--agent-image', 'kloop-missing/agent:0', '-n', 'default'],
      {},
      120_000,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /kloop-missing\/agent:0/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    await assertRestored();
  });

  test('--header: only marked requests reach the laptop; kill -9, then the next run restores', async () => {
    running = startKloop(shop, [
      'intercept',
      'back',
      '--port',
      `${port}:8080`,
      '--header',
      'x-dev=alice',
      '-n',
      'default',
    ]);
    await running.waitForState(intercepting);
    const marked = await shop.inFront("wget -qO- --header 'x-dev: alice' http://back:8080/m");
    assert.equal(marked.stdout, 'local /m alice\n', marked.stderr);
    const other = await shop.inFront("wget -qO- --header 'x-dev: bob' http://back:8080/");
    assert.match(other.stdout, /^back from back-/);
    const plain = await shop.inFront('wget -qO- http://back:8080/');
    assert.match(plain.stdout, /^back from back-/);

    running.child.kill('SIGKILL');
    await running.exited;
    const svc = JSON.parse((await shop.sandbox.kubectl(['get', 'svc', 'back', '-o', 'json'])).stdout);
    assert.notDeepEqual(
      svc.spec.selector,
      { app: 'back' },
      'kill -9 left the Service switched (what the next run undoes)',
    );

    running = startKloop(shop, ['intercept', 'back', '--port', `${port}:8080`, '-n', 'default']);
    await running.waitForState(intercepting);
    assert.ok(
      running.events.some((e) => e.type === 'notice' && /restored Service back in default/.test(String(e.message))),
      JSON.stringify(running.events.filter((e) => e.type === 'notice')),
    );
    const r = await shop.inFront('wget -qO- http://back:8080/again');
    assert.equal(r.stdout, 'local /again -\n');
    await stop(running);
    await assertRestored();

    // kill -9 once more: this time kloop purge undoes the intercept
    running = startKloop(shop, ['intercept', 'back', '--port', `${port}:8080`, '-n', 'default']);
    await running.waitForState(intercepting);
    running.child.kill('SIGKILL');
    await running.exited;
    const purge = await kloop(shop, ['purge', '-n', 'default']);
    assert.equal(purge.code, 0, purge.stderr);
    await assertRestored();
  });
});
