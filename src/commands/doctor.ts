// kloop doctor: finds the tools kloop runs, prints their versions and what is missing with the
// fix, and checks the cluster connection with a plain HTTPS GET /version. Exit 1 when something
// required is missing or the cluster cannot be reached.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GlobalOptions } from '../cli/options.ts';
import { clusterGet } from '../config/cluster-probe.ts';
import { readKubeconfig } from '../config/kubeconfig.ts';
import { loadProject } from '../config/load.ts';
import type { Project } from '../config/project.ts';
import { resolveCluster } from '../config/resolve.ts';
import { readState } from '../config/state.ts';
import { which } from '../config/tools.ts';
import { isKloopError } from '../errors.ts';
import { colors, log } from '../log/logger.ts';

const run = promisify(execFile);

export interface Check {
  name: string;
  ok: boolean;
  /** a failure of a required check makes doctor exit 1; others are warnings */
  required: boolean;
  path?: string;
  version?: string;
  detail?: string;
  fix?: string;
}

async function output(file: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await run(file, args, { timeout: 15_000, maxBuffer: 1 << 20 });
  return (stdout || stderr).trim();
}

const firstLine = (s: string) => s.split('\n')[0]?.trim() ?? '';

interface ToolSpec {
  name: string;
  configured?: string;
  versionArgs: string[];
  parse?: (out: string) => string;
  fix: string;
}

async function checkTool(spec: ToolSpec, required: boolean): Promise<Check> {
  const path = spec.configured?.includes('/') ? which(spec.configured) : which(spec.configured ?? spec.name);
  if (!path) {
    const where = spec.configured ? `${spec.configured} (tools.${spec.name} in kloop.yaml)` : 'on PATH';
    return { name: spec.name, ok: false, required, detail: `not found ${where}`, fix: spec.fix };
  }
  try {
    const out = await output(path, spec.versionArgs);
    return { name: spec.name, ok: true, required, path, version: (spec.parse ?? firstLine)(out) };
  } catch (error) {
    const err = error as { stderr?: string; message: string };
    return {
      name: spec.name,
      ok: false,
      required,
      path,
      detail: `\`${spec.name} ${spec.versionArgs.join(' ')}\` failed: ${firstLine(err.stderr || err.message)}`,
      fix: spec.fix,
    };
  }
}

const FIX = {
  helm: 'install Helm 3 (https://helm.sh/docs/intro/install/) or set tools.helm in kloop.yaml',
  kubectl: 'install kubectl (https://kubernetes.io/docs/tasks/tools/) or set tools.kubectl in kloop.yaml',
  kustomize: 'optional: kloop uses `kubectl kustomize` when kustomize is not installed',
  docker: 'install Docker Engine (https://docs.docker.com/engine/install/) and start it, or use buildah/podman',
  buildah: 'optional: an alternative builder (images: <name>: builder: buildah)',
  podman: 'optional: an alternative builder (images: <name>: builder: podman)',
  git: 'install git (https://git-scm.com/downloads) or set tools.git in kloop.yaml',
};

