// render(): the one path from templates to low-level manifests. deploy, dev, diff and promote call
// it; `kloop render` writes its result. Pure in the sense that matters: (source tree, variables,
// image references) -> sorted objects + metadata; the repository is never written.
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { Project } from '../config/project.ts';
import { KloopError } from '../errors.ts';
import { version } from '../version.ts';
import { renderRawApp } from './app.ts';
import { readValidation, writeValidation } from './cache.ts';
import { parseImageRef, usedImages, wireImages } from './images.ts';
import { kustomizeTool } from './kustomize.ts';
import { type SourceInfo, sourceInfo, toolVersions } from './metadata.ts';
import { assignNamespaces, clusterScopedCustomKinds, describe, sortObjects, toYaml } from './objects.ts';
import { yamlOfApps } from './yaml-cache.ts';
import { mark } from '../log/timing.ts';
import type { ImageInfo, KubeObject, RenderedApp, RenderOptions, RenderResult } from './types.ts';

export type * from './types.ts';

function selectApps(project: Project, apps: readonly string[] | undefined): string[] {
  const known = Object.keys(project.apps);
  if (!apps || apps.length === 0) return known;
  for (const name of apps) {
    if (!project.apps[name]) {
      throw new KloopError(`no app "${name}" in ${project.configFile}`, {
        hint: known.length ? `apps: ${known.join(', ')}` : 'add it under apps: in kloop.yaml',
      });
    }
  }
  return [...new Set(apps)];
}

function checkPinned(project: Project, pinned: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(pinned)) {
    if (!project.images[name]) {
      const known = Object.keys(project.images);
      throw new KloopError(`--image ${name}=...: no image "${name}" in ${project.configFile}`, {
        hint: known.length ? `images: ${known.join(', ')}` : 'images are declared under images: in kloop.yaml',
      });
    }
  }
}

/**
 * The reference of every pinned image and every image a container uses: pinned with --image, else
 * repository:<tag kloop build computes> (computed only for images in use, so a render never depends
 * on the build context of an image it does not contain).
 */
async function imageRefs(
  project: Project,
  pinned: Readonly<Record<string, string>>,
  used: ReadonlySet<string>,
  known: Readonly<Record<string, string>>,
): Promise<Record<string, ImageInfo>> {
  const out: Record<string, ImageInfo> = {};
  // the image code (context hashing, registry client) loads only for a render that uses an image
  const { imageTag } = used.size ? await import('../images/tag.ts') : { imageTag: undefined };
  for (const [name, image] of Object.entries(project.images)) {
    const ref = pinned[name];
    if (ref) {
      const parsed = parseImageRef(ref);
      out[name] = { ref, tag: parsed.tag, digest: parsed.digest, pinned: true };
    } else if (used.has(name)) {
      const tag = await imageTag!(project, name);
      const ref = `${image.image}:${tag}`;
      if (image.pin === 'digest') {
        const digest = known[name] ?? (await registryDigest(project, name, ref));
        out[name] = { ref: `${ref}@${digest}`, tag, digest, pinned: false };
      } else out[name] = { ref, tag, pinned: false };
    }
  }
  return out;
}

/** images.<name>.pin: digest — the digest the registry serves for the computed tag. */
async function registryDigest(project: Project, name: string, ref: string): Promise<string> {
  const { manifestState } = await import('../images/registry.ts');
  const state = await manifestState(ref, project.vars.process);
  if (!state.exists || !state.digest) {
    throw new KloopError(`image "${name}" is pinned by digest, but the registry has no ${ref}`, {
      location: { file: project.configFile },
      hint: 'push it first: kloop build with a kube context that does not share the local Docker engine (or build.load: push), then render again',
    });
  }
  return state.digest;
}

