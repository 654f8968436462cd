// Rendering one app up to the raw objects its tools produce: helm, kustomize (wrapping helm output
// when both are set) and plain manifests. Inputs are read (and substituted) first, so their hash is
// the cache key; only a cache miss writes the work copy and spawns helm or kustomize. Before that,
// the stat fingerprint of the last plan (fingerprint.ts) may say no input changed: then the cached
// objects are taken by the key that plan computed, and nothing is globbed, read or hashed.
import { createHash } from 'node:crypto';
import { glob, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Project, ResolvedApp } from '../config/project.ts';
import { buildId } from '../build-id.ts';
import { KloopError } from '../errors.ts';
import { version } from '../version.ts';
import { readCache, writeCache } from './cache.ts';
import { recordInputs, saveFingerprint, seen, seenGlob, unchangedInputs } from './fingerprint.ts';
import { chartFiles, helmTemplate } from './helm.ts';
import {
  type KustomizeInputs,
  type KustomizeTool,
  kustomizeBuild,
  kustomizeInputs,
  wrapHelmOutput,
} from './kustomize.ts';
import { originOf, parseObjects, setOrigin } from './objects.ts';
import { toolIdentity, which } from './tools.ts';
import type { KubeObject } from './types.ts';
import { createWorkCopy, type InputContext, InputHash, readInput, substitutes } from './workcopy.ts';

export interface RawApp {
  objects: KubeObject[];
  /** undefined ${VAR}s that look like typos of declared variables */
  warnings: string[];
  cached: boolean;
  inputs: string[];
}

interface Plan {
  key: string;
  /** every file read, absolute */
  inputs: string[];
  cacheable: boolean;
  values: Map<string, Buffer>;
  kustomize?: KustomizeInputs;
  manifests: Array<{ file: string; text: string }>;
  warnings: string[];
}

function relative(project: Project, file: string): string {
  const rel = path.relative(project.root, file);
  return rel.startsWith('..') ? file : rel;
}

export async function manifestFiles(project: Project, app: ResolvedApp): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of app.manifests) {
    const matches: string[] = [];
    await seenGlob(project.root, pattern);
    for await (const m of glob(pattern, { cwd: project.root })) matches.push(path.resolve(project.root, m));
    if (matches.length === 0) {
      throw new KloopError(`apps.${app.name}.manifests: "${pattern}" matches no files`, {
        location: { file: project.configFile },
        hint: `globs are relative to ${project.root}`,
      });
    }
    for (const m of matches.sort()) files.add(m);
  }
  return [...files];
}

