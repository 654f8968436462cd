// What a converted config names but the repository does not hold (a Dockerfile, a chart, a values
// file, manifests) cannot be loaded by kloop: it is taken out, and the note says what was missing.
import { globSync } from 'node:fs';
import type { Draft, Obj } from './draft.ts';
import { exists, fromBase, isDir } from './paths.ts';

const here = (root: string, p: unknown) => typeof p !== 'string' || p.includes('$') || exists(root, p);

export function pruneMissing(root: string, draft: Draft): void {
  const source = draft.sources[0] ?? 'the source';
  const note = (path: string, reason: string) => draft.notes.push({ file: source, path, reason });
  for (const [name, image] of Object.entries(draft.images)) {
    const context = String(image.context ?? '.');
    const dockerfile = image.dockerfile ?? (image.builder === 'custom' ? undefined : fromBase(context, 'Dockerfile'));
    const missing =
      !isDir(root, context) && !context.includes('$') ? context : !here(root, dockerfile) ? dockerfile : undefined;
    if (missing) {
      delete draft.images[name];
      note(`image ${name}`, `not converted: ${missing} does not exist in this repository`);
    }
  }
  for (const [name, app] of Object.entries(draft.apps)) {
    const helm = app.helm as Obj | undefined;
    if (helm) {
      const values = (helm.values as string[] | undefined) ?? [];
      const kept = values.filter((v) => here(root, v) || Object.hasOwn(draft.files, v));
      for (const v of values.filter((x) => !kept.includes(x)))
        note(`app ${name}`, `values file ${v} does not exist: left out`);
      if (kept.length) helm.values = kept;
      else delete helm.values;
      if (!here(root, helm.chart)) {
        note(`app ${name}`, `chart ${String(helm.chart)} does not exist: helm left out`);
        delete app.helm;
      }
    }
    if (app.kustomize !== undefined && !here(root, app.kustomize)) {
      note(`app ${name}`, `kustomization ${String(app.kustomize)} does not exist: left out`);
      delete app.kustomize;
    }
    if (Array.isArray(app.manifests)) {
      const kept = app.manifests.filter((g: string) => g.includes('$') || globSync(g, { cwd: root }).length > 0);
      for (const g of app.manifests.filter((x: string) => !kept.includes(x)))
        note(`app ${name}`, `manifests ${g} match no file: left out`);
      if (kept.length) app.manifests = kept;
      else delete app.manifests;
    }
    if (!app.helm && app.kustomize === undefined && !app.manifests) {
      delete draft.apps[name];
      for (const other of Object.values(draft.apps))
        if (Array.isArray(other.dependsOn)) other.dependsOn = other.dependsOn.filter((d: string) => d !== name);
    }
  }
}