/** Fails when a secret variable's value would be written into rendered output (GitOps must never hold it). */
function forbidSecrets(project: Project, apps: readonly RenderedApp[]): void {
  const secrets = [...project.vars.own.values()].filter((v) => v.secret && v.value.length >= 3);
  const leaks: string[] = [];
  for (const app of apps) {
    for (const o of app.objects) {
      const text = JSON.stringify(o);
      for (const v of secrets) {
        // Secret data is base64 in the object; look for both forms
        if (text.includes(v.value) || text.includes(Buffer.from(v.value).toString('base64')))
          leaks.push(`app ${app.name}: ${describe(o)} holds the value of ${v.name}`);
      }
    }
  }
  if (leaks.length > 0) {
    throw new KloopError(`a secret variable would be written to rendered output: ${leaks[0]}`, {
      details: leaks.slice(1),
      hint: 'keep secrets out of GitOps output: reference a Secret managed by SOPS, Sealed Secrets or External Secrets',
    });
  }
}

/** The first field that differs between two values, as a path (`spec.template.metadata.labels.x`). */
function firstDifference(a: unknown, b: unknown, at: string): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return at || '(object)';
  if (Array.isArray(a) !== Array.isArray(b)) return at || '(object)';
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const path = Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k;
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path);
    if (d) return d;
  }
  return undefined;
}

/** Objects of two renders of the same inputs that differ: `app X: Kind/name: field` each. */
function nondeterministic(app: string, first: readonly KubeObject[], second: readonly KubeObject[]): string[] {
  const key = (o: KubeObject) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  const out: string[] = [];
  const again = new Map(second.map((o) => [key(o), o]));
  const seen = new Set<string>();
  for (const o of first) {
    seen.add(key(o));
    const other = again.get(key(o));
    if (!other) {
      out.push(`app ${app}: ${describe(o)} is named differently on each render (metadata.name)`);
      continue;
    }
    const field = firstDifference(o, other, '');
    if (field) out.push(`app ${app}: ${describe(o)}: ${field}`);
  }
  return out;
}

