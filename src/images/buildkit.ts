// Whether `docker build` will use BuildKit: the docker CLI does when its buildx plugin is installed,
// unless DOCKER_BUILDKIT=0. It matters before any build: the two builders read different ignore
// files (BuildKit prefers <Dockerfile>.dockerignore), so the tag must know which one applies.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the docker CLI looks for plugins on Linux and macOS, user directory first. */
export function pluginDirs(env: Readonly<Record<string, string | undefined>>): string[] {
  const dirs: string[] = [];
  const config = env.DOCKER_CONFIG ?? (env.HOME ? join(env.HOME, '.docker') : undefined);
  if (config) dirs.push(join(config, 'cli-plugins'));
  dirs.push(
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
    '/Applications/Docker.app/Contents/Resources/cli-plugins',
    '/opt/homebrew/lib/docker/cli-plugins',
  );
  return dirs;
}

export function dockerUsesBuildKit(
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean = existsSync,
): boolean {
  if (env.DOCKER_BUILDKIT === '0' || env.DOCKER_BUILDKIT === 'false') return false;
  return pluginDirs(env).some((dir) => exists(join(dir, 'docker-buildx')));
}
