// The environment a local process gets so it behaves as the target container: the Kubernetes
// service variables (pointing at the local forwards) and the container's own env/envFrom, with
// ConfigMap and Secret references resolved through the API. Secret values are registered for
// redaction and never printed.
import { KloopError } from '../errors.ts';
import { ApiError, type KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/types.ts';
import { registerSecret } from '../log/redact.ts';
import type { ForwardedPort } from './service-forwards.ts';

/** `my-svc` → `MY_SVC`, as the kubelet names service variables. */
export function envName(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/**
 * The kubelet's service variables for the forwarded ports, with the local address and port:
 * `<SVC>_SERVICE_HOST/_PORT/_PORT_<NAME>` and the Docker-link style `<SVC>_PORT...` ones.
 * `ports` lists each Service's ports in the Service's order.
 */
export function serviceEnv(ports: readonly ForwardedPort[]): Record<string, string> {
  const env: Record<string, string> = {};
  const byService = new Map<string, ForwardedPort[]>();
  for (const p of ports) byService.set(p.service, [...(byService.get(p.service) ?? []), p]);
  for (const [service, list] of byService) {
    const n = envName(service);
    const first = list[0]!;
    env[`${n}_SERVICE_HOST`] = first.address;
    env[`${n}_SERVICE_PORT`] = String(first.localPort);
    env[`${n}_PORT`] = `tcp://${first.address}:${first.localPort}`;
    for (const p of list) {
      if (p.name) env[`${n}_SERVICE_PORT_${envName(p.name)}`] = String(p.localPort);
      const base = `${n}_PORT_${p.port}_TCP`;
      env[base] = `tcp://${p.address}:${p.localPort}`;
      env[`${base}_PROTO`] = 'tcp';
      env[`${base}_PORT`] = String(p.localPort);
      env[`${base}_ADDR`] = p.address;
    }
  }
  return env;
}

/** Kubernetes' `$(VAR)` expansion: defined variables are replaced, `$$` is a literal `$`, others stay. */
export function expandRefs(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && env[name] !== undefined ? env[name] : match;
  });
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string; containerName?: string };
  };
}

interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

/** Reads ConfigMaps and Secrets once each; missing ones are null. */
function objectReader(client: KubeClient, namespace: string) {
  const cache = new Map<string, Promise<Record<string, string> | null>>();
  return (kind: 'configmaps' | 'secrets', name: string) => {
    const key = `${kind}/${name}`;
    let p = cache.get(key);
    if (!p) {
      p = client
        .request<KubeObject>({
          path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}`,
        })
        .then(
          (obj) => {
            if (kind === 'configmaps') return { ...(obj.data ?? {}) } as Record<string, string>;
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>))
              out[k] = Buffer.from(v, 'base64').toString('utf8');
            for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, string>)) out[k] = v;
            return out;
          },
          (error) => {
            if (error instanceof ApiError && error.code === 404) return null;
            throw error;
          },
        );
      cache.set(key, p);
    }
    return p;
  };
}

function fieldValue(pod: KubeObject, fieldPath: string): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (m) return (pod.metadata[m[1] as 'labels' | 'annotations'] as Record<string, string> | undefined)?.[m[2]!];
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return pod.spec?.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName;
    // the process runs on this machine: its own address is the loopback one
    case 'status.podIP':
    case 'status.hostIP':
      return '127.0.0.1';
    default:
      return undefined;
  }
}

export interface ContainerEnv {
  env: Record<string, string>;
  /** names whose values came from Secrets */
  secretNames: string[];
}

/**
 * The env of `container` in `pod` as the kubelet would set it: envFrom sources in order, then env
 * entries (which win), `$(VAR)` expanded against what is defined so far (service variables first).
 * A missing, non-optional ConfigMap/Secret or key is an error naming it.
 */
export async function containerEnv(
  client: KubeClient,
  pod: KubeObject,
  container: string,
  base: Readonly<Record<string, string>> = {},
): Promise<ContainerEnv> {
  const spec = (pod.spec?.containers ?? []).find((c: { name: string }) => c.name === container);
  if (!spec) throw new KloopError(`pod ${pod.metadata.name} has no container "${container}"`);
  const read = objectReader(client, pod.metadata.namespace ?? 'default');
  const where = `container "${container}" of pod ${pod.metadata.name}`;
  const env: Record<string, string> = {};
  const secretNames: string[] = [];
  const missing = (what: string) =>
    new KloopError(`${where} refers to ${what}, which does not exist`, {
      hint: 'create it (or mark the reference optional: true); the pod itself would not start without it',
    });
  const set = (name: string, value: string, secret: boolean) => {
    env[name] = value;
    if (secret) {
      registerSecret(value);
      secretNames.push(name);
    }
  };
  for (const from of (spec.envFrom ?? []) as EnvFromSource[]) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'configmaps' : 'secrets';
    const data = await read(kind, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw missing(`${kind === 'configmaps' ? 'ConfigMap' : 'Secret'} ${ref.name}`);
    }
    for (const [k, v] of Object.entries(data)) set(`${from.prefix ?? ''}${k}`, v, kind === 'secrets');
  }
  for (const e of (spec.env ?? []) as EnvVar[]) {
    const vf = e.valueFrom;
    if (!vf) {
      set(e.name, expandRefs(e.value ?? '', { ...base, ...env }), false);
      continue;
    }
    const keyRef = vf.configMapKeyRef ?? vf.secretKeyRef;
    if (keyRef) {
      const kind = vf.configMapKeyRef ? 'configmaps' : 'secrets';
      const label = `${kind === 'configmaps' ? 'ConfigMap' : 'Secret'} ${keyRef.name}`;
      const data = await read(kind, keyRef.name);
      const value = data?.[keyRef.key];
      if (value === undefined) {
        if (keyRef.optional) continue;
        throw missing(data ? `key "${keyRef.key}" of ${label}` : label);
      }
      set(e.name, value, kind === 'secrets');
    } else if (vf.fieldRef) {
      const value = fieldValue(pod, vf.fieldRef.fieldPath);
      if (value !== undefined) set(e.name, value, false);
    } else if (vf.resourceFieldRef) {
      const [kind, resource] = vf.resourceFieldRef.resource.split('.');
      const value = spec.resources?.[kind === 'requests' ? 'requests' : 'limits']?.[resource ?? ''];
      if (value !== undefined) set(e.name, String(value), false);
    }
  }
  return { env, secretNames };
}
