// Render benchmark (run by hand: node bench/render/run.ts [apps]): N apps, each a Helm chart wrapped
// by a Kustomize overlay, rendered by the shell pipeline a CI script runs (substitute a copy, helm
// template, kubectl kustomize), by kloop cold (empty cache) and warm (unchanged inputs), in process
// and as a `kloop render` process. Prints the figures and the warm/pipeline ratio.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadProject } from '../../src/config/load.ts';
import { render } from '../../src/render/index.ts';

const N = Number(process.argv[2] ?? 20);
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
  const pipeline = [
    'set -euo pipefail',
    'work=$(mktemp -d); trap \'rm -rf "$work"\' EXIT',
    'cp -r apps "$work"/ && cd "$work"',
    'export TITLE=Bench REPLICAS=2',
    `for i in $(seq 0 ${N - 1}); do`,
    '  a=app$i',
    "  perl -pi -e 's/\\$\\{(TITLE|REPLICAS)\\}/$ENV{$1}/g' apps/$a/values.yaml apps/$a/kustomize/kustomization.yaml",
    '  helm template $a apps/$a/chart --namespace bench --kube-version 1.32.0 --include-crds --values apps/$a/values.yaml > apps/$a/kustomize/$a.yaml',
    '  kubectl kustomize apps/$a/kustomize',
    '  echo ---',
    'done',
  ].join('\n');
  write('pipeline.sh', `${pipeline}\n`);
}

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const value = fn();
  return [value, performance.now() - start];
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

try {
  generate();
  const [, pipelineMs] = time(() => execFileSync('bash', ['pipeline.sh'], { cwd: root, maxBuffer: 1 << 28 }));
  const globals = {
    config: path.join(root, 'kloop.yaml'),
    vars: {},
    output: 'text' as const,
    debug: false,
    color: false,
    cwd: root,
  };
  const project = await loadProject(globals);
  const [cold, coldMs] = await timeAsync(() => render(project, {}));
  const [warm, warmMs] = await timeAsync(() => render(project, {}));
  if (!warm.apps.every((a) => a.cached)) throw new Error('warm render missed the cache');
  if (warm.apps.map((a) => a.yaml).join() !== cold.apps.map((a) => a.yaml).join()) throw new Error('warm != cold');
  const [, cliWarmMs] = time(() => execFileSync(process.execPath, [bin, 'render'], { cwd: root, maxBuffer: 1 << 28 }));
  const objects = cold.apps.reduce((n, a) => n + a.objects.length, 0);
  const f = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
  console.log(`render bench: ${N} apps (helm chart wrapped by kustomize each), ${objects} objects`);
  console.log(`  shell pipeline (substitute, helm template, kubectl kustomize)  ${f(pipelineMs)}`);
  console.log(`  kloop render, cold (in process, empty cache)                    ${f(coldMs)}`);
  console.log(
    `  kloop render, warm (in process, unchanged inputs)               ${f(warmMs)}   ${(pipelineMs / warmMs).toFixed(1)}x faster than the pipeline`,
  );
  console.log(
    `  kloop render, warm (a new \`kloop render\` process, Node start incl.) ${f(cliWarmMs)}   ${(pipelineMs / cliWarmMs).toFixed(1)}x`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
