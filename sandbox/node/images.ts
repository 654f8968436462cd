// Image pulls as the kubelet does them: the pull policy decides whether to pull, the pod's
// imagePullSecrets (kubernetes.io/dockerconfigjson or the older dockercfg) give the credentials
// for the registry named in the reference, and failures turn into ErrImagePull, then
// ImagePullBackOff with a doubling back-off per (pod, image), with the kubelet's events.

import type { Store } from '../contract.ts';
import { defaultPullPolicy } from './container-spec.ts';
import { DockerError } from './docker/client.ts';
import type { Engine, ImageInspect } from './docker/engine.ts';
import { type Pod, SECRETS } from './types.ts';

export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress: string;
}

/** The registry host of a reference, as Docker resolves it (no host part: Docker Hub). */
export function registryOf(image: string): { host: string; path: string } {
  const name = image.split('@')[0]!;
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const repo = (hasRegistry ? name.slice(slash + 1) : name).replace(/:[^/]*$/, '');
  if (!hasRegistry) return { host: 'docker.io', path: repo.includes('/') ? repo : `library/${repo}` };
  return { host: first.toLowerCase(), path: repo };
}

const HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * Whether a key of a docker config's `auths` covers the image, as the kubelet's keyring matches:
 * scheme and `/v1/`-style suffixes ignored, the host (with port) equal, the key's path a prefix of
 * the repository path.
 */
export function keyMatches(key: string, image: { host: string; path: string }): boolean {
  let rest = key.trim().replace(/^[a-z]+:\/\//i, '');
  rest = rest.replace(/\/+$/, '');
  const slash = rest.indexOf('/');
  let host = (slash >= 0 ? rest.slice(0, slash) : rest).toLowerCase();
  let path = slash >= 0 ? rest.slice(slash + 1) : '';
  if (HUB.has(host)) {
    host = 'docker.io';
    if (path === 'v1' || path === 'v2') path = '';
  }
  const want = HUB.has(image.host) ? 'docker.io' : image.host;
  if (host !== want) return false;
  return path === '' || image.path === path || image.path.startsWith(`${path}/`);
}

interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

function entryAuth(entry: DockerConfigEntry, serveraddress: string): RegistryAuth | undefined {
  let { username, password } = entry;
  if (entry.auth && !username) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  const out: RegistryAuth = { serveraddress };
  if (username) out.username = username;
  if (password) out.password = password;
  if (entry.identitytoken) out.identitytoken = entry.identitytoken;
  if (entry.registrytoken) out.registrytoken = entry.registrytoken;
  return out.username || out.identitytoken || out.registrytoken ? out : undefined;
}

/**
 * The credentials the pod's imagePullSecrets hold for the image's registry, in the order the
 * secrets are listed, and the names of secrets that could not be read.
 */
export function pullCredentials(store: Store, pod: Pod, image: string): { auths: RegistryAuth[]; missing: string[] } {
  const target = registryOf(image);
  const namespace = pod.metadata.namespace ?? 'default';
  const auths: RegistryAuth[] = [];
  const missing: string[] = [];
  for (const ref of pod.spec.imagePullSecrets ?? []) {
    const name = ref?.name;
    if (!name) continue;
    const secret = store.get(SECRETS, namespace, name) as { type?: string; data?: Record<string, string> } | undefined;
    const raw =
      secret?.type === 'kubernetes.io/dockerconfigjson'
        ? secret.data?.['.dockerconfigjson']
        : secret?.type === 'kubernetes.io/dockercfg'
          ? secret.data?.['.dockercfg']
          : undefined;
    if (!raw) {
      missing.push(name);
      continue;
    }
    let entries: Record<string, DockerConfigEntry> = {};
    try {
      const parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Record<string, unknown>;
      entries = (secret?.type === 'kubernetes.io/dockerconfigjson' ? (parsed.auths ?? {}) : parsed) as typeof entries;
    } catch {
      missing.push(name);
      continue;
    }
    // the longest matching path first, as the keyring orders them
    const matching = Object.keys(entries)
      .filter((key) => keyMatches(key, target))
      .sort((a, b) => b.length - a.length);
    for (const key of matching) {
      const auth = entryAuth(entries[key]!, target.host);
      if (auth) auths.push(auth);
    }
  }
  return { auths, missing };
}

export type PullDecision =
  | { readonly kind: 'present'; readonly image: ImageInspect }
  | { readonly kind: 'never' }
  | { readonly kind: 'pull' };

/** What the pull policy asks for, given whether the local engine has the image. */
export function pullDecision(policy: string | undefined, image: string, found: ImageInspect | undefined): PullDecision {
  const effective = policy ?? defaultPullPolicy(image);
  if (effective === 'Always') return { kind: 'pull' };
  if (found) return { kind: 'present', image: found };
  return effective === 'Never' ? { kind: 'never' } : { kind: 'pull' };
}

/** The daemon's message without the client's "docker POST /images/create: 500 " prefix. */
function daemonMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^docker [A-Z]+ [^:]+: \d+ /, '');
}

/**
 * Pulls with each matching credential in turn, then anonymously when none is given, as the
 * kubelet does; resolves with the error text (cri-dockerd's form) or undefined on success.
 */
export async function pullWithCredentials(
  engine: Engine,
  image: string,
  auths: readonly RegistryAuth[],
): Promise<string | undefined> {
  const attempts: Array<RegistryAuth | undefined> = auths.length ? [...auths] : [undefined];
  let last = '';
  for (const auth of attempts) {
    try {
      await engine.pullImage(image, auth as Record<string, string> | undefined);
      return undefined;
    } catch (err) {
      if (!(err instanceof DockerError) && !(err instanceof Error)) throw err;
      last = `rpc error: code = Unknown desc = Error response from daemon: ${daemonMessage(err)}`;
    }
  }
  return last;
}

/** Per (pod, image) back-off between pull attempts, as the kubelet keeps it. */
export interface PullBackoff {
  /** when ErrImagePull turns into ImagePullBackOff (ms since epoch) */
  backoffAt: number;
  /** when the next pull may be tried */
  retryAt: number;
  delayMs: number;
  /** the last pull error, shown in the ImagePullBackOff message */
  error: string;
}