export async function render(project: Project, options: RenderOptions = {}): Promise<RenderResult> {
  const names = selectApps(project, options.apps);
  const pinned = options.images ?? {};
  checkPinned(project, pinned);
  const kustomize = kustomizeTool(project.tools);
  const limit = pLimit(4);
  const raw = await Promise.all(
    names.map((name) =>
      limit(() => renderRawApp(project, project.apps[name]!, kustomize, { cache: options.cache !== false })),
    ),
  );
  mark('render: raw objects of every app');

  const determinism = options.determinism ?? 'off';
  const changing: string[] = [];
  if (determinism !== 'off') {
    const again = await Promise.all(
      names.map((name) => limit(() => renderRawApp(project, project.apps[name]!, kustomize, { cache: false }))),
    );
    for (const [i, name] of names.entries())
      changing.push(...nondeterministic(name, raw[i]!.objects, again[i]!.objects));
    if (changing.length > 0 && determinism === 'refuse') {
      throw new KloopError(`the render changes with no input change: ${changing[0]}`, {
        details: changing.slice(1),
        hint: 'a template uses randAlphaNum, genCA/genSelfSignedCert, uuidv4, now or lookup: every promotion would rewrite it. Pin the value in the chart values (or a Secret managed outside GitOps), or pass --allow-nondeterministic',
      });
    }
  }

  // CRDs anywhere in this render decide the scope of custom resources and validate them.
  const all = raw.flatMap((r) => r.objects);
  const customClusterKinds = clusterScopedCustomKinds(all);
  const repositories = Object.entries(project.images).map(([name, image]) => ({ name, repository: image.image }));
  const images = await imageRefs(project, pinned, usedImages(all, repositories), options.digests ?? {});
  for (const [name, digest] of Object.entries(options.digests ?? {})) {
    const info = images[name];
    if (info && !info.digest) info.digest = digest;
  }
  const wanted = Object.entries(images).map(([name, info]) => ({
    name,
    repository: project.images[name]!.image,
    ref: info.ref,
  }));
  const matched = new Set<string>();
  const apps: RenderedApp[] = names.map((name, i) => {
    const app = project.apps[name]!;
    const objects = raw[i]!.objects;
    assignNamespaces(objects, app.namespace, customClusterKinds);
    const wiring = wireImages(objects, wanted);
    for (const m of wiring.matched) matched.add(m);
    sortObjects(objects);
    return {
      name,
      namespace: app.namespace,
      objects,
      yaml: '', // below, for every app at once
      imageRewrites: wiring.rewrites,
      cached: raw[i]!.cached,
      inputs: raw[i]!.inputs,
    };
  });

  const texts = await yamlOfApps(
    project.stateDir,
    apps.map((a) => a.objects),
    toYaml,
    options.cache === false ? '' : undefined,
  );
  for (const [i, app] of apps.entries()) app.yaml = texts[i]!;
  mark('render: images wired, YAML written');

  if (options.secrets === 'forbid') forbidSecrets(project, apps);

  const validate = options.validate !== false;
  const unchecked: string[] = [];
  if (validate) {
    const problems: string[] = [];
    const useCache = options.cache !== false;
    // what validation depends on besides the app's own objects: the CRDs of the whole render
    const crds = createHash('sha256');
    crds.update(`${version()}\0${project.kubeVersion}\0`);
    for (const o of all) if (o.kind === 'CustomResourceDefinition') crds.update(JSON.stringify(o));
    const context = crds.digest('hex');
    for (const app of apps) {
      const key = createHash('sha256').update(context).update(app.yaml).digest('hex');
      const known = useCache ? await readValidation(project.stateDir, key) : undefined;
      if (known) {
        unchecked.push(...known.unchecked.map((o) => `${app.name}: ${o}`));
        continue;
      }
      // loaded only when something must be validated: the schemas are the slowest part of a warm start
      const { validateObjects } = await import('./validate.ts');
      const { errors, unchecked: none } = await validateObjects(app.objects, project.kubeVersion, all);
      for (const e of errors) problems.push(`app ${app.name}: ${e}`);
      unchecked.push(...none.map((o) => `${app.name}: ${o}`));
      if (errors.length === 0 && useCache) await writeValidation(project.stateDir, key, { unchecked: none });
    }
    if (problems.length > 0) {
      throw new KloopError(`schema validation failed: ${problems[0]}`, {
        details: problems.slice(1),
        hint: `checked against Kubernetes ${project.kubeVersion} schemas and the CRDs in the render; --validate=false skips`,
      });
    }
  }

  mark('render: validated');
  const warnings = [...new Set(raw.flatMap((r) => r.warnings))];
  for (const c of changing) warnings.push(`the render changes with no input change: ${c}`);
  const unmatched = Object.keys(project.images)
    .filter((name) => !matched.has(name))
    .map((name) => `image ${name} (${project.images[name]!.image}) matched no container in the rendered apps`);
  warnings.push(...unmatched);
  if (unchecked.length > 0) {
    const shown = unchecked.slice(0, 5).join(', ');
    warnings.push(
      `no schema for ${unchecked.length} object(s), not validated (their CRDs are not in the render): ${shown}${unchecked.length > 5 ? ', ...' : ''}`,
    );
  }

  const hasHelm = names.some((n) => project.apps[n]!.helm);
  const hasKustomize = names.some((n) => project.apps[n]!.kustomize);
  const [source, tools] = await Promise.all([
    options.sourceInfo === false ? ({} as SourceInfo) : sourceInfo(project.tools.git, project.root),
    toolVersions(project.stateDir, {
      helm: hasHelm ? project.tools.helm : undefined,
      kustomize: hasKustomize ? kustomize : undefined,
    }),
  ]);
  mark('render: metadata (git, tool versions)');
  const { dirty, ...argo } = source;
  return {
    apps,
    warnings,
    metadata: {
      ...argo,
      kloop: {
        version: version(),
        project: project.name,
        environment: project.environment?.name,
        kubeVersion: project.kubeVersion,
        dirty,
        apps: Object.fromEntries(apps.map((a) => [a.name, { namespace: a.namespace, objects: a.objects.length }])),
        images,
        tools,
        validated: validate,
      },
    },
  };
}
