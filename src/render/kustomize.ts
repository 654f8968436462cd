// Kustomize: finds every file a kustomization reads (so it can be substituted into the work copy
// and hashed for the cache), wraps helm output into it, and runs `kustomize build` or
// `kubectl kustomize`.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isSeq } from 'yaml';
import { KloopError } from '../errors.ts';
import { probed } from './fingerprint.ts';
import { runTool, ToolFailure, toolMessage } from './tools.ts';
import { listFiles } from './workcopy.ts';
import { parseKube, parseVerbatim } from './yaml.ts';

export const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface KustomizeInputs {
  /** absolute path -> content as render sees it (substituted) */
  files: Map<string, Buffer>;
  /** the kustomization file of the top directory */
  kustomization: string;
  /** resource files listed by the top kustomization that do not exist in the source directory */
  missingResources: string[];
  /** some kustomization inflates charts (helmCharts:): kustomize runs with --enable-helm */
  helmCharts?: boolean;
  /** references kloop cannot hash (remote bases): such an app is never served from the cache */
  remote: string[];
}

/** `data`: a generator's source file (taken in as the ConfigMap/Secret content) */
type Read = (file: string, role: 'config' | 'data' | 'chart') => Promise<Buffer>;

async function kind(file: string): Promise<'file' | 'dir' | undefined> {
  probed(file);
  try {
    const st = await stat(file);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function isRemote(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || ref.startsWith('git@') || /^github\.com\//.test(ref);
}

async function findKustomization(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_NAMES) {
    const file = path.join(dir, name);
    if ((await kind(file)) === 'file') return file;
  }
  return undefined;
}

/** Paths a kustomization refers to, by field: the ones that may name directories, and plain files. */
type KustomizationDoc = Record<string, unknown> & { openapi?: { path?: unknown } };
type Generator = { files?: unknown; envs?: unknown; env?: unknown };

function references(doc: KustomizationDoc): { maybeDirs: string[]; files: string[]; data: string[] } {
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && !s.includes('\n')) : [];
  const paths = (v: unknown): string[] =>
    Array.isArray(v)
      ? v.map((p) => (p as { path?: unknown } | null)?.path).filter((s): s is string => typeof s === 'string')
      : [];
  const list = (v: unknown): Generator[] => (Array.isArray(v) ? (v as Generator[]) : []);
  const maybeDirs = [
    ...strings(doc.resources),
    ...strings(doc.bases),
    ...strings(doc.components),
    ...strings(doc.generators),
    ...strings(doc.transformers),
    ...strings(doc.validators),
  ];
  const files = [
    ...strings(doc.crds),
    ...strings(doc.configurations),
    ...strings(doc.patchesStrategicMerge),
    ...paths(doc.patches),
    ...paths(doc.patchesJson6902),
    ...paths(doc.replacements),
  ];
  if (typeof doc.openapi?.path === 'string') files.push(doc.openapi.path);
  const data: string[] = [];
  for (const gen of [...list(doc.configMapGenerator), ...list(doc.secretGenerator)]) {
    for (const f of strings(gen?.files)) data.push(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
    data.push(...strings(gen?.envs));
    if (typeof gen?.env === 'string') data.push(gen.env);
  }
  return { maybeDirs, files, data };
}

/** Walks a kustomization and everything it references on disk. */
export async function kustomizeInputs(dir: string, read: Read): Promise<KustomizeInputs> {
  const top = await findKustomization(dir);
  if (!top) {
    throw new KloopError(`no kustomization.yaml in ${dir}`, {
      hint: 'point apps.<app>.kustomize at a directory that holds a kustomization.yaml',
    });
  }
  const result: KustomizeInputs = { files: new Map(), kustomization: top, missingResources: [], remote: [] };
  const seen = new Set<string>();
  const visit = async (d: string, isTop: boolean): Promise<void> => {
    if (seen.has(d)) return;
    seen.add(d);
    const file = await findKustomization(d);
    if (!file) return; // kustomize reports it with its own words
    const data = await read(file, 'config');
    result.files.set(file, data);
    let doc: KustomizationDoc;
    try {
      doc = (parseKube(data.toString('utf8')) as KustomizationDoc) ?? {};
    } catch (e) {
      throw new KloopError(`invalid kustomization: ${(e as Error).message.split('\n')[0]}`, { location: { file } });
    }
    const { maybeDirs, files, data: sources } = references(doc);
    for (const ref of maybeDirs) {
      if (isRemote(ref)) {
        result.remote.push(ref);
        continue;
      }
      const target = path.resolve(d, ref);
      const k = await kind(target);
      if (k === 'dir') await visit(target, false);
      else if (k === 'file') result.files.set(target, await read(target, 'config'));
      else if (isTop && Array.isArray(doc.resources) && doc.resources.includes(ref))
        result.missingResources.push(target);
    }
    // helmCharts: (inflated by kustomize --enable-helm) read local charts from chartHome; their
    // templates are Go templates, taken in verbatim like any chart's
    if (Array.isArray(doc.helmCharts) && doc.helmCharts.length > 0) {
      result.helmCharts = true;
      const globals = doc.helmGlobals as { chartHome?: unknown } | undefined;
      const home = path.resolve(d, typeof globals?.chartHome === 'string' ? globals.chartHome : 'charts');
      if ((await kind(home)) === 'dir')
        for (const f of await listFiles(home)) result.files.set(f, await read(f, 'chart'));
      for (const c of doc.helmCharts as Array<{ valuesFile?: unknown; repo?: unknown }>) {
        if (typeof c?.valuesFile === 'string') files.push(c.valuesFile);
        // a chart pulled from a repository is not on disk to hash: never served from the cache
        if (typeof c?.repo === 'string' && c.repo) result.remote.push(c.repo);
      }
    }
    for (const [refs, role] of [
      [files, 'config'],
      [sources, 'data'],
    ] as const) {
      for (const ref of refs) {
        const target = path.resolve(d, ref);
        if ((await kind(target)) === 'file') result.files.set(target, await read(target, role));
      }
    }
  };
  await visit(dir, true);
  return result;
}

/**
 * Places helm output into the (work copy of the) kustomization: under the name of a listed resource
 * file missing from the source directory, else as a new file added to its resources.
 * Returns the work-copy file to write the helm output to, and the kustomization text to write.
 */
export function wrapHelmOutput(
  inputs: KustomizeInputs,
  app: string,
): { outputFile: string; kustomizationText?: string } {
  const missing = inputs.missingResources[0];
  if (missing) return { outputFile: missing };
  const dir = path.dirname(inputs.kustomization);
  const name = `kloop-helm-${app}.yaml`;
  // edited, not rewritten: every other value of the user's kustomization keeps its exact text
  const doc = parseVerbatim(inputs.files.get(inputs.kustomization)!.toString('utf8'));
  const resources = doc.get('resources');
  if (isSeq(resources)) resources.add(doc.createNode(name));
  else doc.set('resources', doc.createNode([name]));
  return { outputFile: path.join(dir, name), kustomizationText: doc.toString({ lineWidth: 0 }) };
}

export interface KustomizeTool {
  file: string;
  args: string[];
  tool: 'kustomize' | 'kubectl';
}

export function kustomizeTool(tools: { kubectl: string; kustomize?: string }): KustomizeTool {
  return tools.kustomize
    ? { file: tools.kustomize, args: ['build'], tool: 'kustomize' }
    : { file: tools.kubectl, args: ['kustomize'], tool: 'kubectl' };
}

/** Runs the build in the work copy; a failure names the source kustomization and kustomize's reason. */
export async function kustomizeBuild(
  tool: KustomizeTool,
  workDir: string,
  source: { kustomization: string; app: string; toSource: (s: string) => string; helm?: string },
): Promise<string> {
  try {
    // helmCharts: need --enable-helm; the helm kloop uses is the one kustomize runs
    const helm = source.helm ? ['--enable-helm', '--helm-command', source.helm] : [];
    const { stdout } = await runTool(tool.file, [...tool.args, ...helm, workDir], { tool: tool.tool });
    return stdout;
  } catch (e) {
    if (!(e instanceof ToolFailure)) throw e;
    throw new KloopError(`kustomize failed for app ${source.app}: ${source.toSource(toolMessage(e.stderr))}`, {
      location: { file: source.kustomization },
      hint: 'run with --debug to see the command; fix the kustomization and render again',
    });
  }
}
