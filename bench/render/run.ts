// Render benchmark (run by hand: node bench/render/run.ts [--apps 20] [--runs 5]): N apps, each a
// Helm chart wrapped by a Kustomize overlay, rendered by the shell pipeline a CI script runs
// (substitute a copy, helm template, kubectl kustomize; 4 apps at a time like kloop), and by kloop
// cold (empty cache) and warm (unchanged inputs) as new `kloop render` processes of the published
// bundle (the headline), from the sources, and in process. A warm-up round, then medians.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadProject } from '../../src/config/load.ts';
import { render } from '../../src/render/index.ts';

const { values } = parseArgs({
  options: { apps: { type: 'string', default: '20' }, runs: { type: 'string', default: '5' } },
});
const N = Number(values.apps);
const runs = Number(values.runs);
const repo = path.resolve(import.meta.dirname, '../..');
const root = mkdtempSync(path.join(tmpdir(), 'kloop-bench-render-'));
const bin = path.resolve(import.meta.dirname, '../../src/cli/bin.ts');

function write(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

function generate(): void {
  const apps: string[] = [];
  for (let i = 0; i < N; i++) {
    const app = `app${i}`;
    apps.push(
      `  ${app}:\n    namespace: bench\n    helm:\n      chart: apps/${app}/chart\n      values: [apps/${app}/values.yaml]\n    kustomize: apps/${app}/kustomize`,
    );
    write(`apps/${app}/chart/Chart.yaml`, `apiVersion: v2\nname: ${app}\nversion: 0.1.0\n`);
    write(`apps/${app}/chart/values.yaml`, 'replicas: 1\ntitle: x\nenv: {}\n');
    write(
      `apps/${app}/chart/templates/_helpers.tpl`,
      '{{- define "labels" -}}\napp: {{ .Release.Name }}\n{{- end -}}\n',
    );
    write(
      `apps/${app}/chart/templates/deployment.yaml`,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: {{ .Release.Name }}',
        'spec:',
        '  replicas: {{ int .Values.replicas }}',
        '  selector:',
        '    matchLabels: {{- include "labels" . | nindent 6 }}',
        '  template:',
        '    metadata:',
        '      labels: {{- include "labels" . | nindent 8 }}',
        '    spec:',
        '      containers:',
        '        - name: main',
        '          image: busybox:1.36',
        '          env:',
        '            - { name: TITLE, value: {{ .Values.title | quote }} }',
        '            {{- range $k, $v := .Values.env }}',
        '            - { name: {{ $k }}, value: {{ $v | quote }} }',
        '            {{- end }}',
        '',
      ].join('\n'),
    );
    write(
      `apps/${app}/chart/templates/service.yaml`,
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector: {{- include "labels" . | nindent 4 }}\n  ports: [{ port: 80 }]\n',
    );
    write(`apps/${app}/values.yaml`, 'replicas: ${REPLICAS}\ntitle: "${TITLE}"\nenv:\n  A: one\n  B: two\n');
    write(
      `apps/${app}/kustomize/kustomization.yaml`,
      `resources:\n  - ${app}.yaml\nlabels:\n  - pairs: { tier: bench }\nconfigMapGenerator:\n  - name: ${app}-settings\n    literals: [TITLE=\${TITLE}]\n`,
    );
  }
  write(
    'kloop.yaml',
    `version: v1\nname: bench\nvars:\n  TITLE: { default: "Bench" }\n  REPLICAS: { default: "2" }\napps:\n${apps.join('\n')}\n`,
  );
  // the same work as kloop, with kloop's parallelism (4 apps at a time): substitute in a copy,
  // helm template, kubectl kustomize, then the outputs concatenated in app order
  const pipeline = [
    'set -euo pipefail',
    'work=$(mktemp -d); trap \'rm -rf "$work"\' EXIT',
    'cp -r apps "$work"/ && cd "$work"',
    'export TITLE=Bench REPLICAS=2',
    'one() {',
    '  a=$1',
    "  perl -pi -e 's/\\$\\{(TITLE|REPLICAS)\\}/$ENV{$1}/g' apps/$a/values.yaml apps/$a/kustomize/kustomization.yaml",
    '  helm template $a apps/$a/chart --namespace bench --kube-version 1.32.0 --include-crds --values apps/$a/values.yaml > apps/$a/kustomize/$a.yaml',
    '  kubectl kustomize apps/$a/kustomize > out-$a.yaml',
    '}',
    'export -f one',
    `seq 0 ${N - 1} | xargs -P 4 -I{} bash -c 'one app{}'`,
    `for i in $(seq 0 ${N - 1}); do cat out-app$i.yaml; echo ---; done`,
  ].join('\n');
  write('pipeline.sh', `${pipeline}\n`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeProcess(file: string, args: string[]): number {
  const start = performance.now();
  execFileSync(file, args, { cwd: root, maxBuffer: 1 << 28, env: { ...process.env, HOME: root } });
  return performance.now() - start;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

try {
  generate();
  // the published bundle, built the way npm installs it
  const pkg = path.join(root, 'pkg');
  mkdirSync(pkg);
  for (const f of ['package.json', 'schema', 'node_modules']) symlinkSync(path.join(repo, f), path.join(pkg, f));
  execFileSync(process.execPath, [path.join(repo, 'scripts/build.ts'), '--outdir', path.join(pkg, 'dist')]);
  const bundle = path.join(pkg, 'dist/src/cli/bin.js');
  const cache = path.join(root, '.kloop');
  const globals = {
    config: path.join(root, 'kloop.yaml'),
    vars: {},
    output: 'text' as const,
    debug: false,
    color: false,
    cwd: root,
  };
  const project = await loadProject(globals);

  // outputs agree: kloop (cold, warm, bundle) and the pipeline render the same number of objects
  rmSync(cache, { recursive: true, force: true });
  const cold = await render(project, {});
  const warm = await render(project, {});
  if (!warm.apps.every((a) => a.cached)) throw new Error('warm render missed the cache');
  if (warm.apps.map((a) => a.yaml).join() !== cold.apps.map((a) => a.yaml).join()) throw new Error('warm != cold');
  const bundled = execFileSync(process.execPath, [bundle, 'render'], { cwd: root, maxBuffer: 1 << 28 }).toString();
  const piped = execFileSync('bash', ['pipeline.sh'], { cwd: root, maxBuffer: 1 << 28 }).toString();
  const count = (yaml: string) => (yaml.match(/^kind: /gm) ?? []).length;
  const objects = cold.apps.reduce((n, a) => n + a.objects.length, 0);
  if (count(bundled) !== objects || count(piped) !== objects)
    throw new Error(`object counts differ: kloop ${objects}, bundle ${count(bundled)}, pipeline ${count(piped)}`);

  const t: Record<string, number[]> = {
    pipeline: [],
    coldProcess: [],
    warmProcess: [],
    warmSources: [],
    coldInProcess: [],
    warmInProcess: [],
  };
  for (let r = 0; r < runs + 1; r++) {
    const keep = r > 0; // the first round is the warm-up of every side
    const add = (k: string, ms: number) => keep && t[k]!.push(ms);
    add('pipeline', timeProcess('bash', ['pipeline.sh']));
    rmSync(cache, { recursive: true, force: true });
    add('coldProcess', timeProcess(process.execPath, [bundle, 'render']));
    add('warmProcess', timeProcess(process.execPath, [bundle, 'render']));
    add('warmSources', timeProcess(process.execPath, [bin, 'render']));
    rmSync(cache, { recursive: true, force: true });
    add('coldInProcess', await timeAsync(() => render(project, {})));
    add('warmInProcess', await timeAsync(() => render(project, {})));
  }
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  const f = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
  const x = (ms: number) => `${(m.pipeline! / ms).toFixed(1)}x faster than the pipeline`;
  console.log(
    `render bench: ${N} apps (a helm chart wrapped by kustomize each), ${objects} objects; median of ${runs} after a warm-up round; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    '  pipeline: copy, perl substitution, helm template, kubectl kustomize per app, 4 apps at a time (xargs -P 4)',
  );
  console.log(
    '  kloop: the same per app, 4 at a time, plus image wiring, validation and one YAML stream; warm = cache hit',
  );
  console.log(`  shell pipeline                                         ${f(m.pipeline!)}`);
  console.log(`  kloop render, cold, new process (bundle, empty cache)  ${f(m.coldProcess!)}   ${x(m.coldProcess!)}`);
  console.log(`  kloop render, warm, new process (bundle)               ${f(m.warmProcess!)}   ${x(m.warmProcess!)}`);
  console.log(`  kloop render, warm, new process (sources, bin/kloop)   ${f(m.warmSources!)}   ${x(m.warmSources!)}`);
  console.log(
    `  kloop render, cold, in process                         ${f(m.coldInProcess!)}   ${x(m.coldInProcess!)}`,
  );
  console.log(
    `  kloop render, warm, in process                         ${f(m.warmInProcess!)}   ${x(m.warmInProcess!)}`,
  );
  console.log('summary:');
  console.log(
    `  render warm new process: ${(m.pipeline! / m.warmProcess!).toFixed(1)}x faster than the pipeline (target ≥ 10x)`,
  );
  console.log(`  render cold new process: ${(m.pipeline! / m.coldProcess!).toFixed(1)}x faster than the pipeline`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
