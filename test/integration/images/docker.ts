// Docker for build tests: a check that the engine runs (tests fail without it in CI and skip with a
// message on a laptop), unique repositories per run, and removal of every image a test created.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { requireDocker } from '../../helpers/docker.ts';

/** { ok } when Docker Engine answers; in CI a missing engine fails the suite (test/helpers/docker.ts). */
export async function dockerAvailable(): Promise<{ ok: true } | { ok: false; skip: string }> {
  return (await requireDocker('the build tests'))
    ? { ok: true }
    : { ok: false, skip: 'Docker Engine is not running (docker info failed)' };
}

export function docker(args: string[], options: { input?: string } = {}): string {
  return execFileSync('docker', args, { encoding: 'utf8', input: options.input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function imageExists(ref: string): boolean {
  try {
    docker(['image', 'inspect', '--format', '{{.Id}}', ref]);
    return true;
  } catch {
    return false;
  }
}

/** A unique repository prefix for one test file, and a cleanup that removes every image under it. */
export function testRepos(): { prefix: string; cleanup: () => void } {
  const prefix = `kloop-test-${randomBytes(4).toString('hex')}`;
  return {
    prefix,
    cleanup: () => {
      const refs = docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])
        .split('\n')
        .filter((r) => r.includes(prefix));
      if (refs.length) execFileSync('docker', ['rmi', '-f', ...refs], { stdio: 'ignore' });
      // dangling layers left by builds of these images (their label names the run)
      const dangling = docker(['images', '-q', '--filter', 'dangling=true', '--filter', `label=kloop-test=${prefix}`])
        .split('\n')
        .filter(Boolean);
      if (dangling.length) execFileSync('docker', ['rmi', '-f', ...dangling], { stdio: 'ignore' });
    },
  };
}
