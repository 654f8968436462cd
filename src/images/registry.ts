// The registry side of remote clusters: does the registry already have a tag (a HEAD on its
// manifest, as `docker manifest inspect` and crane do), and with which digest. Credentials come
// from the Docker CLI's config (DOCKER_CONFIG or ~/.docker/config.json: auths, credHelpers,
// credsStore), so `docker login` is all a user does; the token dance follows the Distribution
// spec (Basic, or Bearer from the realm the registry names).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KloopError } from '../errors.ts';

export interface ImageName {
  /** registry host[:port] as Docker names it (docker.io for Docker Hub) */
  readonly registry: string;
  /** repository path inside the registry (library/nginx for nginx) */
  readonly path: string;
  /** tag or digest */
  readonly reference: string;
}

/** Splits `[registry/]path[:tag][@digest]` as Docker does (no registry part: Docker Hub). */
export function parseImageName(ref: string): ImageName {
  let rest = ref.trim();
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    const registry = first === 'index.docker.io' ? 'docker.io' : first;
    return { registry, path: rest.slice(slash + 1), reference };
  }
  return { registry: 'docker.io', path: rest.includes('/') ? rest : `library/${rest}`, reference };
}

/** Registries Docker reaches over plain HTTP without configuration: loopback (127.0.0.0/8, localhost, ::1). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  readonly identityToken?: string;
  /** where they came from, for messages (never the secret itself) */
  readonly source: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The Docker CLI's config file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  const dir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

function readDockerConfig(file: string): DockerConfigFile {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DockerConfigFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new KloopError(`cannot read the Docker credentials in ${file}: ${(e as Error).message}`, {
      hint: 'fix or remove the file, then docker login again',
    });
  }
}