function parseKubectl(out: string): string {
  try {
    return (JSON.parse(out) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? firstLine(out);
  } catch {
    return firstLine(out);
  }
}

export async function runChecks(project: Project | undefined, globals: GlobalOptions): Promise<Check[]> {
  const tools = project ? Object.values(project.apps) : [];
  const usesHelm = !project || tools.some((a) => a.helm);
  const builders = new Set(project ? Object.values(project.images).map((i) => i.builder) : ['docker']);
  const usesGitops = !project || Object.values(project.environments).some((e) => e.gitops);
  const configured = (name: 'helm' | 'kubectl' | 'docker' | 'git') =>
    project && project.tools[name] !== name ? project.tools[name] : undefined;

  const checks = await Promise.all([
    checkTool(
      { name: 'helm', configured: configured('helm'), versionArgs: ['version', '--short'], fix: FIX.helm },
      usesHelm,
    ),
    checkTool(
      {
        name: 'kubectl',
        configured: configured('kubectl'),
        versionArgs: ['version', '--client', '-o', 'json'],
        parse: parseKubectl,
        fix: FIX.kubectl,
      },
      true,
    ),
    checkTool(
      { name: 'kustomize', configured: project?.tools.kustomize, versionArgs: ['version'], fix: FIX.kustomize },
      false,
    ),
    checkTool(
      {
        name: 'docker',
        configured: configured('docker'),
        versionArgs: ['version', '--format', 'client {{.Client.Version}}, engine {{.Server.Version}}'],
        fix: FIX.docker,
      },
      builders.has('docker'),
    ),
    checkTool({ name: 'buildah', versionArgs: ['--version'], fix: FIX.buildah }, builders.has('buildah')),
    checkTool({ name: 'podman', versionArgs: ['--version'], fix: FIX.podman }, builders.has('podman')),
    checkTool({ name: 'git', configured: configured('git'), versionArgs: ['--version'], fix: FIX.git }, usesGitops),
    checkCluster(project, globals),
  ]);
  return checks;
}

async function checkCluster(project: Project | undefined, globals: GlobalOptions): Promise<Check> {
  const name = 'cluster';
  try {
    const kubeconfig = readKubeconfig();
    const cluster =
      project?.cluster ??
      resolveCluster(undefined, { globals, kubeconfig, state: project ? readState(project.stateDir) : {} });
    const res = await clusterGet(kubeconfig, cluster.context, '/version');
    const where = `context ${cluster.context}, ${res.server}`;
    if (res.status === 401 || res.status === 403)
      return {
        name,
        ok: false,
        required: true,
        detail: `${where}: HTTP ${res.status}, the credentials were refused`,
        fix: 'log in again or refresh the token in your kubeconfig',
      };
    if (res.status !== 200)
      return {
        name,
        ok: false,
        required: true,
        detail: `${where}: GET /version answered HTTP ${res.status}`,
        fix: 'check that the server is a Kubernetes API server',
      };
    let version = '';
    try {
      version = (JSON.parse(res.body) as { gitVersion?: string }).gitVersion ?? '';
    } catch {
      version = '';
    }
    return { name, ok: true, required: true, version: `Kubernetes ${version || 'unknown version'}`, detail: where };
  } catch (error) {
    if (!isKloopError(error)) throw error;
    return { name, ok: false, required: true, detail: error.message, ...(error.hint ? { fix: error.hint } : {}) };
  }
}

export async function runDoctor(globals: GlobalOptions): Promise<number> {
  let project: Project | undefined;
  const extra: Check[] = [];
  try {
    project = await loadProject(globals);
    extra.push({ name: 'kloop.yaml', ok: true, required: true, detail: project.configFile });
  } catch (error) {
    if (!isKloopError(error)) throw error;
    const noConfig = error.message.startsWith('no kloop.yaml found');
    extra.push({
      name: 'kloop.yaml',
      ok: noConfig,
      required: !noConfig,
      detail: noConfig
        ? 'none here: checking every tool kloop can use'
        : [error.message, ...error.details].join('\n    '),
      fix: noConfig ? 'run `kloop init` to write one' : 'fix the problems above; `kloop print` shows them too',
    });
  }
  const checks = [...extra, ...(await runChecks(project, globals))];
  // one builder is enough when the project does not name one
  const builders = checks.filter((c) => ['docker', 'buildah', 'podman'].includes(c.name));
  if (!project && builders.some((c) => c.ok)) for (const c of builders) c.required = false;
  const failed = checks.filter((c) => !c.ok && c.required);
  if (globals.output === 'json') {
    process.stdout.write(`${JSON.stringify({ ok: failed.length === 0, checks }, null, 2)}\n`);
  } else {
    for (const c of checks) {
      const mark = c.ok ? colors.green('✓') : c.required ? colors.red('✗') : colors.yellow('-');
      const version = c.version ? ` ${c.version}` : '';
      const where = c.ok && c.path ? colors.dim(` (${c.path})`) : '';
      log.info(
        `${mark} ${c.name}${version}${where}${c.detail ? `${c.ok ? colors.dim(` — ${c.detail}`) : `: ${c.detail}`}` : ''}`,
      );
      if (!c.ok && c.fix) log.info(`    ${colors.dim('fix:')} ${c.fix}`);
    }
    log.info(failed.length ? `${failed.length} required check(s) failed` : 'everything kloop needs is here');
  }
  return failed.length ? 1 : 0;
}

export { runDoctor as run };