async function plan(project: Project, app: ResolvedApp, kustomize: KustomizeTool): Promise<Plan> {
  const warnings: string[] = [];
  const ctx: InputContext = {
    root: project.root,
    vars: project.vars,
    strictVars: project.strictVars === true,
    warn: (m) => warnings.push(m),
  };
  const read = (file: string, role: 'config' | 'data' | 'chart') =>
    readInput(file, ctx, substitutes(file, role) ? {} : { substitute: false });
  const hash = new InputHash();
  hash.add('kloop', version());
  hash.add('kubeVersion', project.kubeVersion);
  hash.add('apiVersions', (project.apiVersions ?? []).join('\n'));
  hash.add('app', JSON.stringify(app));
  const result: Plan = { key: '', inputs: [], cacheable: true, values: new Map(), manifests: [], warnings };

  if (app.helm) {
    hash.add('helm', toolIdentity(project.tools.helm));
    for (const v of app.helm.values) {
      let data: Buffer;
      try {
        data = await readInput(v, ctx, { substitute: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT')
          throw new KloopError(`values file ${relative(project, v)} does not exist`, {
            location: { file: project.configFile },
            hint: `fix apps.${app.name}.helm.values`,
          });
        throw e;
      }
      result.values.set(v, data);
      result.inputs.push(v);
      hash.add(`values:${v}`, data);
    }
    for (const f of await chartFiles(app.helm.chart)) {
      result.inputs.push(f);
      seen(f);
      hash.add(`chart:${f}`, await readFile(f));
    }
  }
  if (app.kustomize) {
    hash.add('kustomize', `${kustomize.tool}:${toolIdentity(kustomize.file)}`);
    const inputs = await kustomizeInputs(app.kustomize, read);
    for (const [file, data] of [...inputs.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      result.inputs.push(file);
      hash.add(`k:${file}`, data);
    }
    if (inputs.remote.length > 0) result.cacheable = false;
    result.kustomize = inputs;
  }
  for (const file of await manifestFiles(project, app)) {
    const data = await readInput(file, ctx);
    result.inputs.push(file);
    hash.add(`manifest:${file}`, data);
    result.manifests.push({ file, text: data.toString('utf8') });
  }
  result.key = hash.digest();
  return result;
}

/**
 * What an app's plan depends on besides the files it reads: the code, the app's config, the tools,
 * the variables (the environment's part is checked per ${VAR} the inputs mention).
 */
function fingerprintId(project: Project, app: ResolvedApp, kustomize: KustomizeTool): string {
  const hash = createHash('sha256');
  const own = [...project.vars.own.values()].map((v) => [v.name, v.value]).sort(([a], [b]) => (a! < b! ? -1 : 1));
  for (const part of [
    buildId(),
    version(),
    project.root,
    project.kubeVersion,
    (project.apiVersions ?? []).join('\n'),
    String(project.strictVars === true),
    JSON.stringify(app),
    app.helm ? toolIdentity(project.tools.helm) : '',
    app.kustomize ? `${kustomize.tool}:${toolIdentity(kustomize.file)}` : '',
    JSON.stringify(own),
  ])
    hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 40);
}

function requireTool(command: string, name: string, hint: string): void {
  if (!which(command)) throw new KloopError(`${name} not found (${command})`, { hint });
}

/** Renders an app's raw objects (before namespaces, image wiring, sorting and validation). */
export async function renderRawApp(
  project: Project,
  app: ResolvedApp,
  kustomize: KustomizeTool,
  options: { cache: boolean },
): Promise<RawApp> {
  const id = options.cache ? fingerprintId(project, app, kustomize) : '';
  if (id) {
    const known = await unchangedInputs(project.stateDir, id, project.vars.process);
    const hit = known && (await readCache(project.stateDir, known.key));
    if (known && hit) {
      for (const [i, o] of hit.objects.entries()) setOrigin(o, hit.origins?.[i] ?? undefined);
      return { objects: hit.objects, cached: true, inputs: known.inputs, warnings: known.warnings };
    }
  }
  const { result: p, recording } = await recordInputs(() => plan(project, app, kustomize));
  const remember = () =>
    id && p.cacheable ? saveFingerprint(project.stateDir, id, project.vars.process, recording, p) : undefined;
  if (options.cache && p.cacheable) {
    const hit = await readCache(project.stateDir, p.key);
    if (hit) {
      for (const [i, o] of hit.objects.entries()) setOrigin(o, hit.origins?.[i] ?? undefined);
      await remember();
      return { objects: hit.objects, cached: true, inputs: p.inputs, warnings: p.warnings };
    }
  }

  const objects: KubeObject[] = [];
  if (app.helm || app.kustomize) {
    if (app.helm)
      requireTool(project.tools.helm, 'helm', 'install Helm 3 (https://helm.sh) or set tools.helm in kloop.yaml');
    if (app.kustomize)
      requireTool(
        kustomize.file,
        kustomize.tool,
        kustomize.tool === 'kubectl'
          ? 'install kubectl (it includes kustomize) or kustomize, or set tools.kubectl / tools.kustomize in kloop.yaml'
          : 'install kustomize or remove tools.kustomize from kloop.yaml to use kubectl kustomize',
      );
    const work = await createWorkCopy({ root: project.root, vars: project.vars });
    const toSource = (s: string) => s.split(work.dir).join('');
    try {
      for (const [file, data] of p.values) await work.write(file, data);
      let helmOutput: string | undefined;
      if (app.helm) {
        helmOutput = await helmTemplate(project.tools.helm, app, work, {
          namespace: app.namespace,
          kubeVersion: project.kubeVersion,
          apiVersions: project.apiVersions,
          toSource,
          chartLabel: relative(project, app.helm.chart),
        });
      }
      if (p.kustomize) {
        for (const [file, data] of p.kustomize.files) await work.write(file, data);
        if (helmOutput !== undefined) {
          const wrap = wrapHelmOutput(p.kustomize, app.name);
          await work.write(wrap.outputFile, helmOutput);
          if (wrap.kustomizationText) await work.write(p.kustomize.kustomization, wrap.kustomizationText);
        }
        const out = await kustomizeBuild(kustomize, work.at(app.kustomize!), {
          kustomization: relative(project, p.kustomize.kustomization),
          app: app.name,
          toSource,
          ...(p.kustomize.helmCharts ? { helm: project.tools.helm } : {}),
        });
        objects.push(...parseObjects(out, `kustomize build ${relative(project, app.kustomize!)}`));
      } else if (helmOutput !== undefined) {
        objects.push(...parseObjects(helmOutput, `helm template ${relative(project, app.helm!.chart)}`));
      }
    } finally {
      await work.remove();
    }
  }
  for (const m of p.manifests) objects.push(...parseObjects(m.text, relative(project, m.file)));

  if (options.cache && p.cacheable) {
    await writeCache(project.stateDir, p.key, { objects, origins: objects.map((o) => originOf(o) ?? null) });
    await remember();
  }
  return { objects, cached: false, inputs: p.inputs, warnings: p.warnings };
}
