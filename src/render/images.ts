// Image wiring: containers whose image repository matches an `images:` entry get that image's
// reference (pinned with --image, else the tag `kloop build` computes).
import { describe } from './objects.ts';
import type { ImageRewrite, KubeObject } from './types.ts';

export interface ImageRef {
  repository: string;
  tag?: string;
  digest?: string;
}

/** Splits `repo[:tag][@digest]`; a `:` before the last `/` belongs to a registry port. */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: rest, tag, digest };
}

/** docker.io/library/nginx, docker.io/nginx and nginx are one repository. */
export function normalizeRepository(repository: string): string {
  const first = repository.split('/')[0]!;
  const hasRegistry = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repo = hasRegistry ? repository : `docker.io/${repository}`;
  if (repo.startsWith('index.docker.io/')) repo = `docker.io/${repo.slice('index.docker.io/'.length)}`;
  if (/^docker\.io\/[^/]+$/.test(repo)) repo = `docker.io/library/${repo.slice('docker.io/'.length)}`;
  return repo.toLowerCase();
}

interface Container {
  name?: string;
  image?: unknown;
}

/** Pod specs inside an object: a Pod, any workload template, and CronJob job templates. */
function podSpecs(o: KubeObject): Array<Record<string, unknown>> {
  const specs: Array<Record<string, unknown>> = [];
  type Spec = Record<string, unknown> & { template?: { spec?: unknown }; jobTemplate?: { spec?: Spec } };
  const spec = o.spec as Spec | undefined;
  if (!spec || typeof spec !== 'object') return specs;
  const add = (s: unknown) => {
    if (s && typeof s === 'object' && !Array.isArray(s)) specs.push(s as Record<string, unknown>);
  };
  if (o.kind === 'Pod') add(spec);
  add(spec.template?.spec);
  add(spec.jobTemplate?.spec?.template?.spec);
  return specs;
}

/** The images: names whose repository some container in the objects uses. */
export function usedImages(
  objects: readonly KubeObject[],
  images: ReadonlyArray<{ name: string; repository: string }>,
): Set<string> {
  const byRepo = new Map(images.map((w) => [normalizeRepository(w.repository), w.name]));
  const used = new Set<string>();
  for (const o of objects)
    for (const spec of podSpecs(o))
      for (const field of ['initContainers', 'containers']) {
        const list = spec[field];
        if (!Array.isArray(list)) continue;
        for (const c of list as Container[]) {
          if (typeof c?.image !== 'string') continue;
          const name = byRepo.get(normalizeRepository(parseImageRef(c.image).repository));
          if (name) used.add(name);
        }
      }
  return used;
}

/**
 * Rewrites matching container images in place. `wanted` maps an images: name to its repository
 * and final reference; returns the rewrites and the names that matched at least one container.
 */
export function wireImages(
  objects: readonly KubeObject[],
  wanted: ReadonlyArray<{ name: string; repository: string; ref: string }>,
): { rewrites: ImageRewrite[]; matched: Set<string> } {
  const byRepo = new Map(wanted.map((w) => [normalizeRepository(w.repository), w]));
  const rewrites: ImageRewrite[] = [];
  const matched = new Set<string>();
  if (byRepo.size === 0) return { rewrites, matched };
  for (const o of objects) {
    for (const spec of podSpecs(o)) {
      for (const field of ['initContainers', 'containers']) {
        const list = spec[field];
        if (!Array.isArray(list)) continue;
        for (const c of list as Container[]) {
          if (typeof c?.image !== 'string') continue;
          const w = byRepo.get(normalizeRepository(parseImageRef(c.image).repository));
          if (!w) continue;
          matched.add(w.name);
          if (c.image === w.ref) continue;
          rewrites.push({ image: w.name, object: describe(o), container: c.name ?? '', from: c.image, to: w.ref });
          c.image = w.ref;
        }
      }
    }
  }
  return { rewrites, matched };
}
