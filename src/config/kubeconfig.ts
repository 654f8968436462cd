// The kubeconfig, read (never written) from $KUBECONFIG (a list of files) or ~/.kube/config,
// merged like kubectl does: the first file that sets a name or current-context wins.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { KloopError } from '../errors.ts';

export interface KubeContext {
  name: string;
  cluster?: string;
  user?: string;
  namespace?: string;
}

export interface KubeCluster {
  name: string;
  server?: string;
  /** absolute path, resolved against the kubeconfig file that named it */
  certificateAuthority?: string;
  certificateAuthorityData?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
}

export interface KubeUser {
  name: string;
  token?: string;
  tokenFile?: string;
  clientCertificate?: string;
  clientCertificateData?: string;
  clientKey?: string;
  clientKeyData?: string;
  username?: string;
  password?: string;
  /** exec or auth-provider plugins: kloop's HTTPS check cannot use them */
  plugin?: string;
}

export interface Kubeconfig {
  files: string[];
  currentContext?: string;
  contexts: KubeContext[];
  clusters: KubeCluster[];
  users: KubeUser[];
}

export function kubeconfigFiles(env: Record<string, string | undefined> = process.env): string[] {
  const list = env.KUBECONFIG?.split(delimiter).filter(Boolean);
  if (list?.length) return list.map((f) => resolve(f));
  return [join(env.HOME || homedir(), '.kube', 'config')];
}

type Raw = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * JSON is YAML: a kubeconfig written as JSON (kloop-sandbox's, many generated ones) is read with
 * JSON.parse, which costs a start of kloop nothing, where the first YAML parse of a process costs
 * tens of milliseconds of compiling the parser. Anything else, or JSON.parse failing, goes to YAML.
 */
function parseKubeconfigText(text: string): unknown {
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      // YAML flow syntax that is not JSON
    }
  }
  // client-go reads kubeconfig as YAML 1.1 (sigs.k8s.io/yaml): `insecure-skip-tls-verify: yes` is true
  return parse(text, { version: '1.1' });
}

export function readKubeconfig(env: Record<string, string | undefined> = process.env): Kubeconfig {
  const result: Kubeconfig = { files: [], contexts: [], clusters: [], users: [] };
  for (const file of kubeconfigFiles(env)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // kubectl ignores missing files in KUBECONFIG too
    }
    let doc: Raw;
    try {
      doc = (parseKubeconfigText(text) ?? {}) as Raw;
    } catch (error) {
      throw new KloopError(`cannot parse kubeconfig ${file}: ${(error as Error).message.split('\n')[0]}`, {
        hint: 'check the file with `kubectl config view`',
      });
    }
    result.files.push(file);
    const base = dirname(file);
    const abs = (p: unknown) => {
      const s = str(p);
      return s && !isAbsolute(s) ? resolve(base, s) : s;
    };
    result.currentContext ??= str(doc['current-context']);
    for (const entry of (doc.contexts as Raw[] | undefined) ?? []) {
      const name = str(entry?.name);
      if (!name || result.contexts.some((c) => c.name === name)) continue;
      const c = (entry.context ?? {}) as Raw;
      result.contexts.push({ name, cluster: str(c.cluster), user: str(c.user), namespace: str(c.namespace) });
    }
    for (const entry of (doc.clusters as Raw[] | undefined) ?? []) {
      const name = str(entry?.name);
      if (!name || result.clusters.some((c) => c.name === name)) continue;
      const c = (entry.cluster ?? {}) as Raw;
      result.clusters.push({
        name,
        server: str(c.server),
        certificateAuthority: abs(c['certificate-authority']),
        certificateAuthorityData: str(c['certificate-authority-data']),
        insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
        tlsServerName: str(c['tls-server-name']),
      });
    }
    for (const entry of (doc.users as Raw[] | undefined) ?? []) {
      const name = str(entry?.name);
      if (!name || result.users.some((u) => u.name === name)) continue;
      const u = (entry.user ?? {}) as Raw;
      result.users.push({
        name,
        token: str(u.token),
        tokenFile: abs(u.tokenFile),
        clientCertificate: abs(u['client-certificate']),
        clientCertificateData: str(u['client-certificate-data']),
        clientKey: abs(u['client-key']),
        clientKeyData: str(u['client-key-data']),
        username: str(u.username),
        password: str(u.password),
        plugin: u.exec ? 'exec' : u['auth-provider'] ? 'auth-provider' : undefined,
      });
    }
  }
  return result;
}

export function findContext(config: Kubeconfig, name: string | undefined): KubeContext | undefined {
  return name === undefined ? undefined : config.contexts.find((c) => c.name === name);
}
