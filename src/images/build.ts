// `kloop build` as a library: tag every image by its inputs, skip those whose tag the local
// engine already has, build the rest (a bounded number at once), then get them to the cluster.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { Project, ResolvedImage } from '../config/project.ts';
import { projectEnv, runHooks } from '../hooks/hooks.ts';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';
import {
  dockerBuildArgs,
  dockerfileErrorLine,
  type EngineTool,
  existsArgs,
  failingStep,
  failureOutput,
  isBuilderNoise,
  ociBuildArgs,
  ociPushArgs,
  tagArgs,
  toDockerEngineArgs,
} from './builders.ts';
import { dockerUsesBuildKit } from './buildkit.ts';
import { exec, plain, tail } from '../process/exec.ts';
import { alreadyLoaded, type LoadPlan, loadImage, planLoad, recordLoaded } from './load.ts';
import { dockerConfigPath, isLoopbackRegistry, manifestState, parseImageName } from './registry.ts';
import { computeTag, findImage } from './tag.ts';

export interface BuildOptions {
  /** build even when the tag exists */
  readonly force?: boolean;
  /** false: leave images in the local engine (--no-load) */
  readonly load?: boolean;
  /** images built at once (default: build.parallel) */
  readonly parallel?: number;
  /** each output line of a builder, by image; default: logged with the image name as prefix */
  readonly onOutput?: (image: string, line: string) => void;
}

export interface BuiltImage {
  readonly ref: string;
  readonly tag: string;
  /** registry digest, when the image was pushed (or pulled) and the engine knows it */
  readonly digest?: string;
  readonly skipped: boolean;
  /** pushed to the registry by this run (remote clusters); false when the registry had the tag */
  readonly pushed?: boolean;
}

function engineOf(project: Project, image: ResolvedImage): { tool: EngineTool; file: string } {
  if (image.builder === 'buildah' || image.builder === 'podman') return { tool: image.builder, file: image.builder };
  return { tool: 'docker', file: project.tools.docker };
}

async function exists(file: string, tool: EngineTool, ref: string): Promise<boolean> {
  return (await inspect(file, tool, ref)).exists;
}

/** Whether the engine has `ref`, and (Docker) the registry digest it recorded for the image's repository. */
async function inspect(file: string, tool: EngineTool, ref: string): Promise<{ exists: boolean; digest?: string }> {
  const r = await exec(file, existsArgs(tool, ref));
  if (r.code !== 0) {
    if (
      tool === 'docker' &&
      /Cannot connect to the Docker daemon|error during connect|Is the docker daemon running/i.test(r.output)
    ) {
      throw new KloopError('the Docker Engine is not reachable', {
        details: tail(r.output, 3),
        hint: 'start Docker (docker info must work), or point DOCKER_HOST / the docker context at a running engine',
      });
    }
    return { exists: false };
  }
  if (tool !== 'docker') return { exists: true };
  const repository = ref.slice(0, ref.lastIndexOf(':'));
  try {
    const digests = JSON.parse(r.stdout) as string[] | null;
    const mine = digests?.find((d) => d.startsWith(`${repository}@`));
    return mine ? { exists: true, digest: mine.slice(repository.length + 1) } : { exists: true };
  } catch {
    return { exists: true };
  }
}

/** Builds the named images (all when none are named); throws a KloopError when any build fails. */
export async function buildImages(
  project: Project,
  names: readonly string[] = [],
  options: BuildOptions = {},
): Promise<Record<string, BuiltImage>> {
  const selected = names.length ? [...new Set(names)] : Object.keys(project.images);
  for (const name of selected) findImage(project, name);
  if (selected.length === 0) return {};

  const plan: LoadPlan =
    options.load === false
      ? { method: 'none', reason: '--no-load' }
      : planLoad(project.build.load, project.cluster.context);
  const onOutput = options.onOutput ?? ((image: string, line: string) => log.prefixed(image, line));
  const parallel = options.parallel ?? project.build.parallel;
  const limit = pLimit(Math.max(1, parallel));

  await runHooks(project, 'beforeBuild', { KLOOP_IMAGES: selected.join(' ') });

  const results: Record<string, BuiltImage> = {};
  const failures: KloopError[] = [];
  await Promise.all(
    selected.map((name) =>
      limit(async () => {
        try {
          const onLine = (line: string) => {
            if (!isBuilderNoise(line)) onOutput(name, line);
          };
          results[name] = await buildOne(project, name, plan, options, onLine);
        } catch (e) {
          if (!(e instanceof KloopError)) throw e;
          failures.push(e);
        }
      }),
    ),
  );
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new KloopError(`${failures.length} images failed to build`, {
      details: failures.flatMap((f) => [f.message, ...f.details.map((d) => `  ${d}`)]),
      hint: failures[0]?.hint,
    });
  }
  const sorted = Object.fromEntries(selected.map((n) => [n, results[n] as BuiltImage]));
  await runHooks(project, 'afterBuild', {
    KLOOP_IMAGES: selected.join(' '),
    KLOOP_IMAGE_REFS: selected.map((n) => results[n]?.ref).join(' '),
  });
  return sorted;
}

