// Intercept benchmark on the sandbox, run by hand: `node bench/intercept/run.ts [--quick]`.
// Same run, both through one API-server port-forward hop:
//   baseline   the laptop → `kubectl port-forward` → the back pod (busybox httpd)
//   intercept  a caller in the cluster network → the agent pod (the pod the Service selects while
//              intercepted) → kloop's tunnel → the local process (node http)
//   ws forward the laptop → kloop's WebSocket port-forward (client-node's protocol) → the back pod
//   direct     the laptop → the back pod's IP, no forward (the floor)
// The sandbox's SPDY port-forward (what kubectl speaks) stalls on responses of 64 KiB or more
// (no flow-control window updates), so the kubectl row's throughput reads "stalled" there.
// Per path: latency of a 64-byte GET on a new connection each time (p50/p95) and the throughput
// of a 100 MiB GET.
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createDialer } from '../../src/kube/streams.ts';
import { PortForwarder } from '../../src/dev/port-forward.ts';
import { resolveCredentials } from '../../src/kube/credentials.ts';
import { type Running, startKloop, startShop } from '../../test/integration/hybrid/helpers.ts';

const quick = process.argv.includes('--quick');
// kept under the 64 KiB the sandbox's SPDY port-forward carries in all (see above)
const REQUESTS = quick ? 50 : 200;
const BULK_MB = quick ? 20 : 100;
const MB = 1024 * 1024;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

function get(host: string, port: number, path: string, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('stalled')));
    req.on('error', reject);
  });
}

async function measure(name: string, host: string, port: number): Promise<Record<string, string>> {
  await get(host, port, '/small'); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await get(host, port, '/small');
    times.push(performance.now() - t);
  }
  const t = performance.now();
  let rate: string;
  try {
    const bytes = await get(host, port, '/bulk', 20_000);
    if (bytes !== BULK_MB * MB) throw new Error(`${name}: got ${bytes} bytes`);
    rate = (BULK_MB / ((performance.now() - t) / 1000)).toFixed(0);
  } catch (error) {
    rate = (error as Error).message;
  }
  return {
    path: name,
    'p50 ms': pct(times, 50).toFixed(1),
    'p95 ms': pct(times, 95).toFixed(1),
    'MiB/s': rate,
  };
}

const shop = await startShop();
let pf: ChildProcess | undefined;
let running: Running | undefined;
let wsForwarder: PortForwarder | undefined;
const local = http.createServer((req, res) => {
  if (req.url === '/bulk') {
    res.writeHead(200, { 'content-length': String(BULK_MB * MB) });
    const chunk = Buffer.alloc(64 * 1024, 7);
    let left = BULK_MB * 16;
    const more = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  } else res.end('x'.repeat(64));
});
try {
  const pod = (
    await shop.sandbox.kubectl([
      'get',
      'pods',
      '-l',
      'app=back',
      '-o',
      'jsonpath={.items[0].metadata.name} {.items[0].status.podIP}',
    ])
  ).stdout.trim();
  const [backPod, backIP] = pod.split(' ') as [string, string];
  await shop.sandbox.kubectl([
    'exec',
    backPod,
    '--',
    'sh',
    '-c',
    `head -c 64 /dev/zero | tr '\\0' x > /www/small && dd if=/dev/zero of=/www/bulk bs=1048576 count=${BULK_MB} 2>/dev/null`,
  ]);

  // baseline: kubectl port-forward to the back pod
  pf = spawn('kubectl', ['port-forward', `pod/${backPod}`, ':8080'], {
    env: shop.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pfPort = await new Promise<number>((resolve, reject) => {
    let out = '';
    pf!.stdout!.on('data', (c) => {
      out += c;
      const m = /127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    pf!.on('exit', () => reject(new Error(`kubectl port-forward ended: ${out}`)));
  });

  await new Promise<void>((r) => local.listen(0, '127.0.0.1', () => r()));
  const localPort = (local.address() as AddressInfo).port;
  running = startKloop(shop, ['intercept', 'back', '--port', `${localPort}:8080`, '-n', 'default']);
  await running.waitForState((s) => ((s.intercept as { phase: string }).phase === 'intercepting' ? true : undefined));
  const agentIP = (
    await shop.sandbox.kubectl([
      'get',
      'pods',
      '-l',
      'kloop.dev/intercept=back',
      '-o',
      'jsonpath={.items[0].status.podIP}',
    ])
  ).stdout.trim();

  const free = net.createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
  const wsPort = (free.address() as AddressInfo).port;
  await new Promise<void>((r) => free.close(() => r()));
  const dialer = createDialer(await resolveCredentials({ kubeconfig: shop.sandbox.kubeconfig }));
  wsForwarder = new PortForwarder(dialer, 'bench', { local: wsPort, remote: 8080 }, () => {});
  wsForwarder.setPod({ namespace: 'default', pod: backPod, container: 'back' });
  await wsForwarder.start();

  const rows = [
    await measure('kubectl port-forward → pod', '127.0.0.1', pfPort),
    await measure('ws port-forward → pod', '127.0.0.1', wsPort),
    await measure('intercept: agent → tunnel → local', agentIP, 8080),
    await measure('direct to the pod IP (no forward)', backIP, 8080),
  ];
  console.log(`\n${REQUESTS} sequential 64-byte GETs (new connection each), one ${BULK_MB} MiB GET, same run:`);
  console.table(rows);
} finally {
  running?.child.kill('SIGINT');
  await running?.exited;
  pf?.kill();
  await wsForwarder?.close();
  local.close();
  await shop.stop();
}
