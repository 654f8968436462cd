// Running the real git for the GitOps checkout. Credentials reach git only through environment
// variables (GIT_CONFIG_COUNT/KEY/VALUE → an http.<origin>.extraHeader), never through argv, a URL
// or an error message; every user-controlled value is passed after `--` or as a ref git cannot
// mistake for an option.
import type { ChildProcess } from 'node:child_process';
import { ProcessFailure, run } from '../process/exec.ts';
import { redact, registerSecret } from '../log/redact.ts';

export interface GitAuth {
  /** the origin the header is scoped to, e.g. https://github.com/ */
  origin: string;
  /** the full header value, e.g. "Basic eC1hY2Nlc3MtdG9rZW46..." */
  header: string;
}

export interface GitOptions {
  /** the git binary */
  git: string;
  auth?: GitAuth;
  /** where the credential came from (a variable name), for messages */
  authSource?: string;
  /** extra environment (tests add GIT_TRACE here) */
  env?: Readonly<Record<string, string>>;
}

/** git ran and failed: the process runner's failure shape, its stderr redacted. */
export { ProcessFailure as GitFailure };

/** Basic credentials for git over HTTPS; the token and its encoded forms are registered as secrets. */
export function basicAuth(origin: string, user: string, token: string): GitAuth {
  registerSecret(token);
  const encoded = Buffer.from(`${user}:${token}`).toString('base64');
  registerSecret(encoded);
  return { origin, header: `Authorization: Basic ${encoded}` };
}

export function bearerAuth(origin: string, token: string): GitAuth {
  registerSecret(token);
  return { origin, header: `Authorization: Bearer ${token}` };
}

function gitEnv(options: GitOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // never wait for a password prompt; a missing credential is an error
    GIT_TERMINAL_PROMPT: '0',
    GCM_INTERACTIVE: 'never',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LC_ALL: 'C',
    ...options.env,
  };
  // The lead's environment may carry its own GIT_CONFIG_COUNT: ours replaces it for this process.
  for (const key of Object.keys(env)) if (/^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+)$/.test(key)) delete env[key];
  if (options.auth) {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = `http.${options.auth.origin}.extraHeader`;
    env.GIT_CONFIG_VALUE_0 = options.auth.header;
  }
  return env;
}

/** git processes still running: an interrupted promote waits for them before removing their directories. */
export const runningGit = new Set<ChildProcess>();

/** Runs git; resolves stdout, rejects with a GitFailure (redacted) or a KloopError when git is missing. */
export function git(
  options: GitOptions,
  args: readonly string[],
  cwd?: string,
  input?: string,
): Promise<{ stdout: string; stderr: string }> {
  return run(options.git, args, {
    cwd,
    env: gitEnv(options),
    input,
    tool: 'git',
    installHint: 'install git or set tools.git in kloop.yaml',
    redact,
    onSpawn: (child) => {
      runningGit.add(child);
      child.on('close', () => runningGit.delete(child));
    },
  });
}

/** Whether a string is a remote URL (scheme:// or scp-like user@host:path) rather than a local path. */
export function isRemoteUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\s:]+@[^/\s:]+:/.test(repo);
}