/** The keys Docker files Docker Hub credentials under, and the plain host for any other registry. */
function configKeys(registry: string): string[] {
  if (registry === 'docker.io') return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

function helper(name: string, registry: string, source: string): Promise<Credentials | undefined> {
  const server = registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${name}`, ['get'], { timeout: 15_000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      try {
        const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!out.Secret) return resolve(undefined);
        // "<token>" marks an identity token, as the Docker CLI stores it
        resolve(
          out.Username === '<token>'
            ? { identityToken: out.Secret, source }
            : { username: out.Username, password: out.Secret, source },
        );
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.end(server);
  });
}

/** The credentials `docker login` stored for the registry, if any. */
export async function registryCredentials(
  registry: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Credentials | undefined> {
  const file = dockerConfigPath(env);
  const config = readDockerConfig(file);
  const keys = configKeys(registry);
  const helperName = keys.map((k) => config.credHelpers?.[k]).find(Boolean);
  if (helperName) return helper(helperName, registry, `docker-credential-${helperName} (credHelpers in ${file})`);
  for (const key of keys) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.identitytoken) return { identityToken: entry.identitytoken, source: file };
    if (entry.username && entry.password) return { username: entry.username, password: entry.password, source: file };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: file };
    }
  }
  if (config.credsStore)
    return helper(config.credsStore, registry, `docker-credential-${config.credsStore} (credsStore in ${file})`);
  return undefined;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface ManifestState {
  readonly exists: boolean;
  /** Docker-Content-Digest of the manifest the tag names */
  readonly digest?: string;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or Basic realm=…). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header) ?? [];
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"|(\w+)=([^,\s]+)/g)) {
    params[(p[1] ?? p[3])!.toLowerCase()] = (p[2] ?? p[4])!;
  }
  return { scheme: (m[1] ?? '').toLowerCase(), params };
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}

interface Session {
  base: string;
  readonly registry: string;
  readonly credentials?: Credentials;
  authorization?: string;
}

async function send(session: Session, method: string, path: string, headers: Record<string, string>) {
  const all = { ...headers, ...(session.authorization ? { Authorization: session.authorization } : {}) };
  return fetch(`${session.base}${path}`, {
    method,
    headers: all,
    redirect: 'follow',
    signal: AbortSignal.timeout(30_000),
  });
}

/** Answers a 401 challenge: Basic with the credentials, or a Bearer token from the named realm. */
async function authorize(session: Session, challenge: string, scope: string): Promise<boolean> {
  const { scheme, params } = parseChallenge(challenge);
  const c = session.credentials;
  if (scheme === 'basic') {
    if (!c?.username) return false;
    session.authorization = basic(c);
    return true;
  }
  if (scheme !== 'bearer' || !params.realm) return false;
  const url = new URL(params.realm);
  let res: Response;
  if (c?.identityToken) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: c.identityToken,
      service: params.service ?? '',
      scope,
      client_id: 'kloop',
    });
    res = await fetch(url, { method: 'POST', body: form, signal: AbortSignal.timeout(30_000) });
  } else {
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    res = await fetch(url, {
      headers: c?.username ? { Authorization: basic(c) } : {},
      signal: AbortSignal.timeout(30_000),
    });
  }
  if (res.status === 401 || res.status === 403) return false;
  if (!res.ok) throw new KloopError(`the token service of ${session.registry} answered HTTP ${res.status}`);
  const body = (await res.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) return false;
  session.authorization = `Bearer ${token}`;
  return true;
}

function credentialError(session: Session, image: string, status: number): KloopError {
  const c = session.credentials;
  if (!c) {
    return new KloopError(`registry ${session.registry} asks for credentials to read ${image} (HTTP ${status})`, {
      hint: `docker login ${session.registry}`,
    });
  }
  const who = c.username ? `user "${c.username}"` : 'the identity token';
  return new KloopError(
    `registry ${session.registry} refused the credentials of ${who} for ${image} (HTTP ${status})`,
    {
      details: [`credentials from ${c.source}`],
      hint: `log in again with the right password: docker login ${session.registry}`,
    },
  );
}

async function open(registry: string, env: Readonly<Record<string, string | undefined>>): Promise<Session> {
  const credentials = await registryCredentials(registry, env);
  const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
  const session: Session = { base: `https://${host}`, registry, ...(credentials ? { credentials } : {}) };
  try {
    await fetch(`${session.base}/v2/`, { method: 'GET', signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    // Docker speaks plain HTTP to loopback registries when TLS fails; so does kloop
    if (!isLoopbackRegistry(registry)) {
      throw new KloopError(`registry ${registry} is not reachable: ${reason(e)}`, {
        hint: 'check the registry in images.<name>.image and your network (a proxy or VPN?); --no-load builds without pushing',
      });
    }
    session.base = `http://${host}`;
  }
  return session;
}

/** fetch's "fetch failed" hides the reason in its cause (ECONNREFUSED, ENOTFOUND …). */
function reason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.message ?? (e as Error).message;
}

/**
 * Whether the registry has `ref` (a tag reference), and the digest it serves for it. Throws one
 * clear KloopError for refused credentials or an unreachable registry, so nothing is built,
 * pushed or applied after a wrong password.
 */
export async function manifestState(
  ref: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ManifestState> {
  const name = parseImageName(ref);
  const session = await open(name.registry, env);
  const path = `/v2/${name.path}/manifests/${name.reference}`;
  const headers = { Accept: MANIFEST_TYPES };
  let res: Response;
  try {
    res = await send(session, 'HEAD', path, headers);
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      if (!(await authorize(session, challenge, `repository:${name.path}:pull,push`))) {
        // a push scope may be refused where pull is allowed; ask for pull alone
        if (!(await authorize(session, challenge, `repository:${name.path}:pull`)))
          throw credentialError(session, ref, 401);
      }
      res = await send(session, 'HEAD', path, headers);
    }
  } catch (e) {
    if (e instanceof KloopError) throw e;
    throw new KloopError(`registry ${name.registry} is not reachable: ${reason(e)}`, {
      details: [`kloop asks it whether it has ${ref} before building or pushing`],
      hint: 'start the registry or fix the host in images.<name>.image; --no-load builds without pushing',
    });
  }
  if (res.status === 401 || res.status === 403) throw credentialError(session, ref, res.status);
  if (res.status === 404) return { exists: false };
  if (!res.ok) {
    throw new KloopError(`registry ${name.registry} answered HTTP ${res.status} for ${ref}`, {
      hint: 'try again; if it persists, check the registry',
    });
  }
  const digest = res.headers.get('docker-content-digest') ?? undefined;
  return digest ? { exists: true, digest } : { exists: true };
}
