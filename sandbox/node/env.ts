// A container's environment as the kubelet builds it: envFrom first, then env (which wins),
// with $(VAR) references expanded against the variables defined before them.

import type { Store } from '../contract.ts';
import { CONFIGMAPS, type Container, type KeySelector, type Pod, SECRETS, SERVICES, type Service } from './types.ts';

/** A problem that keeps the container from being created (CreateContainerConfigError). */
export class ConfigError extends Error {}

function decodeSecret(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

function sourceData(store: Store, kind: 'configmap' | 'secret', namespace: string, name: string) {
  const object = store.get(kind === 'configmap' ? CONFIGMAPS : SECRETS, namespace, name);
  if (!object) return undefined;
  const data: Record<string, string> = {};
  if (kind === 'configmap') {
    Object.assign(data, (object.data as Record<string, string> | undefined) ?? {});
  } else {
    for (const [key, value] of Object.entries((object.data as Record<string, string> | undefined) ?? {})) {
      data[key] = decodeSecret(value);
    }
    Object.assign(data, (object.stringData as Record<string, string> | undefined) ?? {});
  }
  return data;
}

function keyRef(store: Store, kind: 'configmap' | 'secret', namespace: string, ref: KeySelector): string | undefined {
  const label = kind === 'configmap' ? 'configmap' : 'secret';
  const data = sourceData(store, kind, namespace, ref.name ?? '');
  if (!data) {
    if (ref.optional) return undefined;
    throw new ConfigError(`${label} "${ref.name}" not found`);
  }
  if (!(ref.key in data)) {
    if (ref.optional) return undefined;
    throw new ConfigError(
      `couldn't find key ${ref.key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${namespace}/${ref.name}`,
    );
  }
  return data[ref.key];
}

export function fieldValue(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata;
  const annotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (annotation) {
    const map = (annotation[1] === 'labels' ? meta.labels : meta.annotations) ?? {};
    return map[annotation[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    default:
      throw new ConfigError(`unsupported fieldRef.fieldPath "${fieldPath}"`);
  }
}

/** Expands $(VAR) from `vars`; $$ escapes a dollar; unknown references stay as written. */
export function expand(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return vars.has(name!) ? vars.get(name!)! : match;
  });
}

/**
 * Docker-links-style variables for the Services of the pod's namespace (enableServiceLinks):
 * WEB_SERVICE_HOST, WEB_SERVICE_PORT, WEB_PORT_80_TCP_ADDR ... The master `kubernetes` Service is
 * left out: the sandbox API listens on 127.0.0.1 only, so pods could not reach it anyway.
 */
export function serviceLinks(store: Store, pod: Pod): Map<string, string> {
  const vars = new Map<string, string>();
  if ((pod.spec as { enableServiceLinks?: boolean }).enableServiceLinks === false) return vars;
  for (const service of store.list(SERVICES, pod.metadata.namespace ?? 'default') as Service[]) {
    const ip = service.spec.clusterIP;
    const ports = service.spec.ports ?? [];
    if (!ip || ip === 'None' || ports.length === 0) continue;
    const name = (service.metadata.name ?? '').toUpperCase().replaceAll('-', '_');
    vars.set(`${name}_SERVICE_HOST`, ip);
    vars.set(`${name}_SERVICE_PORT`, String(ports[0]!.port));
    for (const port of ports) {
      if (port.name)
        vars.set(`${name}_SERVICE_PORT_${port.name.toUpperCase().replaceAll('-', '_')}`, String(port.port));
    }
    const first = ports[0]!;
    vars.set(`${name}_PORT`, `${(first.protocol ?? 'TCP').toLowerCase()}://${ip}:${first.port}`);
    for (const port of ports) {
      const protocol = port.protocol ?? 'TCP';
      const prefix = `${name}_PORT_${port.port}_${protocol}`;
      vars.set(prefix, `${protocol.toLowerCase()}://${ip}:${port.port}`);
      vars.set(`${prefix}_PROTO`, protocol.toLowerCase());
      vars.set(`${prefix}_PORT`, String(port.port));
      vars.set(`${prefix}_ADDR`, ip);
    }
  }
  return vars;
}

export function containerEnv(store: Store, pod: Pod, container: Container): Map<string, string> {
  const namespace = pod.metadata.namespace ?? 'default';
  const vars = serviceLinks(store, pod);
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) continue;
    const kind = source.configMapRef ? 'configmap' : 'secret';
    const data = sourceData(store, kind, namespace, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new ConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) vars.set(`${source.prefix ?? ''}${key}`, value);
  }
  for (const env of container.env ?? []) {
    const from = env.valueFrom;
    let value: string | undefined;
    if (!from) value = expand(env.value ?? '', vars);
    else if (from.configMapKeyRef) value = keyRef(store, 'configmap', namespace, from.configMapKeyRef);
    else if (from.secretKeyRef) value = keyRef(store, 'secret', namespace, from.secretKeyRef);
    else if (from.fieldRef) value = fieldValue(pod, from.fieldRef.fieldPath);
    else if (from.resourceFieldRef) value = resourceValue(container, from.resourceFieldRef.resource);
    if (value !== undefined) vars.set(env.name, value);
  }
  return vars;
}

function resourceValue(container: Container, resource: string): string {
  const [kind, name] = resource.split('.') as ['limits' | 'requests', string];
  const quantity = container.resources?.[kind]?.[name];
  if (quantity === undefined) return '0';
  return String(name === 'cpu' ? Math.ceil(parseCpu(quantity)) : parseBytes(quantity));
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, m: 1e-3 };

/** A memory quantity ("128Mi", "1G", "1e6") in bytes. */
export function parseBytes(quantity: string | number): number {
  const match = /^([0-9.e+-]+)([A-Za-z]*)$/.exec(String(quantity).trim());
  if (!match) throw new ConfigError(`invalid quantity "${quantity}"`);
  const unit = match[2]!;
  const factor = BINARY[unit] ?? DECIMAL[unit] ?? (unit === '' ? 1 : Number.NaN);
  if (Number.isNaN(factor)) throw new ConfigError(`invalid quantity "${quantity}"`);
  return Math.round(Number(match[1]) * factor);
}

/** A CPU quantity ("500m", "2") in cores. */
export function parseCpu(quantity: string | number): number {
  const text = String(quantity).trim();
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}
