// How long `kloop build` takes to decide that an image is unchanged (content-hash tag from the stat
// cache + one `docker image inspect`) for a 10,000-file context, against `docker build` of the
// same unchanged context with every layer cached, in the same run. Both sides are new processes
// (kloop as the published bundle) and use the same builder: the one kloop picks (BuildKit when
// the docker CLI has buildx, else the classic builder). Run by hand:
//   node bench/build/run.ts [files=10000] [bytesPerFile=1000]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dockerUsesBuildKit } from '../../src/images/buildkit.ts';
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

const repoRoot = resolve(import.meta.dirname, '../..');
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

  // kloop as a process: the published bundle, built the way npm installs it, on a kloop.yaml
  const pkg = join(root, '.kloop-pkg');
  mkdirSync(pkg);
  for (const f of ['package.json', 'schema', 'node_modules']) symlinkSync(join(repoRoot, f), join(pkg, f));
  execFileSync(process.execPath, [join(repoRoot, 'scripts/build.ts'), '--outdir', join(pkg, 'dist')]);
  writeFileSync(join(root, '.dockerignore'), 'node_modules\n.kloop\n.kloop-pkg\nkloop.yaml\n');
  writeFileSync(
    join(root, 'kloop.yaml'),
    `version: v1\nname: bench\nimages:\n  app:\n    image: ${repo}\n    context: .\n`,
  );
  const kloopBuild = () =>
    JSON.parse(
      execFileSync(process.execPath, [join(pkg, 'dist/src/cli/bin.js'), 'build', '--no-load', '-o', 'json'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CI: 'true' },
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { images: { app: { skipped: boolean } } };
  kloopBuild(); // builds it (the ignore file changed), and warms up
  const buildkit = dockerUsesBuildKit(process.env);
  const env = { ...process.env, DOCKER_BUILDKIT: buildkit ? '1' : '0' };
  const dockerBuild = () =>
    execFileSync('docker', ['build', '-q', '-t', `${repo}:docker-baseline`, root], { env, stdio: 'ignore' });
  dockerBuild(); // warm-up: every layer cached from here on
  const processRuns: number[] = [];
  const dockerRuns: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [k, out] = time(kloopBuild);
    if (!out.images.app.skipped) throw new Error('expected kloop build to skip the unchanged image');
    processRuns.push(k);
    dockerRuns.push(time(dockerBuild)[0]);
  }

  const kloopMs = median(processRuns);
  const dockerMs = median(dockerRuns);
  const builder = buildkit ? 'BuildKit (buildx)' : 'the classic builder';
  console.log(
    `both sides: ${builder}, new processes, median of ${RUNS} after a warm-up; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`tag from the stat cache (in process): median ${median(tagOnly).toFixed(0)} ms`);
  console.log(
    `kloop deciding "unchanged" in process (tag + docker image inspect): median ${median(decide).toFixed(0)} ms`,
  );
  console.log(`kloop build -o json, a new process, image skipped: median ${kloopMs.toFixed(0)} ms`);
  console.log(`docker build of the unchanged context, all layers cached: median ${dockerMs.toFixed(0)} ms`);
  console.log('summary:');
  console.log(
    `  unchanged image, ${first.stats.files} files: kloop build ${kloopMs.toFixed(0)} ms, docker build ${dockerMs.toFixed(0)} ms (${builder}), kloop/docker = ${(kloopMs / dockerMs).toFixed(2)}`,
  );
} finally {
  const refs = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', repo], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (refs.length) execFileSync('docker', ['rmi', '-f', ...refs], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
}
