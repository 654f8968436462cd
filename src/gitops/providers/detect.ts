// Which forge holds the GitOps repository (gitops.provider, else the remote URL), and its token
// from the usual environment variables. No token or no known forge: promote pushes the branch and
// prints how to open the pull request.
import path from 'node:path';
import type { GitopsConfig } from '../../config/schema.ts';
import { KloopError } from '../../errors.ts';
import { registerSecret } from '../../log/redact.ts';
import { basicAuth, type GitAuth, isRemoteUrl } from '../git.ts';
import { azureForge } from './azure.ts';
import { bitbucketForge } from './bitbucket.ts';
import { giteaForge } from './gitea.ts';
import { githubForge } from './github.ts';
import { gitlabForge } from './gitlab.ts';
import type { Forge, ProviderName } from './types.ts';

export interface RemoteRepo {
  /** what git clones: the URL without embedded credentials, or an absolute local path */
  url: string;
  /** safe to print */
  display: string;
  local: boolean;
  host: string;
  /** scheme://host[:port]/ of an HTTP(S) remote (the scope of the auth header) */
  origin: string;
  /** path segments without a trailing .git */
  segments: string[];
  /** user:password embedded in the URL, moved into a header */
  embeddedAuth?: GitAuth;
}

export function parseRemote(repo: string, root: string): RemoteRepo {
  if (!isRemoteUrl(repo)) {
    const abs = path.resolve(root, repo);
    return { url: abs, display: abs, local: true, host: '', origin: '', segments: [] };
  }
  const scp = /^([^/\s:@]+@)?([^/\s:]+):(?!\/\/)(.*)$/.exec(repo);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) {
    const host = scp[2]!;
    const segments = scp[3]!
      .replace(/\.git\/?$/, '')
      .split('/')
      .filter(Boolean);
    return { url: repo, display: repo, local: false, host, origin: `https://${host}/`, segments };
  }
  let u: URL;
  try {
    u = new URL(repo);
  } catch {
    throw new KloopError(`gitops.repo is not a valid URL: ${repo.replace(/\/\/[^@/]*@/, '//')}`);
  }
  let embeddedAuth: GitAuth | undefined;
  const origin = `${u.protocol}//${u.host}/`;
  if (u.password) {
    const password = decodeURIComponent(u.password);
    registerSecret(password);
    embeddedAuth = basicAuth(origin, decodeURIComponent(u.username), password);
  }
  u.username = '';
  u.password = '';
  const segments = decodeURIComponent(u.pathname)
    .replace(/\.git\/?$/, '')
    .split('/')
    .filter(Boolean);
  return { url: u.toString(), display: u.toString(), local: false, host: u.hostname, origin, segments, embeddedAuth };
}

export function detectProvider(remote: RemoteRepo, configured?: ProviderName): ProviderName | undefined {
  if (configured) return configured;
  if (remote.local) return 'local';
  const h = remote.host.toLowerCase();
  if (h === 'github.com' || h.endsWith('.ghe.com')) return 'github';
  if (h === 'dev.azure.com' || h === 'ssh.dev.azure.com' || h.endsWith('.visualstudio.com')) return 'azure';
  if (h === 'bitbucket.org') return 'bitbucket';
  if (h === 'gitlab.com' || /(^|\.)gitlab\./.test(h)) return 'gitlab';
  if (h === 'codeberg.org' || /(^|\.)(gitea|forgejo)\./.test(h)) return 'gitea';
  return undefined;
}

const tokenVariables: Record<Exclude<ProviderName, 'local'>, string[]> = {
  github: ['GITHUB_TOKEN', 'GH_TOKEN'],
  gitlab: ['GITLAB_TOKEN'],
  azure: ['SYSTEM_ACCESSTOKEN', 'AZURE_DEVOPS_EXT_PAT'],
  gitea: ['GITEA_TOKEN'],
  bitbucket: ['BITBUCKET_TOKEN'],
};

export interface ForgeChoice {
  remote: RemoteRepo;
  provider?: ProviderName;
  forge?: Forge;
  /** how git authenticates (forge token, else credentials that were in the URL) */
  gitAuth?: GitAuth;
  /** why no pull request can be opened automatically */
  manualReason?: string;
}

export function chooseForge(
  gitops: Pick<GitopsConfig, 'repo' | 'provider' | 'apiUrl'>,
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): ForgeChoice {
  const remote = parseRemote(gitops.repo, root);
  const provider = detectProvider(remote, gitops.provider);
  if (!provider) {
    return {
      remote,
      gitAuth: remote.embeddedAuth,
      manualReason: `kloop does not know the forge at ${remote.host}; set gitops.provider (and gitops.apiUrl) in kloop.yaml`,
    };
  }
  if (provider === 'local' || remote.local) {
    return { remote, provider, gitAuth: remote.embeddedAuth, manualReason: 'the GitOps repository is not on a forge' };
  }
  const names = tokenVariables[provider];
  const variable = names.find((n) => env[n]);
  if (!variable) {
    return {
      remote,
      provider,
      gitAuth: remote.embeddedAuth,
      manualReason: `no token for ${provider}: set ${names.join(' or ')}`,
    };
  }
  const token = env[variable]!;
  registerSecret(token);
  const make = {
    github: githubForge,
    gitlab: gitlabForge,
    azure: azureForge,
    gitea: giteaForge,
    bitbucket: bitbucketForge,
  }[provider];
  const forge = make(remote, token, variable, gitops.apiUrl ?? ciApiUrl(provider, remote, env));
  return { remote, provider, forge, gitAuth: forge.gitAuth };
}

/** In the forge's own CI, the API URL it announces for this very server (GitHub Enterprise, self-managed GitLab). */
function ciApiUrl(
  provider: ProviderName,
  remote: RemoteRepo,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const sameHost = (url: string | undefined) => {
    try {
      return url !== undefined && new URL(url).hostname === remote.host;
    } catch {
      return false;
    }
  };
  if (provider === 'github' && sameHost(env.GITHUB_SERVER_URL)) return env.GITHUB_API_URL;
  if (provider === 'gitlab' && sameHost(env.CI_SERVER_URL)) return env.CI_API_V4_URL;
  return undefined;
}
