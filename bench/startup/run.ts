// bench/startup: how long kloop takes to start, as the new processes a user or a script starts,
// against kubectl and helm in the same run. kloop runs as the published bundle (npm run build →
// dist/, built here into a temporary directory) and from the sources (bin/kloop in a checkout).
// Each command: 2 warm-up runs, then the median of --runs, the commands interleaved so load
// changes hit every side alike. Run by hand:
//   node bench/startup/run.ts [--runs 9]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const runs = Number(values.runs);

const work = mkdtempSync(join(tmpdir(), 'kloop-bench-startup-'));
const env = { ...process.env, HOME: work, KUBECONFIG: join(work, 'kubeconfig'), CI: 'true', NO_COLOR: '1' };

function once(cmd: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  // the package as npm installs it: dist/ beside package.json, schema/ and node_modules
  const pkg = join(work, 'pkg');
  mkdirSync(pkg);
  for (const f of ['package.json', 'schema', 'node_modules']) symlinkSync(join(root, f), join(pkg, f));
  const built = spawnSync(process.execPath, [join(root, 'scripts/build.ts'), '--outdir', join(pkg, 'dist')], {
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`build failed:\n${built.stderr}`);

  // a project of 20 plain-manifest apps, 50 objects (the deploy bench's shape)
  const project = join(work, 'project');
  const apps: string[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `app${String(i).padStart(2, '0')}`;
    mkdirSync(join(project, name), { recursive: true });
    writeFileSync(
      join(project, name, 'all.yaml'),
      [
        `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}-config }\ndata: { index: "${i}" }\n`,
        `apiVersion: v1\nkind: Service\nmetadata: { name: ${name} }\nspec: { selector: { app: ${name} }, ports: [{ port: 80 }] }\n`,
        ...(i < 10
          ? [
              `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${name} }\nspec:\n  selector: { matchLabels: { app: ${name} } }\n  template:\n    metadata: { labels: { app: ${name} } }\n    spec: { containers: [{ name: main, image: "busybox:1.36" }] }\n`,
            ]
          : []),
      ].join('---\n'),
    );
    apps.push(`  ${name}:\n    namespace: bench\n    manifests: [${name}/*.yaml]\n`);
  }
  writeFileSync(join(project, 'kloop.yaml'), `version: v1\nname: bench\napps:\n${apps.join('')}`);

  const bundle = join(pkg, 'dist/src/cli/bin.js');
  const sources = join(root, 'src/cli/bin.ts');
  const node = process.execPath;
  const cases: Array<{ label: string; cmd: string[] }> = [
    { label: 'node -e 0 (Node alone)', cmd: [node, '-e', '0'] },
    { label: 'kubectl version --client', cmd: ['kubectl', 'version', '--client'] },
    { label: 'helm version', cmd: ['helm', 'version'] },
    { label: 'kloop --version (bundle)', cmd: [node, bundle, '--version'] },
    { label: 'kloop --version (sources)', cmd: [node, sources, '--version'] },
    { label: 'kloop print (bundle)', cmd: [node, bundle, 'print'] },
    { label: 'kloop print (sources)', cmd: [node, sources, 'print'] },
    { label: 'kloop render, warm (bundle)', cmd: [node, bundle, 'render'] },
    { label: 'kloop render, warm (sources)', cmd: [node, sources, 'render'] },
  ];
  const times = new Map(cases.map((c) => [c.label, [] as number[]]));
  for (let r = 0; r < runs + 2; r++)
    for (const c of cases) {
      const ms = once(c.cmd, project);
      if (r >= 2) times.get(c.label)!.push(ms);
    }
  const m = (label: string) => median(times.get(label)!);

  console.log(
    `startup bench: each command a new process, 2 warm-up runs then median of ${runs}, interleaved; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores`,
  );
  console.log('  project: 20 plain-manifest apps, 50 objects; kloop render writes all of them as YAML');
  for (const c of cases) console.log(`  ${c.label.padEnd(32)} ${m(c.label).toFixed(0).padStart(6)} ms`);
  const ratio = (a: string, b: string) => (m(a) / m(b)).toFixed(2);
  console.log('summary:');
  console.log(
    `  kloop --version (bundle) ${m('kloop --version (bundle)').toFixed(0)} ms; target ≤ 120 ms; kloop/helm version = ${ratio('kloop --version (bundle)', 'helm version')}; kloop/kubectl version = ${ratio('kloop --version (bundle)', 'kubectl version --client')}`,
  );
  console.log(
    `  kloop print (bundle) ${m('kloop print (bundle)').toFixed(0)} ms; bundle/sources = ${ratio('kloop print (bundle)', 'kloop print (sources)')}`,
  );
  console.log(
    `  kloop render warm (bundle) ${m('kloop render, warm (bundle)').toFixed(0)} ms; bundle/sources = ${ratio('kloop render, warm (bundle)', 'kloop render, warm (sources)')}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
