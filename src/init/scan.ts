// What `kloop init` finds in a repository: Dockerfiles, Helm charts, kustomizations (not
// components, not bases that an overlay builds on), directories of plain manifests, a helm chart
// rendered by a script into a kustomize base, and other tools' configs to convert.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parse } from 'yaml';
import { type Draft, toName, uniqueKey } from './draft.ts';
import { fromBase, kustomizationFile, manifestGlobs, posix } from './paths.ts';

export interface Scanned {
  dockerfiles: string[];
  charts: string[];
  /** kustomizations that are apps: not components, not bases of another kustomization */
  kustomizations: string[];
  /** overlays of a base beside the one taken as the app (staging, prod ...) */
  otherOverlays: string[];
  /** kustomize Components (kind: Component), never apps */
  components: string[];
  manifestDirs: string[];
  /** a chart a script renders (helm template ... > base/file.yaml) into a kustomization that lists the file */
  helmIntoKustomize: {
    chart: string;
    kustomize: string;
    releaseName?: string;
    namespace?: string;
    values: string[];
    script: string;
    output: string;
  }[];
  /** devspace.yaml, skaffold.yaml, compose files at the root */
  configs: { tool: 'devspace' | 'skaffold' | 'compose'; file: string }[];
  envFile?: string;
}

const SKIP = new Set(['node_modules', '.git', '.kloop', 'dist', 'build', 'vendor', 'target', '.venv', '.idea']);
const MAX_DEPTH = 5;
const KUSTOMIZATION = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
export const CONFIG_FILES: Scanned['configs'] = [
  { tool: 'devspace', file: 'devspace.yaml' },
  { tool: 'devspace', file: 'devspace.yml' },
  { tool: 'skaffold', file: 'skaffold.yaml' },
  { tool: 'skaffold', file: 'skaffold.yml' },
  { tool: 'compose', file: 'compose.yaml' },
  { tool: 'compose', file: 'compose.yml' },
  { tool: 'compose', file: 'docker-compose.yaml' },
  { tool: 'compose', file: 'docker-compose.yml' },
];

function looksLikeManifest(file: string): boolean {
  try {
    const text = readFileSync(file, 'utf8');
    return /^apiVersion:\s*\S+/m.test(text) && /^kind:\s*\S+/m.test(text);
  } catch {
    return false;
  }
}

