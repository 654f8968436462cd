// A throwaway copy of test/fixtures/gitops/shop as a git repository, a bare GitOps repository with
// a main branch, and a way to run the real kloop CLI in it.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, runCli } from '../../helpers/cli.ts';

export { repoRoot };

const fixture = path.join(repoRoot, 'test/fixtures/gitops/shop');

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const identity = ['-c', 'user.name=Dev Eloper', '-c', 'user.email=dev@example.com'];

export interface Shop {
  dir: string;
  app: string;
  fleet: string;
  /** commits every change in the app repository */
  commit(message: string): string;
  write(rel: string, text: string): void;
  read(rel: string): string;
  /** a file on a branch of the GitOps repository, or undefined */
  show(ref: string, file: string): string | undefined;
  files(ref: string): string[];
  revParse(ref: string): string | undefined;
  kloop(args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  cleanup(): void;
}

/** Sets up the shop app; `repo` is written into kloop.yaml as gitops.repo (default: the bare repo). */
export interface ShopOptions {
  /** gitops.repo written into kloop.yaml (default: the bare repository's relative path) */
  repo?: (fleet: string) => string;
  /** where the bare repository lives, relative to the temporary directory */
  fleetPath?: string;
  /** more gitops: keys (provider, apiUrl ...) */
  gitops?: Record<string, string>;
}

export function makeShop(options: ShopOptions = {}): Shop {
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-gitops-test-'));
  const fleet = path.join(dir, options.fleetPath ?? 'fleet.git');
  mkdirSync(fleet, { recursive: true });
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', fleet);
  const seed = path.join(dir, 'seed');
  git(dir, 'init', '--quiet', '--initial-branch=main', seed);
  writeFileSync(path.join(seed, 'README.md'), '# fleet\n');
  git(seed, 'add', '.');
  git(seed, ...identity, 'commit', '--quiet', '-m', 'fleet');
  git(seed, 'push', '--quiet', fleet, 'main');
  rmSync(seed, { recursive: true, force: true });

  const app = path.join(dir, 'app');
  cpSync(fixture, app, { recursive: true });
  renameSync(path.join(app, 'dot-env'), path.join(app, '.env'));
  renameSync(path.join(app, 'gitignore'), path.join(app, '.gitignore'));
  const config = path.join(app, 'kloop.yaml');
  const repo = options.repo ? options.repo(fleet) : path.relative(app, fleet);
  const extra = Object.entries(options.gitops ?? {})
    .map(([k, v]) => `\n      ${k}: "${v}"`)
    .join('');
  writeFileSync(config, readFileSync(config, 'utf8').replaceAll('"@GITOPS_REPO@"', `"${repo}"${extra}`));
  git(dir, 'init', '--quiet', '--initial-branch=main', app);
  git(app, 'remote', 'add', 'origin', 'https://git.example.com/team/shop.git');

  const shop: Shop = {
    dir,
    app,
    fleet,
    commit(message) {
      git(app, 'add', '--all');
      git(app, ...identity, 'commit', '--quiet', '-m', message);
      return git(app, 'rev-parse', 'HEAD').trim();
    },
    write(rel, text) {
      writeFileSync(path.join(app, rel), text);
    },
    read(rel) {
      return readFileSync(path.join(app, rel), 'utf8');
    },
    show(ref, file) {
      try {
        return git(fleet, 'show', `${ref}:${file}`);
      } catch {
        return undefined;
      }
    },
    files(ref) {
      return git(fleet, 'ls-tree', '-r', '--name-only', ref).trim().split('\n').filter(Boolean);
    },
    revParse(ref) {
      try {
        return git(fleet, 'rev-parse', '--verify', '-q', ref).trim();
      } catch {
        return undefined;
      }
    },
    kloop(args, env = {}) {
      return runKloop(app, args, env);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  shop.commit('shop');
  return shop;
}

const tokenVariables = [
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GITLAB_TOKEN',
  'SYSTEM_ACCESSTOKEN',
  'AZURE_DEVOPS_EXT_PAT',
  'GITEA_TOKEN',
  'BITBUCKET_TOKEN',
];

export async function runKloop(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
  for (const t of tokenVariables) delete base[t];
  const r = await runCli(args, { cwd, env: { ...base, ...env } });
  return { ...r, code: r.code ?? -1 };
}
