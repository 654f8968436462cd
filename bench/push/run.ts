// A remote-cluster build of unchanged inputs: `kloop build` asks the registry (one HEAD on the
// manifest) and skips, against `docker push` of the same tag (what a build that always pushes does:
// HEADs every blob, PUTs the manifest again), in the same run, against a real local registry
// (Debian's docker-registry on 127.0.0.1). Both sides are new processes; the registry's access log
// shows what each side sent. Run by hand:
//   node bench/push/run.ts [--runs 7]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildImages } from '../../src/images/build.ts';
import { startRegistry } from '../../test/helpers/registry.ts';
import { makeProject } from '../../test/unit/images/project.ts';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
const ROOT = resolve(import.meta.dirname, '../..');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const registry = await startRegistry();
const dir = mkdtempSync(join(tmpdir(), 'kloop-bench-push-'));
const repo = `${registry.host}/kloop-bench-${process.pid}/web`;
let ref = '';
try {
  const app = join(dir, 'app');
  execFileSync('cp', ['-r', join(ROOT, 'examples/src/web'), join(app)]);
  writeFileSync(join(app, '.dockerignore'), '.kloop\nkloop.yaml\n');
  writeFileSync(
    join(app, 'kloop.yaml'),
    `version: v1\nname: bench\nimages:\n  web:\n    image: ${repo}\n    context: .\n`,
  );
  // a context that does not share the engine, so kloop pushes
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: remote, context: {cluster: c, user: u}}]\ncurrent-context: remote\n',
  );
  mkdirSync(join(dir, 'docker'));
  const env = { ...process.env, KUBECONFIG: kubeconfig, DOCKER_CONFIG: join(dir, 'docker'), CI: 'true' };
  const kloop = () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'src/cli/bin.ts'), 'build', '-o', 'json'], {
      cwd: app,
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout).images.web as { ref: string; pushed: boolean };
  };
  const first = kloop();
  ref = first.ref;
  console.log(`image ${ref}: built and pushed once (pushed=${first.pushed})`);

  const side = (name: string, fn: () => void) => {
    fn(); // warm-up
    const times: number[] = [];
    const before = registry.requests().length;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      fn();
      times.push(performance.now() - t);
    }
    const sent = registry.requests().slice(before);
    const perRun = (re: RegExp) => sent.filter((r) => re.test(r)).length / RUNS;
    console.log(
      `${name}: median ${median(times).toFixed(0)} ms over ${RUNS} runs; per run ${perRun(/./)} requests, ${perRun(/^HEAD .*\/blobs\//)} blob HEADs, ${perRun(/^PUT .*\/manifests\//)} manifest PUTs, ${perRun(/^POST .*\/blobs\/uploads/)} uploads`,
    );
    return median(times);
  };
  const k = side('kloop build (registry HEAD, skip)', () => {
    if (kloop().pushed !== false) throw new Error('kloop pushed an unchanged image');
  });
  const project = makeProject(
    app,
    { web: { image: repo } },
    {
      build: { load: 'auto', parallel: 1 },
      cluster: { namespace: 'default', context: 'remote' },
      vars: { own: new Map(), process: env },
    },
  );
  // the decision alone, without Node's start: tag from the stat cache + one HEAD
  const times: number[] = [];
  await buildImages(project, [], { onOutput: () => {} });
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const b = (await buildImages(project, [], { onOutput: () => {} })).web!;
    times.push(performance.now() - t);
    if (b.pushed !== false) throw new Error('pushed an unchanged image');
  }
  const inProcess = median(times);
  console.log(`kloop build in process (buildImages): median ${inProcess.toFixed(0)} ms over ${RUNS} runs`);
  const d = side('docker push of the same tag', () => {
    execFileSync('docker', ['push', '--quiet', ref], { env, stdio: 'ignore' });
  });
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('summary:');
  console.log(
    `  unchanged remote build, new process: kloop ${k.toFixed(0)} ms vs docker push ${d.toFixed(0)} ms (${(d / k).toFixed(2)}x)`,
  );
  console.log(
    `  unchanged remote build, in process: kloop ${inProcess.toFixed(0)} ms vs docker push ${d.toFixed(0)} ms (${(d / inProcess).toFixed(2)}x)`,
  );
} finally {
  if (ref) spawnSync('docker', ['image', 'rm', '-f', ref], { stdio: 'ignore' });
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
}
