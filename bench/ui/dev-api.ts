// What serving its API costs every `kloop dev` at start (the server runs unless --no-api).
//   node bench/ui/dev-api.ts [--runs 9]
// Each run is two new Node processes running from the sources (types stripped, the slower case; the
// bundle has the server in the dev command's chunk), both first loading the modules every dev
// session loads anyway (src/dev/session.ts, view.ts, events.ts, store.ts). Baseline process: a bare
// node:http server listening on 127.0.0.1:0 and a 0600 file written through a rename, the least any
// such server does. Both first write the session's lock file, as `kloop dev` does before its
// server starts (so the file system's thread pool is up on both sides). kloop process: the server's modules (src/ui/dev-dashboard.ts and what it
// imports, the page excluded), then startDashboard on a session store (listen, token,
// .kloop/dashboard.json), one GET /api/state as `kloop mcp` sends it, close, and a second
// startDashboard in the same process (Node pays a few ms once for the first listen of a process;
// `kloop dev` pays them anyway for its port-forwards). Each run checks
// that the page's files were not loaded. A warm-up run first, then medians.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const runs = Number(values.runs);
const src = (p: string) => JSON.stringify(new URL(`../../src/${p}`, import.meta.url).href);

const bare = (stateDir: string) => `
import { performance } from 'node:perf_hooks';
await import(${src('dev/session.ts')}); await import(${src('dev/view.ts')}); await import(${src('dev/events.ts')});
await import(${src('dev/store.ts')});
const { mkdir: mkdirLock, writeFile: writeLock } = await import('node:fs/promises');
await mkdirLock(${JSON.stringify(stateDir)}, { recursive: true });
await writeLock(${JSON.stringify(`${stateDir}/dev-session.pid`)}, String(process.pid));
const { createServer } = await import('node:http');
const { mkdir, writeFile, rename } = await import('node:fs/promises');
const t = performance.now();
const server = createServer((req, res) => res.end('{}'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
await mkdir(${JSON.stringify(stateDir)}, { recursive: true });
await writeFile(${JSON.stringify(`${stateDir}/bare.tmp`)}, '{}', { mode: 0o600 });
await rename(${JSON.stringify(`${stateDir}/bare.tmp`)}, ${JSON.stringify(`${stateDir}/bare.json`)});
const listen = performance.now() - t;
await new Promise((r) => server.close(r));
console.log(JSON.stringify({ listen }));
`;

const script = (stateDir: string) => `
import { registerHooks } from 'node:module';
import { performance } from 'node:perf_hooks';
const loaded = [];
registerHooks({ resolve(s, c, next) { const r = next(s, c); loaded.push(r.url); return r; } });
let t = performance.now();
await import(${src('dev/session.ts')}); await import(${src('dev/view.ts')}); await import(${src('dev/events.ts')});
const { createStore, newTarget } = await import(${src('dev/store.ts')});
const session = performance.now() - t;
t = performance.now();
const { startDashboard } = await import(${src('ui/server.ts')});
await import(${src('ui/dev-dashboard.ts')});
const modules = performance.now() - t;
const { mkdir: mkdirLock, writeFile: writeLock } = await import('node:fs/promises');
await mkdirLock(${JSON.stringify(stateDir)}, { recursive: true });
await writeLock(${JSON.stringify(`${stateDir}/dev-session.pid`)}, String(process.pid));
const store = createStore({ project: 'bench', startedAt: '', phase: 'starting', targets: { web: newTarget('web', 'default') } });
t = performance.now();
const dash = await startDashboard({ store, stateDir: ${JSON.stringify(stateDir)} });
const listen = performance.now() - t;
t = performance.now();
const res = await fetch('http://127.0.0.1:' + dash.port + '/api/state', { headers: { authorization: 'Bearer ' + dash.token } });
await res.json();
const firstRequest = performance.now() - t;
t = performance.now();
await dash.close();
const close = performance.now() - t;
t = performance.now();
const again = await startDashboard({ store, stateDir: ${JSON.stringify(stateDir)} });
const second = performance.now() - t;
await again.close();
const page = loaded.some((u) => u.includes('/src/ui/assets.') || u.includes('/src/ui/page/'));
console.log(JSON.stringify({ session, modules, listen, second, firstRequest, close, page, status: res.status }));
`;

interface Sample {
  session: number;
  modules: number;
  listen: number;
  second: number;
  firstRequest: number;
  close: number;
  page: boolean;
  status: number;
}

const dir = mkdtempSync(path.join(tmpdir(), 'kloop-bench-api-'));
const samples: Sample[] = [];
const bareListen: number[] = [];
try {
  for (let i = 0; i <= runs; i++) {
    const b = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', bare(path.join(dir, '.kloop'))], {
        encoding: 'utf8',
      }),
    ) as { listen: number };
    if (i > 0) bareListen.push(b.listen);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script(path.join(dir, '.kloop'))], {
      encoding: 'utf8',
    });
    const s = JSON.parse(out) as Sample;
    if (s.page || s.status !== 200) throw new Error(`run ${i}: page loaded ${s.page}, /api/state ${s.status}`);
    if (i > 0) samples.push(s); // the first run warms the disk cache
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const median = (k: keyof Sample) => {
  const v = samples.map((s) => s[k] as number).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)]!;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;
const second = median('second');
const [session, modules, listen, first, close] = [
  median('session'),
  median('modules'),
  median('listen'),
  median('firstRequest'),
  median('close'),
];
const bareMedian = bareListen.sort((a, b) => a - b)[Math.floor(bareListen.length / 2)]!;
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${runs} runs after a warm-up, medians`,
);
console.log(`both:     loading the dev session's own modules (session, view, events, store): ${ms(session)}`);
console.log(`baseline: bare node:http listen on 127.0.0.1 + a 0600 file through a rename: ${ms(bareMedian)}`);
console.log(`kloop:    loading the session server's modules (page excluded, checked every run): ${ms(modules)}`);
console.log(`kloop:    startDashboard (listen on 127.0.0.1 + write .kloop/dashboard.json): ${ms(listen)}`);
console.log(`kloop:    a second startDashboard in the same process: ${ms(second)}`);
console.log(`kloop:    first GET /api/state answered: ${ms(first)}; close (+ remove the address): ${ms(close)}`);
console.log('summary:');
console.log(
  `  startDashboard ${ms(listen)} vs bare listen + file ${ms(bareMedian)}: ${(listen / bareMedian).toFixed(2)}x`,
);
console.log(
  `  server start (modules + startDashboard) ${ms(modules + listen)} = ${((modules + listen) / session).toFixed(3)}x the session's own module load`,
);
