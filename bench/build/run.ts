// How long kloop takes to decide that an image is unchanged (content-hash tag from the stat cache
// + one `docker image inspect`) for a 10,000-file context, against `docker build` of the same
// unchanged context with every layer cached, in the same run. Run by hand:
//   node bench/build/run.ts [files=10000] [bytesPerFile=1000]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImages } from '../../src/images/build.ts';
import { computeTag } from '../../src/images/tag.ts';
import { makeProject } from '../../test/unit/images/project.ts';

const FILES = Number(process.argv[2] ?? 10_000);
const BYTES = Number(process.argv[3] ?? 1000);
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time<T>(fn: () => T): [number, T] {
  const t = performance.now();
  const r = fn();
  return [performance.now() - t, r];
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

const root = mkdtempSync(join(tmpdir(), 'kloop-bench-build-'));
const repo = `kloop-bench-${process.pid}/app`;
try {
  // 100 directories of source-like files, BYTES each, plus an ignored node_modules
  const past = new Date(Date.now() - 60_000);
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, 'src', `pkg${String(i % 100).padStart(3, '0')}`);
    if (i < 100) mkdirSync(dir, { recursive: true });
    const file = join(dir, `file${i}.ts`);
    writeFileSync(file, `export const v${i} = ${JSON.stringify(`${i}`.padEnd(BYTES, 'x'))};\n`);
    utimesSync(file, past, past);
  }
  mkdirSync(join(root, 'node_modules/dep'), { recursive: true });
  writeFileSync(join(root, 'node_modules/dep/index.js'), 'module.exports = 1;\n');
  writeFileSync(join(root, '.dockerignore'), 'node_modules\n.kloop\n');
  writeFileSync(join(root, 'Dockerfile'), 'FROM busybox:1.36\nCOPY . /app\n');
  await new Promise((r) => setTimeout(r, 200)); // let change times leave the cache's racy window

  const project = makeProject(root, { app: { image: repo } });
  const [cold, first] = time(() => computeTag(project, 'app'));
  console.log(`context: ${first.stats.entries} entries (${first.stats.files} files of ~${BYTES} bytes) in ${root}`);
  console.log(`tag, cold (every file read and hashed): ${cold.toFixed(0)} ms (${first.stats.hashed} hashed)`);

  const quiet = { onOutput: () => {}, load: false };
  const [firstBuild] = await timeAsync(() => buildImages(project, [], quiet));
  console.log(`first kloop build (classic or BuildKit docker build): ${firstBuild.toFixed(0)} ms`);

  const decide: number[] = [];
  const tagOnly: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [t, r] = time(() => computeTag(project, 'app'));
    if (r.stats.hashed !== 0) throw new Error(`expected a fully cached tag, hashed ${r.stats.hashed}`);
    tagOnly.push(t);
    const [d, built] = await timeAsync(() => buildImages(project, [], quiet));
    if (!built.app?.skipped) throw new Error('expected the unchanged image to be skipped');
    decide.push(d);
  }

  const env = { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? '0' };
  const dockerRuns: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [t] = time(() =>
      execFileSync('docker', ['build', '-q', '-t', `${repo}:docker-baseline`, root], { env, stdio: 'ignore' }),
    );
    dockerRuns.push(t);
  }

  const kloopMs = median(decide);
  const dockerMs = median(dockerRuns);
  console.log(`tag from the stat cache: median ${median(tagOnly).toFixed(0)} ms over ${RUNS} runs`);
  console.log(`kloop build deciding "unchanged" (tag + docker image inspect): median ${kloopMs.toFixed(0)} ms`);
  console.log(`docker build of the unchanged context, all layers cached: median ${dockerMs.toFixed(0)} ms`);
  console.log(`ratio docker build / kloop decide: ${(dockerMs / kloopMs).toFixed(1)}x`);
} finally {
  const refs = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', repo], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (refs.length) execFileSync('docker', ['rmi', '-f', ...refs], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
}
