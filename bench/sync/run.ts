// Sync benchmark on the sandbox, run by hand: `node bench/sync/run.ts [--quick]`.
// Same run, same pod, against `kubectl cp` of the same change, once on a quiet machine and once
// with a CPU hog busy on every core (both sides under the same hog):
//   1. single-file edit → served through the port-forward (p50/p95 of 40 edits)
//   2. a 1,000-file burst until the container has all of it (quiet only)
//   3. an initial sync of 10,000 files / 100 MB into an empty directory, checked by content: the
//      md5 of every file in the container equals the local one, for kloop and for kubectl cp
//   4. idle CPU and RSS of a `kloop dev` process with three targets (quiet only)
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
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

const startLoad = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
const sandbox = await startSandbox();
const tmp = mkdtempSync(path.join(tmpdir(), 'kloop-bench-sync-'));
const env = { ...process.env, KUBECONFIG: sandbox.kubeconfig };
const kubectl = (...args: string[]) => run('kubectl', args, { env, maxBuffer: 64 << 20 });
const client = await connect({ kubeconfig: sandbox.kubeconfig, namespace: 'default' });
const dialer = createDialer(await resolveCredentials({ kubeconfig: sandbox.kubeconfig }));
const results: string[] = [];
const summary: string[] = [];
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

  // every file's md5, locally and in the container: the initial syncs are checked by content
  const big = path.join(tmp, 'big');
  for (let d = 0; d < INITIAL_FILES / 100; d++) {
    mkdirSync(path.join(big, `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f++) {
      const content = Buffer.alloc(FILE_BYTES, (d * 100 + f) % 251);
      content.write(`d${d}/f${f}`); // no two files alike
      writeFileSync(path.join(big, `d${d}`, `f${f}.bin`), content);
    }
  }
  const localSums = new Map<string, string>();
  for (let d = 0; d < INITIAL_FILES / 100; d++)
    for (let f = 0; f < 100; f++) {
      const rel = `d${d}/f${f}.bin`;
      localSums.set(
        rel,
        createHash('md5')
          .update(readFileSync(path.join(big, rel)))
          .digest('hex'),
      );
    }
  const sameContent = async (dir: string): Promise<string> => {
    const out = (
      await kubectl('exec', pod, '-c', 'web', '--', 'sh', '-c', `cd ${dir} && find . -type f -exec md5sum {} +`)
    ).stdout;
    const remote = new Map(
      out
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map(([sum, p]) => [p!.replace(/^\.\//, ''), sum!] as const),
    );
    let bad = 0;
    for (const [p, sum] of localSums) if (remote.get(p) !== sum) bad++;
    const extra = [...remote.keys()].filter((p) => !localSums.has(p)).length;
    return bad === 0 && extra === 0
      ? `identical (${remote.size} files hashed)`
      : `DIFFERS (${bad} wrong or missing, ${extra} extra)`;
  };

  async function phase(label: string): Promise<void> {
    let t = 0;
    // 1. edit → served
    const kloopLat: number[] = [];
    // the sync engine's own part of each edit: pack, send, extract in the container, acknowledge
    const batchMs: number[] = [];
    // before the batch: the watcher's event, the debounce, the engine's turn in the event loop
    const beforeBatch: number[] = [];
    // after the batch: until a GET through the port-forward returns the new content
    const afterBatch: number[] = [];
    // one GET of an unchanged file through the port-forward
    const getMs: number[] = [];
    const cpLat: number[] = [];
    for (let i = 0; i < EDITS; i++) {
      const body = `edit ${i} ${Date.now()}\n`;
      const wall = Date.now();
      t = performance.now();
      writeFileSync(path.join(local, 'index.html'), body);
      await served('index.html', body);
      kloopLat.push(performance.now() - t);
      const servedWall = wall + (performance.now() - t);
      const batch = store.get().targets.web?.sync[0]?.lastBatch;
      batchMs.push(batch?.ms ?? Number.NaN);
      const batchEnd = batch ? Date.parse(batch.at) : Number.NaN;
      beforeBatch.push(batchEnd - (batch?.ms ?? 0) - wall);
      afterBatch.push(servedWall - batchEnd);
      const g = performance.now();
      await fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.text());
      getMs.push(performance.now() - g);
      const cpBody = `cp ${i} ${Date.now()}\n`;
      writeFileSync(path.join(tmp, `cp-${label}.html`), cpBody);
      t = performance.now();
      await kubectl('cp', path.join(tmp, `cp-${label}.html`), `default/${pod}:/www/cp-${label}.html`, '-c', 'web');
      await served(`cp-${label}.html`, cpBody);
      cpLat.push(performance.now() - t);
      await delay(50);
    }
    results.push(
      `[${label}] edit→served (${EDITS} edits): kloop p50 ${ms(pct(kloopLat, 50))} p95 ${ms(pct(kloopLat, 95))} | kubectl cp p50 ${ms(pct(cpLat, 50))} p95 ${ms(pct(cpLat, 95))}`,
      `[${label}]   kloop's parts (p50 / p95): write → batch starts (watcher, debounce, event loop) ${ms(pct(beforeBatch, 50))} / ${ms(pct(beforeBatch, 95))}; the batch (pack, send, extract, ack) ${ms(pct(batchMs, 50))} / ${ms(pct(batchMs, 95))}; batch done → GET returns it ${ms(pct(afterBatch, 50))} / ${ms(pct(afterBatch, 95))}; one GET through the port-forward ${ms(pct(getMs, 50))} / ${ms(pct(getMs, 95))}`,
    );
    summary.push(
      `[${label}] edit→served p50 ${ms(pct(kloopLat, 50))} (target ≤ 100 ms), p95 ${ms(pct(kloopLat, 95))} (target ≤ 250 ms); kloop/kubectl cp p50 = ${(pct(kloopLat, 50) / pct(cpLat, 50)).toFixed(2)}`,
    );

    // 3. initial sync of INITIAL_FILES files / 100 MB into an empty directory
    const mb = (INITIAL_FILES * FILE_BYTES) / 1e6;
    const engine = new SyncEngine({
      from: big,
      to: `/big-${label}`,
      watch: false,
      connect: async () => execConnector(dialer, { namespace: 'default', pod, container: 'web' }),
    });
    t = performance.now();
    const cpu0 = process.cpuUsage();
    await engine.start();
    const initialKloop = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    const initialCpu = (cpu.user + cpu.system) / 1000;
    await engine.stop();
    const bigCount = Number(
      (await kubectl('exec', pod, '-c', 'web', '--', 'sh', '-c', `find /big-${label} -type f | wc -l`)).stdout.trim(),
    );
    t = performance.now();
    await kubectl('cp', big, `default/${pod}:/big-cp-${label}`, '-c', 'web');
    const initialCp = performance.now() - t;
    // a second kloop run over the same tree: only the listing and the comparison
    const again = new SyncEngine({
      from: big,
      to: `/big-${label}`,
      watch: false,
      connect: async () => execConnector(dialer, { namespace: 'default', pod, container: 'web' }),
    });
    t = performance.now();
    await again.start();
    const unchanged = performance.now() - t;
    const transferred = again.status.lastBatch?.uploaded ?? -1;
    await again.stop();
    const kloopSame = await sameContent(`/big-${label}`);
    const cpSame = await sameContent(`/big-cp-${label}`);
    results.push(
      `[${label}] initial sync ${INITIAL_FILES} files / ${mb.toFixed(0)} MB: kloop ${ms(initialKloop)}, of it ${ms(initialCpu)} CPU in kloop's process (${bigCount} files arrived; content ${kloopSame}) | kubectl cp ${ms(initialCp)} (content ${cpSame}); kloop again on the unchanged tree ${ms(unchanged)} (${transferred} uploaded)`,
    );
    summary.push(
      `[${label}] initial sync ${INITIAL_FILES} files / ${mb.toFixed(0)} MB: kloop ${ms(initialKloop)}, kubectl cp ${ms(initialCp)}, kloop/kubectl cp = ${(initialKloop / initialCp).toFixed(2)} (content: kloop ${kloopSame}, kubectl cp ${cpSame})`,
    );
  }

  // a CPU hog: one busy process per core, for both sides alike
  const startHog = (): ChildProcess[] =>
    Array.from({ length: availableParallelism() }, () =>
      spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }),
    );
  await phase('quiet');
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

  const hog = startHog();
  try {
    await delay(1000);
    results.push(
      `hog: ${hog.length} busy shell loops; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    await phase('hog');
  } finally {
    for (const h of hog) h.kill('SIGKILL');
  }
  await session.stop();

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
console.log(`sync bench (load average at start ${startLoad})`);
console.log(results.join('\n'));
console.log('summary:');
console.log(summary.map((l) => `  ${l}`).join('\n'));
