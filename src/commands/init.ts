// kloop init: writes a starter kloop.yaml from what is found in the directory and adds kloop's
// local files (.kloop/, .env) to .gitignore.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { GlobalOptions } from '../cli/options.ts';
import { type Detected, detect } from '../config/detect.ts';
import { installedSchemaPath } from '../config/json-schema.ts';
import { loadConfig } from '../config/load.ts';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';

export interface InitOptions {
  force?: boolean;
  name?: string;
}

/** A DNS label from any string: lower case, digits and "-". */
export function toName(s: string): string {
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 53)
    .replace(/-+$/, '');
  return n || 'app';
}

function unique(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let i = 2; taken.has(candidate); i++) candidate = `${name}-${i}`;
  taken.add(candidate);
  return candidate;
}

/** The repository part of an image reference (no tag, no digest); undefined when it uses variables. */
function repository(image: string): string | undefined {
  if (image.includes('$')) return undefined;
  return image.replace(/@.*$/, '').replace(/:[^/]+$/, '');
}

export function starterConfig(project: string, found: Detected, schemaRef: string | undefined): string {
  const images: Record<string, Record<string, string>> = {};
  const imageNames = new Set<string>();
  for (const f of found.foreignImages) {
    const name = unique(toName(f.name), imageNames);
    images[name] = {
      image: repository(f.image) ?? `${project}/${name}`,
      context: f.context,
      ...(f.dockerfile ? { dockerfile: f.dockerfile } : {}),
    };
  }
  const covered = new Set(Object.values(images).map((i) => i.dockerfile ?? join(i.context ?? '.', 'Dockerfile')));
  for (const dockerfile of found.dockerfiles) {
    if (covered.has(dockerfile)) continue;
    const dir = dirname(dockerfile);
    const file = basename(dockerfile);
    const base = dir === '.' ? project : basename(dir);
    const name = unique(
      toName(file === 'Dockerfile' ? base : `${base}-${file.replace(/\.?Dockerfile\.?/, '')}`),
      imageNames,
    );
    images[name] = {
      image: `${project}/${name}`,
      context: dir,
      ...(file === 'Dockerfile' ? {} : { dockerfile }),
    };
  }

  const apps: Record<string, Record<string, unknown>> = {};
  const appNames = new Set<string>();
  const appName = (dir: string) => {
    const parts = dir
      .split('/')
      .filter(
        (p) =>
          ![
            'deploy',
            'charts',
            'chart',
            'k8s',
            'kubernetes',
            'manifests',
            'helm',
            'kustomize',
            'overlays',
            'base',
          ].includes(p),
      );
    return unique(toName(parts.at(-1) ?? (dir === '.' ? project : basename(dir))), appNames);
  };
  for (const chart of found.charts) apps[appName(chart)] = { helm: { chart } };
  // overlays win over the bases they build on; a base alone is still an app
  const overlays = found.kustomizations.filter((k) => !/(^|\/)base$/.test(k));
  for (const k of overlays.length ? overlays : found.kustomizations) apps[appName(k)] = { kustomize: k };
  for (const dir of found.manifestDirs) apps[appName(dir)] = { manifests: [`${dir}/*.yaml`] };

  const config: Record<string, unknown> = { version: 'v1', name: project, envFile: '.env' };
  if (Object.keys(images).length) config.images = images;
  if (Object.keys(apps).length) config.apps = apps;

  const lines = [
    ...(schemaRef ? [`# yaml-language-server: $schema=${schemaRef}`] : []),
    '# Written by `kloop init`. Every key is described in docs/config.md of kloop.',
    ...(found.foreignConfigs.length ? [`# Images carried over from ${found.foreignConfigs.join(' and ')}.`] : []),
    stringify(config, { lineWidth: 0 }).trimEnd(),
  ];
  if (!Object.keys(apps).length) {
    lines.push(
      '# No Helm chart, kustomization or manifest directory was found. Add your apps, e.g.:',
      '# apps:',
      '#   web:',
      '#     manifests: [deploy/*.yaml]',
    );
  }
  const firstApp = Object.keys(apps)[0];
  lines.push(
    '',
    '# A dev target syncs files into a running container and forwards ports, e.g.:',
    '# dev:',
    `#   ${firstApp ?? 'web'}:`,
    `#     app: ${firstApp ?? 'web'}`,
    `#     workload: deployment/${firstApp ?? 'web'}`,
    '#     sync: [{ from: src, to: /app }]',
    '#     ports: ["8080:8080"]',
  );
  return `${lines.join('\n')}\n`;
}

/** The schema relative to the project when kloop is installed in or near it, else its absolute path. */
function schemaRef(root: string, schema: string): string {
  const rel = relative(root, schema);
  return rel.split('/').filter((p) => p === '..').length <= 2 ? rel : schema;
}

/** Adds entries to .gitignore that are not there yet; returns the ones added. */
export function ensureGitignore(dir: string, entries: string[]): string[] {
  const file = join(dir, '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const present = new Set(text.split(/\r?\n/).map((l) => l.trim().replace(/^\//, '')));
  const missing = entries.filter((e) => !present.has(e) && !present.has(e.replace(/\/$/, '')));
  if (missing.length) {
    const prefix = text === '' || text.endsWith('\n') ? '' : '\n';
    writeFileSync(file, `${text}${prefix}# kloop: local state and values\n${missing.join('\n')}\n`);
  }
  return missing;
}

export async function run(globals: GlobalOptions, options: InitOptions = {}): Promise<number> {
  const dir = resolve(globals.cwd);
  const file = globals.config ? resolve(dir, globals.config) : join(dir, 'kloop.yaml');
  const root = dirname(file);
  if (existsSync(file) && !options.force) {
    throw new KloopError(`${relative(dir, file) || file} already exists`, {
      hint: 'pass --force to overwrite it',
    });
  }
  const project = toName(options.name ?? basename(root));
  if (options.name && project !== options.name)
    throw new KloopError(`--name ${options.name} is not a valid project name`, {
      hint: `use lower case letters, digits and "-", e.g. ${project}`,
    });
  const found = detect(root);
  const schema = installedSchemaPath();
  const text = starterConfig(project, found, schema ? schemaRef(root, schema) : undefined);
  // the starter must load: a failure here is a bug in init, reported with the generated text
  try {
    loadConfig(text, file, { ...globals, env: undefined, vars: {} });
  } catch (error) {
    throw new KloopError(`kloop init produced a kloop.yaml that does not load: ${(error as Error).message}`, {
      details: [...((error as KloopError).details ?? []), text],
      hint: 'this is a bug in kloop init; please report it with the details above',
    });
  }
  writeFileSync(file, text);
  const added = ensureGitignore(root, ['.kloop/', '.env']);
  log.success(`wrote ${relative(dir, file) || file}`);
  const summary: [string, string[]][] = [
    ['Dockerfiles', found.dockerfiles],
    ['Helm charts', found.charts],
    ['kustomizations', found.kustomizations],
    ['manifest directories', found.manifestDirs],
    ['other tools’ configs', found.foreignConfigs],
  ];
  for (const [what, list] of summary) if (list.length) log.info(`  ${what}: ${list.join(', ')}`);
  if (added.length) log.info(`  added to .gitignore: ${added.join(', ')}`);
  log.info('next: check it with `kloop print`, then `kloop doctor`');
  return 0;
}
