// Intercept benchmark on the sandbox, run by hand: `node bench/intercept/run.ts [--quick]`.
// Same run, both through one API-server port-forward hop, and every path ends at the same kind of
// endpoint: busybox 1.36 httpd serving the same two files (the local one is the busybox binary of
// the image, run on the laptop):
//   baseline   the laptop → `kubectl port-forward` → the back pod (busybox httpd)
//   intercept  a caller in the cluster network → the agent pod (the pod the Service selects while
//              intercepted) → kloop's tunnel → the local process (busybox httpd)
//   ws forward the laptop → kloop's WebSocket port-forward (client-node's protocol) → the back pod
//   direct     the laptop → the back pod's IP, no forward (the floor)
// Per path: latency of a 64-byte GET on a new connection each time (p50/p95) and the throughput
// of a 100 MiB GET.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDialer } from '../../src/kube/streams.ts';
import { PortForwarder } from '../../src/dev/port-forward.ts';
import { resolveCredentials } from '../../src/kube/credentials.ts';
import { type Running, startKloop, startShop } from '../../test/integration/hybrid/helpers.ts';

const quick = process.argv.includes('--quick');
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
// the local endpoint: the image's own busybox httpd, serving the same files as the back pod
const work = mkdtempSync(join(tmpdir(), 'kloop-bench-intercept-'));
const www = join(work, 'www');
mkdirSync(www);
writeFileSync(join(www, 'small'), 'x'.repeat(64));
writeFileSync(join(www, 'bulk'), Buffer.alloc(BULK_MB * MB));
const container = execFileSync('docker', ['create', 'busybox:1.36'], { encoding: 'utf8' }).trim();
try {
  execFileSync('docker', ['cp', `${container}:/bin/busybox`, join(work, 'busybox')]);
} finally {
  execFileSync('docker', ['rm', container], { stdio: 'ignore' });
}
let local: ChildProcess | undefined;
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

  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const localPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  local = spawn(join(work, 'busybox'), ['httpd', '-f', '-p', `127.0.0.1:${localPort}`, '-h', www], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (
      await get('127.0.0.1', localPort, '/small').then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
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
  console.log(
    `\n${REQUESTS} sequential 64-byte GETs (new connection each), one ${BULK_MB} MiB GET, same run; every path ends at busybox httpd; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}:`,
  );
  console.table(rows);
  const [kubectlRow, , interceptRow] = rows as [Record<string, string>, unknown, Record<string, string>];
  const ratio = (a: string | undefined, b: string | undefined) => (Number(a) / Number(b)).toFixed(2);
  console.log('summary:');
  console.log(
    `  64-byte GET p50: intercept ${interceptRow['p50 ms']} ms, kubectl port-forward ${kubectlRow['p50 ms']} ms, intercept/kubectl = ${ratio(interceptRow['p50 ms'], kubectlRow['p50 ms'])}`,
  );
  console.log(
    `  ${BULK_MB} MiB GET: intercept ${interceptRow['MiB/s']} MiB/s, kubectl port-forward ${kubectlRow['MiB/s']} MiB/s, intercept/kubectl throughput = ${ratio(interceptRow['MiB/s'], kubectlRow['MiB/s'])}`,
  );
} finally {
  running?.child.kill('SIGINT');
  await running?.exited;
  pf?.kill();
  await wsForwarder?.close();
  local?.kill();
  await shop.stop();
  rmSync(work, { recursive: true, force: true });
}