async function buildOne(
  project: Project,
  name: string,
  plan: LoadPlan,
  options: BuildOptions,
  onLine: (line: string) => void,
): Promise<BuiltImage> {
  const image = findImage(project, name);
  const computed = computeTag(project, name);
  const { tag, ref } = computed;
  if (computed.stateDirSent) {
    log.warn(`image "${name}": the build context sends kloop's state directory; add ".kloop" to .dockerignore`);
  }
  const engine = engineOf(project, image);
  if (plan.method === 'push' && !options.force) {
    // The registry is what the cluster pulls from: a tag it has needs no build and no push (and
    // refused credentials stop here, before anything is built or applied).
    const remote = await manifestState(ref, project.vars.process);
    if (remote.exists) {
      log.success(`${name}: ${ref} is in the registry (skipped)`);
      return { ref, tag, ...(remote.digest ? { digest: remote.digest } : {}), skipped: true, pushed: false };
    }
  }
  let skipped = false;
  let digest: string | undefined;
  const found = options.force ? { exists: false } : await inspect(engine.file, engine.tool, ref);
  if (found.exists) {
    digest = found.digest;
    log.success(`${name}: ${ref} is up to date (skipped)`);
    skipped = true;
  } else {
    log.step(`${name}: building ${ref}`);
    if (image.builder === 'custom') await buildCustom(project, image, tag, ref, onLine);
    else await buildWithEngine(project, image, engine, ref, onLine);
    log.success(`${name}: built ${ref}`);
  }

  if (plan.method === 'none' && plan.sharedEngine && engine.tool !== 'docker') {
    // the cluster runs on the Docker engine: a buildah/podman image must be copied there, once
    if (!skipped || !(await exists(project.tools.docker, 'docker', ref))) {
      log.step(`${name}: copying ${ref} into the Docker engine`);
      await fromOciStore(project, engine, name, ref, plan, onLine);
    }
  }
  if (
    (plan.method === 'kind' || plan.method === 'k3d') &&
    skipped &&
    (await alreadyLoaded(project.stateDir, plan, ref, project.tools.docker))
  ) {
    log.success(`${name}: already in ${plan.method} cluster "${plan.cluster}" (not loaded again)`);
    return digest ? { ref, tag, digest, skipped } : { ref, tag, skipped };
  }
  if (plan.method !== 'none') {
    if (plan.method === 'push') log.step(`${name}: pushing ${ref}`);
    if (engine.tool !== 'docker') digest = await fromOciStore(project, engine, name, ref, plan, onLine);
    if (plan.method !== 'push' || engine.tool === 'docker') {
      if (plan.method !== 'push') log.step(`${name}: loading into ${plan.method} ${ref}`);
      digest = (await loadImage(plan, name, ref, project.tools, onLine)).digest ?? digest;
      if (plan.method !== 'push') await recordLoaded(project.stateDir, plan, ref, project.tools.docker);
    }
    if (plan.method === 'push') {
      log.success(`${name}: pushed ${ref}${digest ? ` (${digest})` : ''}`);
      return { ref, tag, ...(digest ? { digest } : {}), skipped, pushed: true };
    }
  }
  return digest ? { ref, tag, digest, skipped } : { ref, tag, skipped };
}

