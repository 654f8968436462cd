// bench/deploy: kloop deploy against kubectl doing the same work on the same sandbox, in the same
// run. A project of 20 apps, 50 objects (5 Deployments with real pods). kloop runs as the published
// bundle (built here the way npm installs it); kubectl gets the objects `kloop render` writes, in a
// namespace of its own so the field managers never meet.
//   - first deploy: `kloop deploy` (applies, waits for readiness) vs `kubectl apply --server-side`
//     + `kubectl rollout status` of the 5 Deployments, each into a fresh namespace;
//   - no-op, clean: `kloop deploy` with unchanged inputs vs `kubectl apply --server-side
//     --force-conflicts` of the same objects;
//   - no-op after drift: before each run a script scales 2 Deployments and overwrites an annotation
//     of a Service, on both sides; both must restore them (checked after every run).
// A warm-up run per figure, then the median of --runs, kloop and kubectl interleaved. Run by hand:
//   node bench/deploy/run.ts [--runs 5]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);

const work = mkdtempSync(join(tmpdir(), 'kloop-bench-deploy-'));
const kubeconfig = join(work, 'kubeconfig');
const env = { ...process.env, CI: 'true', NO_COLOR: '1', KUBECONFIG: kubeconfig, HOME: work };
const projectDir = join(work, 'project');

function sh(file: string, args: string[], cwd?: string): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(file, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return { ms, stdout: r.stdout };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kubectl = (...args: string[]) => sh('kubectl', args);
let bundle = '';
const kloop = (...args: string[]) => sh(process.execPath, [bundle, ...args], projectDir);

const DEPLOYMENTS = ['app00', 'app01', 'app02', 'app03', 'app04'];

function writeProject(): number {
  let objects = 0;
  const apps: string[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `app${String(i).padStart(2, '0')}`;
    const docs: string[] = [
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}-config }\ndata: { index: "${i}", greeting: "hello from ${name}" }\n`,
      `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, annotations: { bench/owner: config } }\nspec:\n  selector: { app: ${name} }\n  ports: [{ port: 80, targetPort: 8080 }]\n`,
    ];
    if (i < 5)
      docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - { name: main, image: "busybox:1.36", imagePullPolicy: Never, command: ["sh", "-c", "sleep 3600"] }
`);
    if (i >= 15)
      docs.push(`apiVersion: v1\nkind: Secret\nmetadata: { name: ${name}-secret }\nstringData: { token: "t${i}" }\n`);
    objects += docs.length;
    mkdirSync(join(projectDir, 'deploy', name), { recursive: true });
    writeFileSync(join(projectDir, 'deploy', name, 'all.yaml'), docs.join('---\n'));
    apps.push(`  ${name}:\n    manifests: [deploy/${name}/*.yaml]\n`);
  }
  writeFileSync(join(projectDir, 'kloop.yaml'), `version: v1\nname: bench\napps:\n${apps.join('')}`);
  return objects;
}

/** the objects kloop renders, for kubectl, in namespace `ns` (created first) */
function manifestsFor(ns: string): string {
  const file = join(work, `${ns}.yaml`);
  const rendered = kloop('render', '-n', ns).stdout;
  writeFileSync(file, `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n---\n${rendered}`);
  return file;
}

/** the scripted drift: 2 Deployments scaled, 1 annotation kloop's config sets overwritten */
function drift(ns: string): void {
  kubectl('scale', 'deployment/app00', 'deployment/app01', '--replicas=2', '-n', ns);
  kubectl('annotate', '--overwrite', 'service/app02', 'bench/owner=someone-else', '-n', ns);
}

function assertRepaired(ns: string, who: string): void {
  const replicas = kubectl(
    'get',
    'deployment/app00',
    'deployment/app01',
    '-n',
    ns,
    '-o',
    'jsonpath={.items[*].spec.replicas}',
  );
  const owner = kubectl('get', 'service/app02', '-n', ns, '-o', 'jsonpath={.metadata.annotations.bench/owner}');
  if (replicas.stdout.trim() !== '1 1' || owner.stdout.trim() !== 'config')
    throw new Error(`${who} left the drift in ${ns}: replicas ${replicas.stdout}, annotation ${owner.stdout}`);
}

