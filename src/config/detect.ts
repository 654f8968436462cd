// What `kloop init` finds in a repository: Dockerfiles, Helm charts, kustomizations, directories
// of plain manifests, and an existing devspace.yaml or skaffold.yaml whose images it carries over.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, normalize, relative, sep } from 'node:path';
import { parse } from 'yaml';

export interface Detected {
  dockerfiles: string[];
  charts: string[];
  kustomizations: string[];
  manifestDirs: string[];
  /** images declared by devspace.yaml / skaffold.yaml: name → { image, context, dockerfile? } */
  foreignImages: { from: string; name: string; image: string; context: string; dockerfile?: string }[];
  foreignConfigs: string[];
}

const SKIP = new Set(['node_modules', '.git', '.kloop', 'dist', 'build', 'vendor', 'target', '.venv', '.idea']);
const MAX_DEPTH = 5;
const KUSTOMIZATION = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

const toPosix = (p: string) => p.split(sep).join('/') || '.';

function looksLikeManifest(file: string): boolean {
  try {
    const text = readFileSync(file, 'utf8');
    return /^apiVersion:\s*\S+/m.test(text) && /^kind:\s*\S+/m.test(text);
  } catch {
    return false;
  }
}

export function detect(root: string): Detected {
  const found: Detected = {
    dockerfiles: [],
    charts: [],
    kustomizations: [],
    manifestDirs: [],
    foreignImages: [],
    foreignConfigs: [],
  };
  const walk = (dir: string, depth: number, insideChart: boolean) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    const rel = toPosix(relative(root, dir));
    const isChart = names.has('Chart.yaml');
    const isKustomization = KUSTOMIZATION.some((k) => names.has(k));
    if (isChart && !insideChart) found.charts.push(rel);
    else if (isKustomization && !insideChart) found.kustomizations.push(rel);
    else if (!insideChart && dir !== root) {
      const yamls = entries.filter((e) => e.isFile() && /\.ya?ml$/.test(e.name));
      if (yamls.length && yamls.some((e) => looksLikeManifest(join(dir, e.name)))) found.manifestDirs.push(rel);
    }
    for (const e of entries) {
      if (e.isFile() && (e.name === 'Dockerfile' || /^Dockerfile\.|\.Dockerfile$/.test(e.name)) && !insideChart)
        found.dockerfiles.push(toPosix(relative(root, join(dir, e.name))));
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of entries) {
      if (e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith('.'))
        walk(join(dir, e.name), depth + 1, insideChart || isChart);
    }
  };
  walk(root, 0, false);
  found.foreignImages.push(...fromSkaffold(root, found), ...fromDevspace(root, found));
  return found;
}

type Raw = Record<string, unknown>;
const obj = (x: unknown): Raw => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Raw) : {});
const str = (x: unknown) => (typeof x === 'string' ? x : undefined);

function readYaml(file: string): Raw[] {
  try {
    return readFileSync(file, 'utf8')
      .split(/^---\s*$/m)
      .map((d) => obj(parse(d)));
  } catch {
    return [];
  }
}

function fromSkaffold(root: string, found: Detected): Detected['foreignImages'] {
  const file = join(root, 'skaffold.yaml');
  if (!existsSync(file)) return [];
  found.foreignConfigs.push('skaffold.yaml');
  const out: Detected['foreignImages'] = [];
  for (const doc of readYaml(file)) {
    const artifacts = obj(doc.build).artifacts;
    for (const a of Array.isArray(artifacts) ? artifacts : []) {
      const image = str(obj(a).image);
      if (!image) continue;
      const context = str(obj(a).context) ?? '.';
      const dockerfile = str(obj(obj(a).docker).dockerfile);
      out.push({
        from: 'skaffold.yaml',
        name: basename(image.replace(/@.*$/, '').replace(/:[^/]+$/, '')),
        image,
        context,
        ...(dockerfile ? { dockerfile: toPosix(join(context, dockerfile)) } : {}),
      });
    }
  }
  return out;
}

function fromDevspace(root: string, found: Detected): Detected['foreignImages'] {
  const file = join(root, 'devspace.yaml');
  if (!existsSync(file)) return [];
  found.foreignConfigs.push('devspace.yaml');
  const out: Detected['foreignImages'] = [];
  for (const doc of readYaml(file)) {
    for (const [name, spec] of Object.entries(obj(doc.images))) {
      const image = str(obj(spec).image);
      if (!image) continue;
      const dockerfile = str(obj(spec).dockerfile);
      const context = toPosix(normalize(str(obj(spec).context) ?? (dockerfile ? dirname(dockerfile) : '.')));
      out.push({
        from: 'devspace.yaml',
        name,
        image,
        context,
        ...(dockerfile ? { dockerfile: toPosix(normalize(dockerfile)) } : {}),
      });
    }
  }
  return out;
}
