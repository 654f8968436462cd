// What is written next to the rendered files: hydrator.metadata (Argo CD's field names, plus
// kloop's images with digests, tools and paths) and a README that says how to reproduce the render.
// Nothing here depends on the clock: the same inputs give the same bytes, so a re-run commits nothing.
import { execFile } from 'node:child_process';
import type { ImageInfo, RenderMetadata } from '../render/index.ts';
import { normalizeRepository, parseImageRef } from '../render/images.ts';

export interface PromoteImage {
  ref: string;
  tag?: string;
  digest?: string;
}

export interface GitopsMetadata {
  author?: string;
  subject?: string;
  date?: string;
  body?: string;
  drySha?: string;
  repoURL?: string;
  references: Array<{
    commit: { author?: string; sha?: string; subject?: string; body?: string; repoURL?: string; date?: string };
  }>;
  kloop: {
    version: string;
    project: string;
    environment: string;
    kubeVersion: string;
    dirty: boolean;
    /** the environment this was promoted from with --from */
    from?: string;
    images: Record<string, PromoteImage>;
    /** variables set by --var or the process environment (not by files in the commit); secret ones as ****** */
    overrides?: Record<string, string>;
    tools: Record<string, string>;
    /** app -> namespace and file in this repository */
    apps: Record<string, { namespace: string; path: string; objects: number }>;
    validated: boolean;
  };
}

export function buildMetadata(
  meta: RenderMetadata,
  environment: string,
  images: Record<string, PromoteImage>,
  appFiles: Record<string, string>,
  from?: string,
  overrides: Record<string, string> = {},
): GitopsMetadata {
  const commit = {
    author: meta.author,
    sha: meta.drySha,
    subject: meta.subject,
    body: meta.body,
    repoURL: meta.repoURL,
    date: meta.date,
  };
  return {
    author: meta.author,
    subject: meta.subject,
    date: meta.date,
    body: meta.body,
    drySha: meta.drySha,
    repoURL: meta.repoURL,
    references: meta.drySha ? [{ commit }] : [],
    kloop: {
      version: meta.kloop.version,
      project: meta.kloop.project,
      environment,
      kubeVersion: meta.kloop.kubeVersion,
      dirty: Boolean(meta.kloop.dirty),
      ...(from ? { from } : {}),
      images,
      ...(Object.keys(overrides).length ? { overrides } : {}),
      tools: meta.kloop.tools,
      apps: Object.fromEntries(
        Object.entries(meta.kloop.apps).map(([name, a]) => [
          name,
          { namespace: a.namespace, path: appFiles[name] ?? '', objects: a.objects },
        ]),
      ),
      validated: meta.kloop.validated,
    },
  };
}

export function parseMetadata(text: string | undefined): GitopsMetadata | undefined {
  if (!text) return undefined;
  try {
    const data = JSON.parse(text) as GitopsMetadata;
    return data && typeof data === 'object' && data.kloop ? data : undefined;
  } catch {
    return undefined;
  }
}

/** A digest for each image: the pinned one, else what the local Docker Engine recorded for the ref. */
export async function imagesWithDigests(
  images: Record<string, ImageInfo>,
  docker: string | undefined,
): Promise<Record<string, PromoteImage>> {
  const out: Record<string, PromoteImage> = {};
  for (const [name, info] of Object.entries(images)) {
    const digest = info.digest ?? (docker ? await localDigest(docker, info.ref) : undefined);
    out[name] = { ref: info.ref, ...(info.tag ? { tag: info.tag } : {}), ...(digest ? { digest } : {}) };
  }
  return out;
}

function localDigest(docker: string, ref: string): Promise<string | undefined> {
  const repository = normalizeRepository(parseImageRef(ref).repository);
  return new Promise((resolve) => {
    execFile(
      docker,
      ['image', 'inspect', '--format', '{{json .RepoDigests}}', '--', ref],
      { timeout: 15_000, encoding: 'utf8' },
      (error, stdout) => {
        if (error) return resolve(undefined);
        try {
          const digests = JSON.parse(stdout) as string[] | null;
          const match = (digests ?? []).find((d) => normalizeRepository(parseImageRef(d).repository) === repository);
          resolve(match ? parseImageRef(match).digest : undefined);
        } catch {
          resolve(undefined);
        }
      },
    );
  });
}

/** The reference that reproduces an image exactly: with its digest when known. */
export function pinnedRef(image: PromoteImage): string {
  if (!image.digest || image.ref.includes('@')) return image.ref;
  return `${image.ref}@${image.digest}`;
}

export function readme(meta: GitopsMetadata, configPath: string): string {
  const k = meta.kloop;
  const images = reproduceFlags(meta)
    .map((f) => ` \\\n  ${f}`)
    .join('');
  const lines = [
    `# ${k.project} → ${k.environment}`,
    '',
    `Rendered by kloop ${k.version}${meta.drySha ? ` from ${meta.repoURL ?? 'the source repository'} at commit ${meta.drySha}` : ''}${k.dirty ? ' with uncommitted changes (not reproducible)' : ''}.`,
    'Do not edit these files by hand: the next promotion replaces them.',
    '',
    '## Reproduce',
    '',
    '```sh',
    ...(meta.repoURL && meta.drySha
      ? [`git clone ${meta.repoURL} source && cd source`, `git checkout ${meta.drySha}`]
      : []),
    `kloop render --config ${configPath} --env ${k.environment}${images} --out rendered/`,
    '```',
    '',
    '## Files',
    '',
    ...Object.entries(k.apps).map(
      ([name, a]) => `- \`${a.path}\`: app ${name}, namespace ${a.namespace}, ${a.objects} objects`,
    ),
    '',
    `Tools: ${
      Object.entries(k.tools)
        .map(([t, v]) => `${t} ${v}`)
        .join(', ') || 'none recorded'
    }; Kubernetes ${k.kubeVersion}.`,
    '',
  ];
  return lines.join('\n');
}

/** The flags that reproduce a render besides --env: pinned images and variables set outside the commit. */
export function reproduceFlags(meta: GitopsMetadata): string[] {
  const k = meta.kloop;
  return [
    ...Object.entries(k.images).map(([name, i]) => `--image ${name}=${pinnedRef(i)}`),
    ...Object.entries(k.overrides ?? {}).map(([name, v]) => `--var ${name}=${shellQuote(v)}`),
  ];
}

function shellQuote(v: string): string {
  return /^[\w@%+=:,./-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}
