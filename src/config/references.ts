// Checks between the parts of kloop.yaml: names that refer to other entries, dependsOn cycles,
// and the files and directories the config points at. It also runs when the schema found
// problems (so every problem is reported at once), so it reads the data defensively.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { didYouMean, type KeyPath, type Problem } from './problems.ts';
import { type ConfigSource, locate } from './yaml-source.ts';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => Boolean(x) && typeof x === 'object' && !Array.isArray(x);
const entries = (x: unknown): [string, Obj][] =>
  isObj(x) ? (Object.entries(x).filter(([, v]) => isObj(v)) as [string, Obj][]) : [];
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

function kind(path: string): 'dir' | 'file' | undefined {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

export function checkReferences(source: ConfigSource, data: unknown, root: string): Problem[] {
  const problems: Problem[] = [];
  const config = isObj(data) ? data : {};
  const add = (path: KeyPath, message: string) => problems.push({ path, message, ...locate(source, path) });
  const appMap = isObj(config.apps) ? config.apps : {};
  const apps = Object.keys(appMap);
  const unknownApp = (name: string) =>
    apps.length
      ? `unknown app "${name}"${didYouMean(name, apps)}; apps in this file: ${apps.join(', ')}`
      : `unknown app "${name}"; this file defines no apps: add it under apps:`;
  const wantDir = (path: KeyPath, rel: string | undefined, what: string, marker?: string) => {
    if (rel === undefined) return;
    const abs = resolve(root, rel);
    const k = kind(abs);
    if (k !== 'dir')
      add(path, `${what} "${rel}" ${k ? 'is a file, not a directory' : 'does not exist'} (looked in ${abs})`);
    else if (marker && !existsSync(join(abs, marker))) add(path, `${what} "${rel}" has no ${marker}`);
  };
  const wantFile = (path: KeyPath, rel: string | undefined, what: string) => {
    if (rel === undefined) return;
    const abs = resolve(root, rel);
    const k = kind(abs);
    if (k !== 'file')
      add(path, `${what} "${rel}" ${k ? 'is a directory, not a file' : 'does not exist'} (looked in ${abs})`);
  };

  for (const [name, image] of entries(config.images)) {
    const context = str(image.context) ?? '.';
    const builder = str(image.builder) ?? 'docker';
    wantDir(['images', name, 'context'], context, 'build context');
    if (builder === 'custom') {
      if (!image.custom) add(['images', name, 'builder'], 'builder custom needs custom: { command: ... }');
    } else {
      if (image.custom)
        add(['images', name, 'custom'], `custom: is only used with builder: custom (builder is ${builder})`);
      const dockerfile = str(image.dockerfile);
      if (kind(resolve(root, context)) === 'dir')
        wantFile(
          ['images', name, dockerfile ? 'dockerfile' : 'context'],
          dockerfile ?? join(context, 'Dockerfile'),
          'Dockerfile',
        );
    }
  }

  for (const [name, app] of entries(config.apps)) {
    if (isObj(app.helm)) {
      wantDir(['apps', name, 'helm', 'chart'], str(app.helm.chart), 'chart directory', 'Chart.yaml');
      list(app.helm.values).forEach((v, i) => {
        wantFile(['apps', name, 'helm', 'values', i], str(v), 'values file');
      });
    }
    const kustomize = str(app.kustomize);
    if (kustomize) {
      const dir = resolve(root, kustomize);
      wantDir(['apps', name, 'kustomize'], kustomize, 'kustomization directory');
      const markers = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
      if (kind(dir) === 'dir' && !markers.some((f) => existsSync(join(dir, f))))
        add(['apps', name, 'kustomize'], `kustomization directory "${kustomize}" has no kustomization.yaml`);
    }
    list(app.dependsOn).forEach((dep, i) => {
      if (typeof dep !== 'string') return;
      if (dep === name) add(['apps', name, 'dependsOn', i], `an app cannot depend on itself`);
      else if (!(dep in appMap)) add(['apps', name, 'dependsOn', i], unknownApp(dep));
    });
  }
  problems.push(...findCycles(source, appMap));

  for (const [name, dep] of entries(config.dependencies)) {
    wantDir(['dependencies', name, 'path'], str(dep.path), 'dependency directory', 'kloop.yaml');
  }

  for (const [name, target] of entries(config.dev)) {
    const app = str(target.app);
    if (app !== undefined && !(app in appMap)) add(['dev', name, 'app'], unknownApp(app));
    list(target.sync).forEach((s, i) => {
      if (!isObj(s)) return;
      const to = str(s.to);
      const from = str(s.from);
      if (to !== undefined && !to.startsWith('/'))
        add(['dev', name, 'sync', i, 'to'], `must be an absolute directory in the container; got "${to}"`);
      if (from !== undefined && isAbsolute(from))
        add(['dev', name, 'sync', i, 'from'], `must be a directory relative to kloop.yaml; got "${from}"`);
      else wantDir(['dev', name, 'sync', i, 'from'], from, 'sync directory');
    });
  }
  return problems;
}

/** Every dependsOn cycle, printed as a → b → a, once. */
function findCycles(source: ConfigSource, apps: Obj): Problem[] {
  const deps = (name: string) => {
    const app = apps[name];
    return isObj(app) ? list(app.dependsOn).filter((d): d is string => typeof d === 'string') : [];
  };
  const problems: Problem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps(name)) {
      if (dep === name || !(dep in apps)) continue;
      if (state.get(dep) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const path = ['apps', name, 'dependsOn', deps(name).indexOf(dep)];
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
