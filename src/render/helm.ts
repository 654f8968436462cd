// Helm: the real `helm template`. Chart templates are never substituted; values files are (as
// copies in the work copy). Local dependencies missing from charts/ are built into the work copy.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedApp } from '../config/project.ts';
import { KloopError } from '../errors.ts';
import { probed, seen } from './fingerprint.ts';
import { runTool, ToolFailure, toolMessage } from './tools.ts';
import { listFiles, type WorkCopy } from './workcopy.ts';
import { parseKube } from './yaml.ts';

type HelmSpec = NonNullable<ResolvedApp['helm']>;

interface Dependency {
  name: string;
  repository?: string;
}

async function exists(file: string): Promise<boolean> {
  probed(file);
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function readChart(chart: string): Promise<{ dependencies: Dependency[] }> {
  const file = path.join(chart, 'Chart.yaml');
  let text: string;
  seen(file);
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new KloopError(`no Chart.yaml in ${chart}`, {
      hint: 'apps.<app>.helm.chart must be a local chart directory',
    });
  }
  try {
    const doc = (parseKube(text) as { dependencies?: Dependency[] }) ?? {};
    return { dependencies: Array.isArray(doc.dependencies) ? doc.dependencies : [] };
  } catch (e) {
    throw new KloopError(`invalid Chart.yaml: ${(e as Error).message.split('\n')[0]}`, { location: { file } });
  }
}

/** Local (file://) dependency chart directories, recursively: their files are inputs too. */
export async function chartDirectories(chart: string, seen = new Set<string>()): Promise<string[]> {
  if (seen.has(chart)) return [];
  seen.add(chart);
  const dirs = [chart];
  for (const dep of (await readChart(chart)).dependencies) {
    if (dep.repository?.startsWith('file://')) {
      const dir = path.resolve(chart, dep.repository.slice('file://'.length));
      if (await exists(dir)) dirs.push(...(await chartDirectories(dir, seen)));
    }
  }
  return dirs;
}

/** Whether charts/ lacks a declared dependency (as a directory or a packaged .tgz). */
export async function needsDependencyBuild(chart: string): Promise<boolean> {
  const { dependencies } = await readChart(chart);
  if (dependencies.length === 0) return false;
  let present: string[] = [];
  try {
    present = await readdir(path.join(chart, 'charts'));
  } catch {
    return true;
  }
  return dependencies.some(
    (d) => !present.some((p) => p === d.name || (p.startsWith(`${d.name}-`) && p.endsWith('.tgz'))),
  );
}

/** The chart's files (and its local dependencies'), for the cache key. */
export async function chartFiles(chart: string): Promise<string[]> {
  const files: string[] = [];
  for (const dir of await chartDirectories(chart)) files.push(...(await listFiles(dir)));
  return files;
}

// --set splits on commas; a literal comma in a value must be escaped.
function setArg(key: string, value: string | number | boolean): string {
  return `${key}=${String(value).replace(/\\/g, '\\\\').replace(/,/g, '\\,')}`;
}

export function helmTemplateArgs(
  spec: HelmSpec,
  chartDir: string,
  valuesFiles: readonly string[],
  options: { namespace: string; kubeVersion: string; apiVersions?: readonly string[] },
): string[] {
  const args = ['template', spec.releaseName, chartDir, '--namespace', options.namespace];
  args.push('--kube-version', options.kubeVersion);
  for (const v of options.apiVersions ?? []) args.push('--api-versions', v);
  if (spec.includeCRDs) args.push('--include-crds');
  // test hooks are Pods with random names that belong to `helm test`, not to a GitOps repository
  if (!spec.includeTests) args.push('--skip-tests');
  for (const f of valuesFiles) args.push('--values', f);
  for (const [k, v] of Object.entries(spec.set)) args.push('--set', setArg(k, v));
  for (const [k, v] of Object.entries(spec.setString)) args.push('--set-string', setArg(k, v));
  return args;
}

/**
 * Runs helm template for an app whose values files are already in the work copy.
 * `toSource` maps work-copy paths in helm's messages back to source paths.
 */
export async function helmTemplate(
  helm: string,
  app: ResolvedApp,
  work: WorkCopy,
  options: {
    namespace: string;
    kubeVersion: string;
    apiVersions?: readonly string[];
    toSource: (s: string) => string;
    chartLabel: string;
  },
): Promise<string> {
  const spec = app.helm!;
  let chartDir = spec.chart;
  try {
    if (await needsDependencyBuild(spec.chart)) {
      // helm writes charts/ and Chart.lock: only ever into the work copy
      for (const dir of await chartDirectories(spec.chart)) await work.copyDir(dir);
      chartDir = work.at(spec.chart);
      await runTool(helm, ['dependency', 'build', chartDir, '--skip-refresh'], { tool: 'helm' });
    }
    const values = spec.values.map((v) => work.at(v));
    const { stdout } = await runTool(helm, helmTemplateArgs(spec, chartDir, values, options), { tool: 'helm' });
    return stdout;
  } catch (e) {
    if (!(e instanceof ToolFailure)) throw e;
    throw new KloopError(`helm failed for app ${app.name}: ${options.toSource(toolMessage(e.stderr))}`, {
      location: { file: options.chartLabel },
      hint: 'run with --debug to see the helm command; fix the chart or its values and render again',
    });
  }
}
