// Sync benchmark on the sandbox, run by hand: `node bench/sync/run.ts [--quick]`.
// Same run, same pod, against `kubectl cp` of the same change:
//   1. single-file edit → served through the port-forward (p50/p95 of 40 edits)
//   2. a 1,000-file burst until the container has all of it
//   3. an initial sync of 10,000 files / 100 MB
//   4. idle CPU and RSS of a `kloop dev` process with three targets
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createStore, newTarget } from '../../src/dev/store.ts';
import { TargetSession } from '../../src/dev/target-session.ts';
import { SyncEngine } from '../../src/dev/sync/engine.ts';
import { execConnector } from '../../src/kube/exec.ts';
import { createDialer } from '../../src/kube/streams.ts';
import { connect } from '../../src/kube/client.ts';
import { resolveCredentials } from '../../src/kube/credentials.ts';
import { freePort, repoRoot, startSandbox, webDeployment } from '../../test/integration/dev/sandbox.ts';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const EDITS = quick ? 10 : 40;
const BURST = 1000;
const INITIAL_FILES = quick ? 2000 : 10_000;
const FILE_BYTES = 10 * 1024;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (n: number) => `${n.toFixed(0)} ms`;

const sandbox = await startSandbox();
const tmp = mkdtempSync(path.join(tmpdir(), 'kloop-bench-sync-'));
const env = { ...process.env, KUBECONFIG: sandbox.kubeconfig };
const kubectl = (...args: string[]) => run('kubectl', args, { env, maxBuffer: 64 << 20 });
const client = await connect({ kubeconfig: sandbox.kubeconfig, namespace: 'default' });
const dialer = createDialer(await resolveCredentials({ kubeconfig: sandbox.kubeconfig }));
const results: string[] = [];
try {
  await sandbox.kubectlInput(webDeployment('web'), 'apply', '-f', '-');
  const local = path.join(tmp, 'www');
  mkdirSync(local);
  writeFileSync(path.join(local, 'index.html'), 'start\n');
  const port = await freePort();
  const store = createStore({
    project: 'bench',
    startedAt: '',
    phase: 'running',
    targets: { web: newTarget('web', 'default') },
  });
  const session = new TargetSession({
    client,
    dialer,
    root: tmp,
    target: {
      name: 'web',
      app: 'web',
      namespace: 'default',
      workload: 'deployment/web',
      container: 'web',
      sync: [{ from: 'www', to: '/www' }],
      ports: [`${port}:8080`],
    },
    store,
    onLog: () => {},
    podTimeoutMs: 120_000,
  });
  await session.start();
  const pod = session.pod!.pod;
  const served = async (file: string, want: string) => {
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/${file}`).catch(() => null);
      if (res && (await res.text()) === want) return;
    }
  };

  // 1. edit → served
  const kloopLat: number[] = [];
  const cpLat: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    const body = `edit ${i} ${Date.now()}\n`;
    let t = performance.now();
    writeFileSync(path.join(local, 'index.html'), body);
    await served('index.html', body);
    kloopLat.push(performance.now() - t);
    const cpBody = `cp ${i} ${Date.now()}\n`;
    writeFileSync(path.join(tmp, 'cp.html'), cpBody);
    t = performance.now();
    await kubectl('cp', path.join(tmp, 'cp.html'), `default/${pod}:/www/cp.html`, '-c', 'web');
    await served('cp.html', cpBody);
    cpLat.push(performance.now() - t);
    await delay(50);
  }
  results.push(
    `edit→served (${EDITS} edits): kloop p50 ${ms(pct(kloopLat, 50))} p95 ${ms(pct(kloopLat, 95))} | kubectl cp p50 ${ms(pct(cpLat, 50))} p95 ${ms(pct(cpLat, 95))}`,
  );

  // 2. a burst of 1,000 files
  const countRemote = async (dir: string) =>
    Number((await kubectl('exec', pod, '-c', 'web', '--', 'sh', '-c', `ls ${dir} 2>/dev/null | wc -l`)).stdout.trim());
  mkdirSync(path.join(local, 'burst'));
  let t = performance.now();
  for (let i = 0; i < BURST; i++) writeFileSync(path.join(local, 'burst', `f${i}.txt`), `burst ${i}\n`.repeat(20));
  const writing = performance.now() - t;
  await delay(30);
  await session.idle();
  const burstKloop = performance.now() - t;
  const burstCount = await countRemote('/www/burst');
  const cpDir = path.join(tmp, 'burst-cp');
  mkdirSync(cpDir);
  for (let i = 0; i < BURST; i++) writeFileSync(path.join(cpDir, `f${i}.txt`), `burst ${i}\n`.repeat(20));
  t = performance.now();
  await kubectl('cp', cpDir, `default/${pod}:/tmp-burst`, '-c', 'web');
  const burstCp = performance.now() - t;
  results.push(
    `${BURST}-file burst converged: kloop ${ms(burstKloop)} from the first write, ${ms(burstKloop - writing)} after the last (${burstCount} files in the container) | kubectl cp ${ms(burstCp)} (${await countRemote('/tmp-burst')} files)`,
  );
  await session.stop();

  // 3. initial sync of INITIAL_FILES files / 100 MB into an empty directory
  const big = path.join(tmp, 'big');
  // distinct random bytes per file, so the check below is by content (sha256), not by count
  const expected = new Map<string, string>();
  for (let d = 0; d < INITIAL_FILES / 100; d++) {
    mkdirSync(path.join(big, `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f++) {
      const bytes = randomBytes(FILE_BYTES);
      writeFileSync(path.join(big, `d${d}`, `f${f}.bin`), bytes);
      expected.set(`d${d}/f${f}.bin`, createHash('sha256').update(bytes).digest('hex'));
    }
  }
  const mb = (INITIAL_FILES * FILE_BYTES) / 1e6;
  const engine = new SyncEngine({
    from: big,
    to: '/big',
    watch: false,
    connect: async () => execConnector(dialer, { namespace: 'default', pod, container: 'web' }),
  });
  t = performance.now();
  await engine.start();
  const initialKloop = performance.now() - t;
  await engine.stop();
  const arrived = new Map<string, string>();
  const sums = await kubectl(
    'exec',
    pod,
    '-c',
    'web',
    '--',
    'sh',
    '-c',
    'cd /big && find . -type f -exec sha256sum {} +',
  );
  for (const line of sums.stdout.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}\.\/(.*)$/.exec(line);
    if (m) arrived.set(m[2]!, m[1]!);
  }
  const bigCount = [...expected].filter(([p, h]) => arrived.get(p) === h).length;
  if (bigCount !== expected.size || arrived.size !== expected.size)
    throw new Error(
      `initial sync: ${bigCount} of ${expected.size} files arrived intact (${arrived.size} in the container)`,
    );
  t = performance.now();
  await kubectl('cp', big, `default/${pod}:/big-cp`, '-c', 'web');
  const initialCp = performance.now() - t;
  // a second kloop run over the same tree: only the listing and the comparison
  const again = new SyncEngine({
    from: big,
    to: '/big',
    watch: false,
    connect: async () => execConnector(dialer, { namespace: 'default', pod, container: 'web' }),
  });
  t = performance.now();
  await again.start();
  const unchanged = performance.now() - t;
  const transferred = again.status.lastBatch?.uploaded ?? -1;
  await again.stop();
  results.push(
    `initial sync ${INITIAL_FILES} files / ${mb.toFixed(0)} MB: kloop ${ms(initialKloop)} (${bigCount} files arrived, each checked by sha256) | kubectl cp ${ms(initialCp)}; kloop again on the unchanged tree ${ms(unchanged)} (${transferred} uploaded)`,
  );

  // 4. idle CPU and RSS of kloop dev with three targets
  const proj = path.join(tmp, 'three');
  const ports = [await freePort(), await freePort(), await freePort()];
  let yaml = 'version: v1\nname: bench\napps:\n  web:\n    manifests: [deploy/*.yaml]\ndev:\n';
  for (const [i, n] of ['a', 'b', 'c'].entries()) {
    await sandbox.kubectlInput(webDeployment(n), 'apply', '-f', '-');
    mkdirSync(path.join(proj, n), { recursive: true });
    for (let f = 0; f < 300; f++) writeFileSync(path.join(proj, n, `f${f}.txt`), `file ${f}\n`);
    yaml += `  ${n}:\n    app: web\n    workload: deployment/${n}\n    sync: [{ from: ${n}, to: /www }]\n    ports: ["${ports[i]}:8080"]\n`;
  }
  mkdirSync(path.join(proj, 'deploy'));
  writeFileSync(path.join(proj, 'deploy/none.yaml'), '');
  writeFileSync(path.join(proj, 'kloop.yaml'), yaml);
  const dev = spawn(
    process.execPath,
    [path.join(repoRoot, 'src/cli/bin.ts'), '-n', 'default', 'dev', '--skip-deploy', '-o', 'json'],
    {
      cwd: proj,
      env: { ...env, CI: 'true', HOME: proj },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  dev.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  let errText = '';
  dev.stderr.on('data', (c: Buffer) => {
    errText += c.toString();
  });
  const end = Date.now() + 120_000;
  while (!out.includes('"change":"session running"') && Date.now() < end && dev.exitCode === null) await delay(200);
  if (!out.includes('"change":"session running"')) throw new Error(`kloop dev did not start: ${errText}`);
  await delay(3000);
  const ticks = () => {
    const f = readFileSync(`/proc/${dev.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${dev.pid}/status`, 'utf8'))![1]) / 1024;
  const IDLE = quick ? 10 : 30;
  const before = ticks();
  await delay(IDLE * 1000);
  const cpu = ((ticks() - before) / 100 / IDLE) * 100;
  results.push(
    `kloop dev, 3 targets (3 syncs, 3 forwards, 3 log streams), idle ${IDLE} s: CPU ${cpu.toFixed(2)} %, RSS ${rss().toFixed(0)} MB`,
  );
  dev.kill('SIGINT');
  await new Promise((r) => dev.on('close', r));
} finally {
  client.close();
  await sandbox.stop();
  rmSync(tmp, { recursive: true, force: true });
}
console.log(results.join('\n'));
