// bench/deploy: a no-op redeploy of 20 apps (50 objects, 5 Deployments with real pods) with
// `kloop deploy`, against kubectl applying the same rendered manifests (`apply --server-side` and
// client-side `apply -f`) in the same run, on a fresh sandbox. Run by hand:
//   node bench/deploy/run.ts [--runs 5]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);

function sh(file: string, args: string[], env: Record<string, string>, cwd?: string): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(file, args, { cwd, env: { ...process.env, CI: 'true', ...env }, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return { ms, stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const work = mkdtempSync(join(tmpdir(), 'kloop-bench-deploy-'));
const kubeconfig = join(work, 'kubeconfig');
const env = { KUBECONFIG: kubeconfig, HOME: work };
const kloop = (...args: string[]) =>
  sh(process.execPath, [join(root, 'src/cli/bin.ts'), ...args], env, join(work, 'project'));
const sandboxCli = join(root, 'sandbox/cli.ts');

function writeProject(): number {
  const dir = join(work, 'project');
  let objects = 0;
  const apps: string[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `app${String(i).padStart(2, '0')}`;
    const docs: string[] = [
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}-config }\ndata: { index: "${i}", greeting: "hello from ${name}" }\n`,
      `apiVersion: v1\nkind: Service\nmetadata: { name: ${name} }\nspec:\n  selector: { app: ${name} }\n  ports: [{ port: 80, targetPort: 8080 }]\n`,
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
    mkdirSync(join(dir, 'deploy', name), { recursive: true });
    writeFileSync(join(dir, 'deploy', name, 'all.yaml'), docs.join('---\n'));
    apps.push(`  ${name}:\n    manifests: [deploy/${name}/*.yaml]\n`);
  }
  writeFileSync(join(dir, 'kloop.yaml'), `version: v1\nname: bench\napps:\n${apps.join('')}`);
  return objects;
}

try {
  sh(process.execPath, [sandboxCli, 'up', '--kubeconfig', kubeconfig], {});
  const objects = writeProject();
  console.log(`sandbox up; project: 20 apps, ${objects} objects (5 Deployments with pods)`);

  const first = kloop('deploy', '--skip-build', '-n', 'bench');
  console.log(`kloop deploy (first, applies everything and waits): ${(first.ms / 1000).toFixed(2)} s`);

  // the same manifests for kubectl, in a namespace of their own so field managers do not meet
  const rendered = kloop('render', '-n', 'bench-kubectl').stdout;
  const manifests = join(work, 'rendered.yaml');
  writeFileSync(manifests, `apiVersion: v1\nkind: Namespace\nmetadata: { name: bench-kubectl }\n---\n${rendered}`);
  const manifestsCsa = join(work, 'rendered-csa.yaml');
  writeFileSync(
    manifestsCsa,
    rendered
      .replaceAll('bench-kubectl', 'bench-csa')
      .replace(/^/, 'apiVersion: v1\nkind: Namespace\nmetadata: { name: bench-csa }\n---\n'),
  );
  sh('kubectl', ['apply', '--server-side', '-f', manifests], env);
  sh('kubectl', ['apply', '-f', manifestsCsa], env);

  const noop: number[] = [];
  const ssa: number[] = [];
  const csa: number[] = [];
  for (let r = 0; r < runs; r++) {
    const k = kloop('deploy', '--skip-build', '-n', 'bench', '-o', 'json');
    const summary = JSON.parse(k.stdout) as { apps: Record<string, { status: string }> };
    const changed = Object.values(summary.apps).filter((a) => a.status !== 'unchanged').length;
    if (changed) throw new Error(`expected a no-op, ${changed} apps applied`);
    noop.push(k.ms);
    ssa.push(sh('kubectl', ['apply', '--server-side', '-f', manifests], env).ms);
    csa.push(sh('kubectl', ['apply', '-f', manifestsCsa], env).ms);
  }
  const m = { kloop: median(noop), ssa: median(ssa), csa: median(csa) };
  console.log(`median of ${runs} runs, same sandbox, same ${objects} objects:`);
  console.log(`  kloop deploy (no-op, incl. render + readiness check): ${(m.kloop / 1000).toFixed(2)} s`);
  console.log(
    `  kubectl apply --server-side -f:                      ${(m.ssa / 1000).toFixed(2)} s  (kloop/kubectl = ${(m.kloop / m.ssa).toFixed(2)})`,
  );
  console.log(
    `  kubectl apply -f (client-side):                      ${(m.csa / 1000).toFixed(2)} s  (kloop/kubectl = ${(m.kloop / m.csa).toFixed(2)})`,
  );
} finally {
  spawnSync(process.execPath, [sandboxCli, 'down', '--kubeconfig', kubeconfig], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
