// Where a render goes in the GitOps repository: gitops.path with {env} {app} {namespace} {project}
// expanded per app. A path ending in .yaml/.yml is a file (apps that expand to the same file share
// it); anything else is a directory holding manifest.yaml. kloop's metadata and the reproduce
// README sit in <common directory>/.kloop/<project>/.
import path from 'node:path';
import { KloopError } from '../errors.ts';
import type { RenderedApp } from '../render/index.ts';

export interface Layout {
  /** repository-relative file path -> content */
  files: Map<string, string>;
  /** app -> the file its objects are in */
  appFiles: Record<string, string>;
  /** repository-relative paths replaced wholesale (files or directories) */
  targets: string[];
  /** directory of hydrator.metadata and README.md */
  metadataDir: string;
}

const placeholders = ['env', 'app', 'namespace', 'project'] as const;
export type PathValues = Record<(typeof placeholders)[number], string>;

export function expandPath(template: string, values: PathValues, where: string): string {
  const unknown = /\{([^}]*)\}/g;
  for (const m of template.matchAll(unknown)) {
    if (!(placeholders as readonly string[]).includes(m[1]!)) {
      throw new KloopError(`${where}: unknown placeholder {${m[1]}} in gitops.path "${template}"`, {
        hint: 'placeholders: {env} {app} {namespace} {project}',
      });
    }
  }
  const expanded = template.replace(/\{(env|app|namespace|project)\}/g, (_m, k: keyof PathValues) => values[k]);
  const normal = path.posix.normalize(expanded.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (path.posix.isAbsolute(normal) || normal === '.' || normal === '' || normal.split('/').includes('..')) {
    throw new KloopError(`${where}: gitops.path "${template}" expands to "${expanded}", outside the repository`, {
      hint: 'use a relative path inside the GitOps repository, e.g. clusters/{env}/{app}.yaml',
    });
  }
  if (normal === '.git' || normal.startsWith('.git/')) {
    throw new KloopError(`${where}: gitops.path "${template}" points into .git`);
  }
  return normal;
}

export function isFilePath(p: string): boolean {
  return /\.ya?ml$/i.test(p);
}

function commonDir(paths: string[]): string {
  const split = paths.map((p) => p.split('/'));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join('/');
}

export function metadataDirFor(targets: string[], project: string): string {
  const dirs = targets.map((t) => (isFilePath(t) ? path.posix.dirname(t) : t));
  const base = commonDir(dirs);
  return base && base !== '.' ? `${base}/.kloop/${project}` : `.kloop/${project}`;
}

export function layoutFor(
  template: string,
  values: Omit<PathValues, 'app' | 'namespace'>,
  apps: ReadonlyArray<Pick<RenderedApp, 'name' | 'namespace' | 'yaml'>>,
  where: string,
): Layout {
  const files = new Map<string, string>();
  const appFiles: Record<string, string> = {};
  const targets = new Set<string>();
  for (const app of apps) {
    const target = expandPath(template, { ...values, app: app.name, namespace: app.namespace }, where);
    targets.add(target);
    const file = isFilePath(target) ? target : `${target}/manifest.yaml`;
    appFiles[app.name] = file;
    if (!app.yaml) continue;
    const prev = files.get(file);
    files.set(file, prev ? `${prev}---\n${app.yaml}` : app.yaml);
  }
  const list = [...targets].sort();
  if (list.length === 0)
    list.push(expandPath(template.replace(/\{(app|namespace)\}/g, '_'), { ...values, app: '', namespace: '' }, where));
  return { files, appFiles, targets: list, metadataDir: metadataDirFor(list, values.project) };
}