try {
  // the published bundle, as npm installs it
  const pkg = join(work, 'pkg');
  mkdirSync(pkg);
  for (const f of ['package.json', 'schema', 'node_modules']) symlinkSync(join(root, f), join(pkg, f));
  sh(process.execPath, [join(root, 'scripts/build.ts'), '--outdir', join(pkg, 'dist')]);
  bundle = join(pkg, 'dist/src/cli/bin.js');

  sh(process.execPath, [join(root, 'sandbox/cli.ts'), 'up', '--kubeconfig', kubeconfig]);
  const objects = writeProject();
  console.log(
    `deploy bench: sandbox up; 20 apps, ${objects} objects (5 Deployments with pods); warm-up + median of ${runs}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  // first deploy, each run into fresh namespaces (removed after the run)
  const first = { kloop: [] as number[], kubectl: [] as number[] };
  for (let r = 0; r <= runs; r++) {
    const kns = `first-kloop-${r}`;
    const cns = `first-kubectl-${r}`;
    const k = kloop('deploy', '--skip-build', '-n', kns).ms;
    const file = manifestsFor(cns);
    const t0 = performance.now();
    kubectl('apply', '--server-side', '-f', file);
    for (const d of DEPLOYMENTS) kubectl('rollout', 'status', `deployment/${d}`, '-n', cns, '--timeout=120s');
    const c = performance.now() - t0;
    if (r > 0) {
      first.kloop.push(k);
      first.kubectl.push(c);
    }
    kloop('purge', '-n', kns);
    kubectl('delete', 'namespace', cns, '--wait=false');
  }

  // no-op, clean and after drift: kloop's namespace and kubectl's, both deployed once
  const kns = 'bench-kloop';
  const cns = 'bench-kubectl';
  kloop('deploy', '--skip-build', '-n', kns);
  const file = manifestsFor(cns);
  kubectl('apply', '--server-side', '-f', file);
  for (const d of DEPLOYMENTS) kubectl('rollout', 'status', `deployment/${d}`, '-n', cns, '--timeout=120s');
  const ssa = ['apply', '--server-side', '--force-conflicts', '-f', file];

  const clean = { kloop: [] as number[], kubectl: [] as number[] };
  const drifted = { kloop: [] as number[], kubectl: [] as number[] };
  for (let r = 0; r <= runs; r++) {
    const k = kloop('deploy', '--skip-build', '-n', kns, '-o', 'json');
    const summary = JSON.parse(k.stdout) as { apps: Record<string, { status: string }> };
    const changed = Object.values(summary.apps).filter((a) => a.status !== 'unchanged').length;
    if (changed) throw new Error(`expected a no-op, ${changed} apps applied`);
    const c = kubectl(...ssa);
    if (r > 0) {
      clean.kloop.push(k.ms);
      clean.kubectl.push(c.ms);
    }

    drift(kns);
    drift(cns);
    const kd = kloop('deploy', '--skip-build', '-n', kns, '-o', 'json');
    const apps = (JSON.parse(kd.stdout) as { apps: Record<string, { drifted: string[] }> }).apps;
    const repaired = Object.values(apps).reduce((n, a) => n + a.drifted.length, 0);
    if (repaired !== 3) throw new Error(`kloop re-applied ${repaired} drifted objects, expected 3`);
    const cd = kubectl(...ssa);
    assertRepaired(kns, 'kloop');
    assertRepaired(cns, 'kubectl');
    if (r > 0) {
      drifted.kloop.push(kd.ms);
      drifted.kubectl.push(cd.ms);
    }
  }

  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const line = (label: string, what: { kloop: number[]; kubectl: number[] }, kubectlDid: string) => {
    const k = median(what.kloop);
    const c = median(what.kubectl);
    console.log(`  ${label}`);
    console.log(`    kloop deploy                ${s(k)}`);
    console.log(`    ${kubectlDid.padEnd(27)} ${s(c)}`);
    return `${label}: kloop ${s(k)}, kubectl ${s(c)}, kloop/kubectl = ${(k / c).toFixed(2)}`;
  };
  console.log('what both sides did:');
  console.log('  kloop: render 20 apps, read the inventory, one LIST per kind, re-apply what drifted, check readiness');
  console.log(
    '  kubectl: apply the same rendered objects with server-side apply (taking fields back: --force-conflicts)',
  );
  const summary = [
    line('first deploy (apply + wait for rollouts)', first, 'kubectl apply + rollout'),
    line('no-op, clean', clean, 'kubectl apply --server-side'),
    line('no-op after drift (2 scaled, 1 annotated; both repair)', drifted, 'kubectl apply --server-side'),
  ];
  console.log('summary:');
  for (const l of summary) console.log(`  ${l}`);
} finally {
  spawnSync(process.execPath, [join(root, 'sandbox/cli.ts'), 'down', '--kubeconfig', kubeconfig], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
