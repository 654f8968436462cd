// The image tag is a hash of everything that decides what a build produces: the files the context
// sends after .dockerignore (paths, modes, contents), the Dockerfile, build args, target, platform
// and, for custom builders, the command. Same inputs → same tag, so an image whose tag already
// exists is not rebuilt, and render can compute the reference without building.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import type { Project, ResolvedImage } from '../config/project.ts';
import { KloopError } from '../errors.ts';
import { dockerUsesBuildKit } from './buildkit.ts';
import { fileDigest, insideContext, type WalkStats, walkContext } from './context.ts';
import { ignoreFileFor, loadDockerignore } from './dockerignore.ts';

/** Bumped whenever the hashed form changes, so old tags are not mistaken for new ones. */
const TAG_FORMAT = 'kloop-tag-v1';
export const TAG_LENGTH = 16;

export interface TagResult {
  readonly tag: string;
  /** <image>:<tag> */
  readonly ref: string;
  readonly stats: WalkStats & { entries: number; ignoreFile?: string };
  /** kloop's state directory lies in the context and .dockerignore does not leave it out */
  readonly stateDirSent: boolean;
}

export function findImage(project: Project, imageName: string): ResolvedImage {
  const image = project.images[imageName];
  if (!image) {
    const known = Object.keys(project.images);
    throw new KloopError(`no image "${imageName}" in ${project.configFile}`, {
      hint: known.length ? `images: ${known.join(', ')}` : 'add it under images: in kloop.yaml',
    });
  }
  return image;
}

function builderKind(project: Project, image: ResolvedImage): 'buildkit' | 'classic' | 'oci' {
  if (image.builder === 'buildah' || image.builder === 'podman') return 'oci';
  return dockerUsesBuildKit(project.vars.process) ? 'buildkit' : 'classic';
}

/** Computes the content-hash tag of one image with statistics about the walk. */
export function computeTag(project: Project, imageName: string): TagResult {
  const image = findImage(project, imageName);
  const custom = image.builder === 'custom';
  if (custom && !image.custom) {
    throw new KloopError(`image "${imageName}" has builder: custom but no custom.command`, {
      location: { file: project.configFile },
      hint: 'add custom: { command: "<build command>" } to the image',
    });
  }
  if (!custom && !existsSync(image.dockerfile)) {
    throw new KloopError(`image "${imageName}": Dockerfile ${image.dockerfile} does not exist`, {
      location: { file: project.configFile },
      hint: 'set "dockerfile" (relative to kloop.yaml) or add a Dockerfile to the context',
    });
  }

  const kind = custom ? 'classic' : builderKind(project, image);
  const ignoreFile = ignoreFileFor(image.context, custom ? join(image.context, 'Dockerfile') : image.dockerfile, kind);
  // the docker CLI always sends .dockerignore and the Dockerfile, as exceptions after the user's patterns
  const always = ['.dockerignore'];
  const dockerfileRel = custom ? undefined : insideContext(image.context, image.dockerfile);
  if (dockerfileRel) always.push(dockerfileRel);
  const ignore = loadDockerignore(ignoreFile, kind === 'classic' ? 'classic' : 'buildkit', always);
  const inputs = image.custom?.inputs;
  const filter = custom && inputs?.length ? picomatch(inputs as string[], { dot: true }) : undefined;

  // kloop's own state (this cache among it) changes on every run; it never makes an image
  const stateRel = insideContext(image.context, project.stateDir);
  const { entries, stats } = walkContext(image.context, {
    ignore,
    alwaysInclude: always,
    skipDirs: stateRel ? [stateRel] : [],
    filter,
    cacheDir: join(project.stateDir, 'build-cache'),
  });

  const hash = createHash('sha256');
  const header = {
    format: TAG_FORMAT,
    builder: custom ? 'custom' : 'dockerfile',
    dockerfile: custom ? '' : fileDigest(image.dockerfile),
    buildArgs: Object.entries(image.buildArgs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    target: image.target ?? '',
    platform: image.platform ?? '',
    command: image.custom?.command ?? '',
  };
  hash.update(`${JSON.stringify(header)}\n`);
  // one update: per-call overhead of the hash dominates for ten thousand small entries
  hash.update(entries.map((e) => `${e.type}\0${e.mode.toString(8)}\0${e.path}\0${e.digest}\n`).join(''));
  const tag = hash.digest('hex').slice(0, TAG_LENGTH);
  return {
    tag,
    ref: `${image.image}:${tag}`,
    stats: { ...stats, entries: entries.length, ignoreFile },
    stateDirSent: stateRel !== undefined && !filter && !ignore.excludes(stateRel),
  };
}

/** The content-hash tag of an image, computable without building (render uses it for references). */
export async function imageTag(project: Project, imageName: string): Promise<string> {
  return computeTag(project, imageName).tag;
}
