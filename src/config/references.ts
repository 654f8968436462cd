// Checks between the parts of a valid kloop.yaml: names that refer to other entries, dependsOn
// cycles, and the files and directories the config points at.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { didYouMean, type KeyPath, type Problem } from './problems.ts';
import type { KloopConfig } from './schema.ts';
import { type ConfigSource, locate } from './yaml-source.ts';

function kind(path: string): 'dir' | 'file' | undefined {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

export function checkReferences(source: ConfigSource, config: KloopConfig, root: string): Problem[] {
  const problems: Problem[] = [];
  const add = (path: KeyPath, message: string, mode: 'value' | 'key' = 'value') =>
    problems.push({ path, message, ...locate(source, path, mode) });
  const apps = Object.keys(config.apps ?? {});
  const unknownApp = (name: string) =>
    apps.length
      ? `unknown app "${name}"${didYouMean(name, apps)}; apps in this file: ${apps.join(', ')}`
      : `unknown app "${name}"; this file defines no apps: add it under apps:`;
  const wantDir = (path: KeyPath, rel: string, what: string, marker?: string) => {
    const abs = resolve(root, rel);
    const k = kind(abs);
    if (k !== 'dir')
      add(path, `${what} "${rel}" ${k ? 'is a file, not a directory' : 'does not exist'} (looked in ${abs})`);
    else if (marker && !existsSync(join(abs, marker))) add(path, `${what} "${rel}" has no ${marker}`);
  };
  const wantFile = (path: KeyPath, rel: string, what: string) => {
    const abs = resolve(root, rel);
    const k = kind(abs);
    if (k !== 'file')
      add(path, `${what} "${rel}" ${k ? 'is a directory, not a file' : 'does not exist'} (looked in ${abs})`);
  };

  for (const [name, image] of Object.entries(config.images ?? {})) {
    wantDir(['images', name, 'context'], image.context, 'build context');
    if (image.builder === 'custom') {
      if (!image.custom) add(['images', name, 'builder'], 'builder custom needs custom: { command: ... }');
    } else {
      if (image.custom)
        add(['images', name, 'custom'], `custom: is only used with builder: custom (builder is ${image.builder})`);
      const dockerfile = image.dockerfile ?? join(image.context, 'Dockerfile');
      if (kind(resolve(root, image.context)) === 'dir')
        wantFile(['images', name, image.dockerfile ? 'dockerfile' : 'context'], dockerfile, 'Dockerfile');
    }
  }

  for (const [name, app] of Object.entries(config.apps ?? {})) {
    if (app.helm) {
      wantDir(['apps', name, 'helm', 'chart'], app.helm.chart, 'chart directory', 'Chart.yaml');
      app.helm.values?.forEach((v, i) => {
        wantFile(['apps', name, 'helm', 'values', i], v, 'values file');
      });
    }
    if (app.kustomize) {
      const dir = resolve(root, app.kustomize);
      wantDir(['apps', name, 'kustomize'], app.kustomize, 'kustomization directory');
      if (
        kind(dir) === 'dir' &&
        !['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((f) => existsSync(join(dir, f)))
      )
        add(['apps', name, 'kustomize'], `kustomization directory "${app.kustomize}" has no kustomization.yaml`);
    }
    app.dependsOn?.forEach((dep, i) => {
      if (dep === name) add(['apps', name, 'dependsOn', i], `an app cannot depend on itself`);
      else if (!config.apps?.[dep]) add(['apps', name, 'dependsOn', i], unknownApp(dep));
    });
  }
  problems.push(...findCycles(source, config));

  for (const [name, dep] of Object.entries(config.dependencies ?? {})) {
    if ('path' in dep) wantDir(['dependencies', name, 'path'], dep.path, 'dependency directory', 'kloop.yaml');
  }

  for (const [name, target] of Object.entries(config.dev ?? {})) {
    if (!config.apps?.[target.app]) add(['dev', name, 'app'], unknownApp(target.app));
    target.sync?.forEach((s, i) => {
      if (!s.to.startsWith('/'))
        add(['dev', name, 'sync', i, 'to'], `must be an absolute directory in the container; got "${s.to}"`);
      if (isAbsolute(s.from))
        add(['dev', name, 'sync', i, 'from'], `must be a directory relative to kloop.yaml; got "${s.from}"`);
      else wantDir(['dev', name, 'sync', i, 'from'], s.from, 'sync directory');
    });
  }
  return problems;
}

/** Every dependsOn cycle, printed as a → b → a, once. */
function findCycles(source: ConfigSource, config: KloopConfig): Problem[] {
  const apps = config.apps ?? {};
  const problems: Problem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of apps[name]?.dependsOn ?? []) {
      if (dep === name || !apps[dep]) continue;
      if (state.get(dep) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const path = ['apps', name, 'dependsOn', (apps[name]?.dependsOn ?? []).indexOf(dep)];
        problems.push({
          path,
          message: `dependsOn cycle: ${cycle.join(' → ')}; remove one of these dependencies`,
          ...locate(source, path),
        });
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(apps)) if (!state.has(name)) visit(name);
  return problems;
}