async function buildWithEngine(
  project: Project,
  image: ResolvedImage,
  engine: { tool: EngineTool; file: string },
  ref: string,
  onLine: (line: string) => void,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-build-'));
  try {
    const iidfile = join(dir, 'iid');
    const env = { ...process.env };
    let args: string[];
    if (engine.tool === 'docker') {
      // the same decision the tag was computed with (it picks the ignore file)
      const buildkit = dockerUsesBuildKit(project.vars.process);
      env.DOCKER_BUILDKIT = buildkit ? '1' : '0';
      args = dockerBuildArgs({ image, iidfile, buildkit, noCache: false });
    } else {
      args = ociBuildArgs({ image, iidfile });
    }
    const result = await exec(engine.file, args, { env, onLine, cwd: project.root });
    if (result.code !== 0) throw buildFailure(image, result.output);
    const id = readFileSync(iidfile, 'utf8').trim();
    if (!id) throw buildFailure(image, `${result.output}\n${engine.tool} wrote no image ID`);
    const tagged = await exec(engine.file, tagArgs(engine.tool, id, ref));
    if (tagged.code !== 0) {
      throw new KloopError(`image "${image.name}": could not tag ${id} as ${ref}`, { details: tail(tagged.output) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildFailure(image: ResolvedImage, output: string): KloopError {
  const step = failingStep(output);
  const line = dockerfileErrorLine(output);
  return new KloopError(`image "${image.name}" failed to build${step ? ` at ${step}` : ''}`, {
    location: { file: image.dockerfile, ...(line ? { line } : {}) },
    details: failureOutput(plain(output)),
    hint: `fix the Dockerfile or the build context; the builder's output is above (kloop build ${image.name} to retry)`,
  });
}

/** builder: custom — the command builds IMAGE; kloop checks that it did. */
async function buildCustom(
  project: Project,
  image: ResolvedImage,
  tag: string,
  ref: string,
  onLine: (line: string) => void,
): Promise<void> {
  const command = image.custom?.command ?? '';
  const env = projectEnv(project, { IMAGE: ref, IMAGE_REPO: image.image, TAG: tag, CONTEXT: image.context });
  const result = await exec('sh', ['-c', command], { cwd: image.context, env, onLine });
  const docker = project.tools.docker;
  if (result.code !== 0) {
    // a command that tagged before failing must not leave an image a later run would skip to
    if (await exists(docker, 'docker', ref)) await exec(docker, ['image', 'rm', '--no-prune', ref]);
    throw new KloopError(`image "${image.name}": custom build command exited with code ${result.code}`, {
      location: { file: project.configFile },
      details: tail(result.output, 12),
      hint: `fix images.${image.name}.custom.command; it runs with sh -c in ${image.context}`,
    });
  }
  if (!(await exists(docker, 'docker', ref))) {
    throw new KloopError(`image "${image.name}": the custom build command did not produce ${ref}`, {
      location: { file: project.configFile },
      hint: 'the command must build and tag $IMAGE in the local Docker engine (e.g. docker build -t "$IMAGE" .)',
    });
  }
}

/** buildah/podman images live in their own store: copy into Docker (kind, k3d, shared engine) or push. */
async function fromOciStore(
  project: Project,
  engine: { tool: EngineTool; file: string },
  name: string,
  ref: string,
  plan: LoadPlan,
  onLine: (line: string) => void,
): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-push-'));
  try {
    const digestFile = join(dir, 'digest');
    const authfile = dockerConfigPath(project.vars.process);
    const args =
      plan.method === 'push'
        ? ociPushArgs(ref, digestFile, {
            ...(existsSync(authfile) ? { authfile } : {}),
            insecure: isLoopbackRegistry(parseImageName(ref).registry),
          })
        : toDockerEngineArgs(ref);
    const result = await exec(engine.file, args, { onLine });
    if (result.code !== 0) {
      throw new KloopError(
        `image "${name}": ${engine.tool} could not ${plan.method === 'push' ? 'push' : 'copy'} ${ref}`,
        {
          details: tail(result.output, 10),
          hint:
            plan.method === 'push'
              ? `log in to the registry: docker login ${parseImageName(ref).registry} (${engine.tool} reads the Docker CLI's credentials)`
              : 'is the Docker engine running?',
        },
      );
    }
    if (plan.method !== 'push') return undefined;
    try {
      return readFileSync(digestFile, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
