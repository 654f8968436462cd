// The command lines of each builder. Builds never tag directly: the builder writes the image ID
// to an --iidfile and kloop tags that ID only after a successful build, so a failed build leaves
// no half-tagged image behind.
import type { ResolvedImage } from '../config/project.ts';

export type EngineTool = 'docker' | 'buildah' | 'podman';

export interface BuildRequest {
  readonly image: ResolvedImage;
  /** file the builder writes the image ID to */
  readonly iidfile: string;
  /** docker only: BuildKit (through buildx) rather than the classic builder */
  readonly buildkit?: boolean;
  /** build without the layer cache */
  readonly noCache?: boolean;
}

function commonFlags(req: BuildRequest): string[] {
  const { image } = req;
  const args = ['-f', image.dockerfile, '--iidfile', req.iidfile];
  for (const key of Object.keys(image.buildArgs).sort()) args.push('--build-arg', `${key}=${image.buildArgs[key]}`);
  if (image.target) args.push('--target', image.target);
  if (image.platform) args.push('--platform', image.platform);
  if (req.noCache) args.push('--no-cache');
  return args;
}

/** `docker build` without -t; BuildKit prints plain progress so its output can be streamed. */
export function dockerBuildArgs(req: BuildRequest): string[] {
  const args = ['build', ...commonFlags(req)];
  // the classic builder would keep failed steps' containers without --force-rm
  if (req.buildkit) args.push('--progress=plain');
  else args.push('--force-rm');
  args.push(req.image.context);
  return args;
}

/** `buildah build` / `podman build` (both take the same flags); --layers keeps the step cache. */
export function ociBuildArgs(req: BuildRequest): string[] {
  return ['build', ...commonFlags(req), '--layers', '--force-rm', req.image.context];
}

/** Checks whether `ref` exists in the tool's local image store (exit 0 = present). */
export function existsArgs(tool: EngineTool, ref: string): string[] {
  if (tool === 'podman') return ['image', 'exists', ref];
  if (tool === 'buildah') return ['inspect', '--type', 'image', '--format', '{{.FromImageID}}', ref];
  // the registry digests come with the answer: a skipped image reports its digest for free
  return ['image', 'inspect', '--format', '{{json .RepoDigests}}', ref];
}

export function tagArgs(_tool: EngineTool, id: string, ref: string): string[] {
  return ['tag', id, ref];
}

/** Copies an image from buildah/podman's store into the local Docker engine (for kind, k3d and shared-engine clusters). */
export function toDockerEngineArgs(ref: string): string[] {
  return ['push', ref, `docker-daemon:${ref}`];
}

/**
 * Pushes from buildah/podman's store to the registry named in the reference, with the Docker
 * CLI's credentials (`authfile`) and, for loopback registries, plain HTTP as Docker allows it.
 */
export function ociPushArgs(
  ref: string,
  digestFile: string,
  options: { authfile?: string; insecure?: boolean } = {},
): string[] {
  const args = ['push', '--digestfile', digestFile];
  if (options.authfile) args.push('--authfile', options.authfile);
  if (options.insecure) args.push('--tls-verify=false');
  return [...args, ref, `docker://${ref}`];
}

/**
 * The step a failed build stopped at, from its output: classic "Step 2/5 : RUN make",
 * BuildKit "#7 [build 2/5] RUN make" / " > [2/5] RUN make:", buildah "STEP 2/5: RUN make".
 */
export function failingStep(output: string): string | undefined {
  let step: string | undefined;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trimEnd();
    let m = /^Step (\d+\/\d+) : (.*)$/.exec(line);
    if (m) {
      step = `step ${m[1]}: ${m[2]}`;
      continue;
    }
    m = /^STEP (\d+(?:\/\d+)?): (.*)$/.exec(line);
    if (m) {
      step = `step ${m[1]}: ${m[2]}`;
      continue;
    }
    m = /^ > \[([^\]]+)\] (.*):$/.exec(line);
    if (m) {
      // BuildKit's error summary names the failed step; it outranks earlier progress lines
      return `step ${m[1]}: ${m[2]}`;
    }
    m = /^#\d+ \[([^\]]+)\] (.*)$/.exec(line);
    if (m?.[1] && !m[1].startsWith('internal')) step = `step ${m[1]}: ${m[2]}`;
  }
  return step;
}

/** The Dockerfile line a parse error names ("dockerfile parse error line 3: ..." / "Dockerfile:3"). */
export function dockerfileErrorLine(output: string): number | undefined {
  const m = /parse error (?:on )?line (\d+)/i.exec(output) ?? /Dockerfile:(\d+)/.exec(output);
  return m ? Number(m[1]) : undefined;
}

// The classic builder's notice about itself (printed because kloop chose it when buildx is
// missing): noise on every build, so it is not shown.
const legacyNotice = [
  /^DEPRECATED: The legacy builder is deprecated/,
  /^\s+BuildKit is currently disabled; enable it/,
  /^\s+environment-variable\.$/,
  /^\s+Install the buildx component to build images with BuildKit:$/,
  /^\s+https:\/\/docs\.docker\.com\/go\/buildx\/$/,
];

export function isBuilderNoise(line: string): boolean {
  return legacyNotice.some((re) => re.test(line));
}

/** What the failing step printed: the output after the last step marker, without progress chatter. */
export function failureOutput(output: string, max = 12): string[] {
  const lines = output.split(/\r?\n/);
  let start = 0;
  lines.forEach((line, i) => {
    if (/^(Step \d+\/\d+ : |STEP \d+|#\d+ \[)/.test(line)) start = i;
  });
  const relevant = lines
    .slice(start)
    .filter((l) => l.trim() !== '' && !isBuilderNoise(l) && !/^ ---> |^Removing intermediate container/.test(l));
  return relevant.slice(-max);
}