function readKustomization(root: string, dir: string): Record<string, unknown> {
  const file = kustomizationFile(root, dir);
  try {
    const doc = file ? parse(readFileSync(file, 'utf8')) : undefined;
    return doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Directories and files a kustomization refers to (resources, bases, components), relative to root. */
function kustomizationRefs(root: string, dir: string): string[] {
  const k = readKustomization(root, dir);
  const refs = ['resources', 'bases', 'components'].flatMap((key) =>
    Array.isArray(k[key]) ? (k[key] as unknown[]) : [],
  );
  return refs.filter((r): r is string => typeof r === 'string' && !/^[a-z]+:\/\//.test(r)).map((r) => fromBase(dir, r));
}

export function scan(root: string): Scanned {
  const found: Scanned = {
    dockerfiles: [],
    charts: [],
    kustomizations: [],
    components: [],
    otherOverlays: [],
    manifestDirs: [],
    helmIntoKustomize: [],
    configs: CONFIG_FILES.filter((c) => existsSync(join(root, c.file))),
  };
  const scripts: string[] = [];
  const kustomizations: string[] = [];
  const walk = (dir: string, depth: number, insideChart: boolean) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    const rel = posix(relative(root, dir));
    const isChart = names.has('Chart.yaml');
    const isKustomization = KUSTOMIZATION.some((k) => names.has(k));
    if (isChart && !insideChart) found.charts.push(rel);
    else if (isKustomization && !insideChart) kustomizations.push(rel);
    else if (!insideChart && dir !== root) {
      const yamls = entries.filter((e) => e.isFile() && /\.ya?ml$/.test(e.name));
      if (yamls.length && yamls.some((e) => looksLikeManifest(join(dir, e.name)))) found.manifestDirs.push(rel);
    }
    for (const e of entries) {
      if (!e.isFile() || insideChart) continue;
      const p = posix(relative(root, join(dir, e.name)));
      if (e.name === 'Dockerfile' || /^Dockerfile\.|\.Dockerfile$/.test(e.name)) found.dockerfiles.push(p);
      if (/\.(sh|bash)$/.test(e.name) || e.name === 'Makefile') scripts.push(p);
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of entries) {
      if (e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith('.'))
        walk(join(dir, e.name), depth + 1, insideChart || isChart);
    }
  };
  walk(root, 0, false);

  // a base another kustomization builds on is not an app of its own; a Component never is
  const referenced = new Set(kustomizations.flatMap((k) => kustomizationRefs(root, k)));
  for (const k of kustomizations) {
    if (readKustomization(root, k).kind === 'Component') found.components.push(k);
    else if (!referenced.has(k)) found.kustomizations.push(k);
  }
  // directories of manifests a kustomization lists (or holds) belong to it
  found.manifestDirs = found.manifestDirs.filter(
    (d) => !referenced.has(d) && !kustomizations.some((k) => k === '.' || d.startsWith(`${k}/`)),
  );
  found.helmIntoKustomize = helmScripts(root, scripts, kustomizations);
  for (const h of found.helmIntoKustomize) {
    found.charts = found.charts.filter((c) => c !== h.chart);
    found.components = found.components.filter((c) => c !== h.kustomize);
    // overlays built on the generated base cannot render without the script: the base is the app
    const built = found.kustomizations.filter(
      (k) => k !== h.kustomize && kustomizationRefs(root, k).includes(h.kustomize),
    );
    found.otherOverlays.push(...built);
    found.kustomizations = found.kustomizations.filter((k) => k !== h.kustomize && !built.includes(k));
  }
  // overlays/dev, overlays/staging, overlays/prod of one base are one app: the inner loop takes the dev one
  const groups = new Map<string, string[]>();
  for (const k of found.kustomizations) {
    const i = k.lastIndexOf('/overlays/');
    if (i >= 0) groups.set(k.slice(0, i), [...(groups.get(k.slice(0, i)) ?? []), k]);
  }
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    const keep = list.find((k) => /\/overlays\/(dev|local|development)$/.test(k)) ?? list[0];
    found.otherOverlays.push(...list.filter((k) => k !== keep));
    found.kustomizations = found.kustomizations.filter((k) => k === keep || !list.includes(k));
  }
  found.envFile = ['.env', '.env.template'].find((f) => existsSync(join(root, f)));
  return found;
}

/**
 * `helm template [NAME] CHART [-f values] ... > DIR/FILE` (or `--output-dir`-less redirects) in a
 * script, where DIR is a kustomization listing FILE: one app, helm + kustomize. Paths in scripts are
 * tried relative to the repository root and to the script's directory (and its parent, for scripts
 * that `cd ..` first).
 */
function helmScripts(root: string, scripts: string[], kustomizations: string[]): Scanned['helmIntoKustomize'] {
  const out: Scanned['helmIntoKustomize'] = [];
  for (const script of scripts) {
    let text: string;
    try {
      text = readFileSync(join(root, script), 'utf8');
    } catch {
      continue;
    }
    const bases = ['.', dirname(script), dirname(dirname(script))];
    const locate = (p: string, test: (rel: string) => boolean) =>
      p.includes('$') ? undefined : bases.map((b) => fromBase(b, p)).find(test);
    for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
      const m = /\bhelm\s+template\s+(.*?)\s*>\s*((?:"[^"]*"|'[^']*'|[^\s|;&])+)/.exec(line);
      if (!m) continue;
      const unquote = (w: string) => w.replace(/["']/g, '');
      const words = (m[1] ?? '').split(/\s+/).filter(Boolean).map(unquote);
      const positional: string[] = [];
      const values: string[] = [];
      let namespace: string | undefined;
      for (let i = 0; i < words.length; i++) {
        const w = words[i] ?? '';
        if (w === '-f' || w === '--values') values.push(words[++i] ?? '');
        else if (w === '-n' || w === '--namespace') namespace = words[++i];
        else if (w.startsWith('--namespace=')) namespace = w.slice('--namespace='.length);
        else if (/^(-f|--values=)/.test(w)) values.push(w.replace(/^(-f|--values=)/, ''));
        else if (w.startsWith('-')) {
          if (
            !w.includes('=') &&
            /^--(namespace|set|set-string|version|kube-version|api-versions|name-template)$|^-n$/.test(w)
          )
            i++;
        } else positional.push(w);
      }
      const chartArg = positional.at(-1) ?? '';
      const outArg = unquote(m[2] ?? '');
      // a loop over apps: helm template "$app"/helm > "$app"/kustomize/base/all.yaml
      const pairs: { chart?: string; output?: string; prefix?: string }[] = [];
      const chartVar = /^\$\{?(\w+)\}?(\/.*)$/.exec(chartArg);
      const outVar = /^\$\{?(\w+)\}?(\/.*)$/.exec(outArg);
      if (chartVar && outVar && chartVar[1] === outVar[1]) {
        const os = outVar[2] ?? '';
        for (const k of kustomizations) {
          const file = `${k}/${basename(os)}`;
          if (!file.endsWith(os)) continue;
          const prefix = file.slice(0, -os.length);
          const chart = fromBase(prefix, `.${chartVar[2]}`);
          if (existsSync(join(root, chart, 'Chart.yaml'))) pairs.push({ chart, output: file, prefix });
        }
      } else
        pairs.push({
          chart: locate(chartArg, (c) => existsSync(join(root, c, 'Chart.yaml'))),
          output: locate(outArg, (f) => kustomizations.includes(dirname(f))),
        });
      for (const { chart, output, prefix } of pairs) {
        if (!chart || !output) continue;
        const kustomize = dirname(output);
        if (!kustomizationRefs(root, kustomize).includes(output)) continue;
        // the script runs envsubst over the chart first: listing the chart's values.yaml makes kloop
        // substitute its $VARs the same way (helm reads it as its defaults either way)
        const own = `${chart}/values.yaml`;
        const listed = /\benvsubst\b/.test(text) && existsSync(join(root, own)) && !values.length ? [own] : values;
        const valueFiles = listed
          .map((v) => (prefix && chartVar ? v.replace(new RegExp(`^\\$\\{?${chartVar[1]}\\}?`), prefix) : v))
          .map((v) => locate(v, (f) => existsSync(join(root, f))) ?? v);
        out.push({
          chart,
          kustomize,
          ...(positional.length > 1 && !positional[0]?.includes('$') ? { releaseName: positional[0] } : {}),
          values: valueFiles,
          ...(namespace && !namespace.includes('$') ? { namespace } : {}),
          script,
          output,
        });
      }
    }
  }
  return out;
}

/** An app name from a directory, leaving out the words every layout uses. */
export function appNameFor(dir: string, fallback: string): string {
  const generic = new Set([
    'deploy',
    'deployment',
    'deployments',
    'charts',
    'chart',
    'k8s',
    'kubernetes',
    'manifests',
    'helm',
    'kustomize',
    'overlays',
    'overlay',
    'base',
    '.',
  ]);
  const all = dir.split('/');
  // deploy/redis/overlays/dev is the redis app (its dev overlay), not an app called dev
  const overlay = all.lastIndexOf('overlays');
  const named = overlay > 0 ? all.slice(0, overlay) : all;
  const parts = named.filter((p) => !generic.has(p) && p !== '..');
  return toName(parts.at(-1) ?? fallback);
}

/** Apps and images from what the scan found (used when no converted config names them). */
export function scannedIntoDraft(
  root: string,
  project: string,
  found: Scanned,
  draft: Draft,
  withImages: boolean,
): void {
  if (withImages) {
    for (const dockerfile of found.dockerfiles) {
      const covered = Object.values(draft.images).some(
        (i) => (i.dockerfile ?? fromBase(String(i.context ?? '.'), 'Dockerfile')) === dockerfile,
      );
      if (covered) continue;
      const dir = dirname(dockerfile);
      const file = basename(dockerfile);
      const base = dir === '.' ? project : basename(dir);
      const name = uniqueKey(
        toName(file === 'Dockerfile' ? base : `${base}-${file.replace(/\.?Dockerfile\.?/, '')}`),
        draft.images,
      );
      draft.images[name] = {
        image: `${project}/${name}`,
        context: dir,
        ...(file === 'Dockerfile' ? {} : { dockerfile }),
      };
    }
  }
  // the converted config names the generated base: the chart that fills it joins the app
  for (const h of found.helmIntoKustomize) {
    for (const [name, app] of Object.entries(draft.apps)) {
      if (app.kustomize !== h.kustomize || app.helm) continue;
      app.helm = {
        chart: h.chart,
        ...(h.releaseName ? { releaseName: h.releaseName } : {}),
        ...(h.values.length ? { values: h.values } : {}),
      };
      draft.notes.push({
        file: h.script,
        path: `helm template → ${h.output}`,
        reason: `app ${name} renders ${h.chart} into ${h.output} itself (helm + kustomize); the script is no longer needed before a deploy`,
      });
    }
  }
  if (draft.namesManifests) return;
  const add = (dir: string, spec: Record<string, unknown>) => {
    draft.apps[uniqueKey(appNameFor(dir, project), draft.apps)] = spec;
  };
  for (const h of found.helmIntoKustomize) {
    const helm: Record<string, unknown> = { chart: h.chart };
    if (h.releaseName) helm.releaseName = h.releaseName;
    if (h.values.length) helm.values = h.values;
    draft.apps[uniqueKey(appNameFor(h.chart, project), draft.apps)] = {
      ...(h.namespace ? { namespace: h.namespace } : {}),
      helm,
      kustomize: h.kustomize,
    };
    draft.notes.push({
      file: h.script,
      path: `helm template → ${h.output}`,
      reason: existsSync(join(root, h.output))
        ? `converted to one app (helm + kustomize); ${h.output} exists in the repository, so kloop adds the helm output beside it: delete it (and ignore it in git) so kloop writes the output under its name`
        : `converted to one app (helm + kustomize): kloop renders the chart into ${h.output} in a work copy; the script is no longer needed`,
    });
  }
  for (const chart of found.charts) add(chart, { helm: { chart } });
  for (const k of found.kustomizations) add(k, { kustomize: k });
  for (const dir of found.manifestDirs)
    add(dir, { manifests: manifestGlobs(root, dir).filter((g) => !g.endsWith('.json')) });
  for (const o of found.otherOverlays)
    draft.notes.push({
      file: o,
      path: 'overlay',
      reason:
        'an overlay of a base that is already an app: not an app of its own (point the app at it if you want it instead)',
    });
  for (const c of found.components)
    draft.notes.push({
      file: c,
      path: 'kind: Component',
      reason: 'a kustomize Component is not an app of its own: it renders only inside a kustomization that lists it',
    });
}
