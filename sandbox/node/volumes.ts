// Pod volumes as host directories that containers bind-mount: emptyDir per pod, configMap and
// secret projected as files (kept in step with their objects), a directory per claim, hostPath.

import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../contract.ts';
import { ConfigError, fieldValue } from './env.ts';
import { CONFIGMAPS, type DownwardItem, type KeyToPath, type Pod, SECRETS } from './types.ts';

export interface PreparedVolume {
  hostPath: string;
  readOnly: boolean;
}

function projectionFiles(
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
): Files {
  const files = new Map<string, { content: Buffer; mode: number }>();
  if (!items) {
    for (const [key, content] of Object.entries(data)) files.set(key, { content, mode: defaultMode });
    return files;
  }
  for (const item of items) {
    const content = data[item.key];
    if (!content) throw new ConfigError(`configuration key "${item.key}" not found in ${what}`);
    if (item.path.split('/').includes('..') || path.isAbsolute(item.path)) {
      throw new ConfigError(`invalid path "${item.path}" for key "${item.key}" in ${what}`);
    }
    files.set(item.path, { content, mode: item.mode ?? defaultMode });
  }
  return files;
}

/** Writes files that changed and removes files no longer projected. */
function writeProjection(dir: string, files: Map<string, { content: Buffer; mode: number }>): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const relative = path.relative(dir, path.join(entry.parentPath, entry.name));
    if (!files.has(relative)) fs.rmSync(path.join(dir, relative), { force: true });
  }
  for (const [relative, { content, mode }] of files) {
    const target = path.join(dir, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    let same = false;
    try {
      same = fs.readFileSync(target).equals(content) && (fs.statSync(target).mode & 0o777) === mode;
    } catch {
      // missing: write it
    }
    if (same) continue;
    // Write then rename, so a reader never sees half a file.
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.tmp`);
    fs.writeFileSync(temp, content, { mode });
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, target);
  }
}

function objectData(
  store: Store,
  kind: 'configmap' | 'secret',
  namespace: string,
  name: string,
): Record<string, Buffer> | undefined {
  const object = store.get(kind === 'configmap' ? CONFIGMAPS : SECRETS, namespace, name);
  if (!object) return undefined;
  const data: Record<string, Buffer> = {};
  const text = kind === 'configmap' ? object.data : object.stringData;
  const binary = kind === 'configmap' ? object.binaryData : object.data;
  for (const [k, v] of Object.entries((binary as Record<string, string>) ?? {})) data[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries((text as Record<string, string>) ?? {})) data[k] = Buffer.from(v, 'utf8');
  return data;
}

type Files = Map<string, { content: Buffer; mode: number }>;

/** configMap/secret (as a volume or a projected source): its keys, or the listed items, as files. */
function objectFiles(
  store: Store,
  namespace: string,
  volumeName: string,
  kind: 'configmap' | 'secret',
  source: { name?: string; secretName?: string; items?: KeyToPath[]; optional?: boolean },
  defaultMode: number,
): Files {
  const name = source.name ?? source.secretName ?? '';
  const what = `${kind} "${name}"`;
  const data = objectData(store, kind, namespace, name);
  if (!data && !source.optional) {
    throw new ConfigError(`MountVolume.SetUp failed for volume "${volumeName}": ${what} not found`);
  }
  return projectionFiles(data ?? {}, data ? source.items : undefined, defaultMode, what);
}

/** downwardAPI items: pod fields as files; whole label/annotation maps as key="value" lines. */
function downwardFiles(pod: Pod, items: DownwardItem[], defaultMode: number): Files {
  const files: Files = new Map();
  for (const item of items) {
    let value: string;
    const field = item.fieldRef?.fieldPath;
    if (field === 'metadata.labels' || field === 'metadata.annotations') {
      const map = (field === 'metadata.labels' ? pod.metadata.labels : pod.metadata.annotations) ?? {};
      value = Object.keys(map)
        .sort()
        .map((k) => `${k}=${JSON.stringify(map[k])}`)
        .join('\n');
    } else if (field) {
      value = fieldValue(pod, field);
    } else {
      throw new ConfigError(`downwardAPI item "${item.path}": only fieldRef is supported by the sandbox`);
    }
    files.set(item.path, { content: Buffer.from(value), mode: item.mode ?? defaultMode });
  }
  return files;
}

/**
 * Creates (or refreshes) every volume of the pod under `root` and returns where each lives.
 * Throws ConfigError when a referenced ConfigMap/Secret/key is missing and not optional.
 */
export function prepareVolumes(store: Store, pod: Pod, root: string): Map<string, PreparedVolume> {
  const namespace = pod.metadata.namespace ?? 'default';
  const podDir = path.join(root, 'pods', pod.metadata.uid ?? pod.metadata.name ?? 'pod');
  const prepared = new Map<string, PreparedVolume>();
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.emptyDir) {
      const dir = path.join(podDir, 'volumes', volume.name);
      fs.mkdirSync(dir, { recursive: true });
      // Writable for any user the container runs as, like the kubelet's emptyDir.
      fs.chmodSync(dir, 0o777);
      prepared.set(volume.name, { hostPath: dir, readOnly: false });
    } else if (volume.configMap || volume.secret) {
      const kind = volume.configMap ? 'configmap' : 'secret';
      const source = volume.configMap ?? volume.secret!;
      const dir = path.join(podDir, 'volumes', volume.name);
      writeProjection(dir, objectFiles(store, namespace, volume.name, kind, source, source.defaultMode ?? 0o644));
      prepared.set(volume.name, { hostPath: dir, readOnly: true });
    } else if (volume.projected || volume.downwardAPI) {
      const defaultMode = (volume.projected ?? volume.downwardAPI)!.defaultMode ?? 0o644;
      const files: Files = new Map();
      const sources = volume.projected?.sources ?? [{ downwardAPI: { items: volume.downwardAPI!.items ?? [] } }];
      for (const source of sources) {
        let part: Files = new Map();
        if (source.configMap)
          part = objectFiles(store, namespace, volume.name, 'configmap', source.configMap, defaultMode);
        else if (source.secret) part = objectFiles(store, namespace, volume.name, 'secret', source.secret, defaultMode);
        else if (source.downwardAPI) part = downwardFiles(pod, source.downwardAPI.items ?? [], defaultMode);
        else if (source.serviceAccountToken) {
          // Pods cannot reach the sandbox API (it listens on 127.0.0.1): a placeholder, so the mount exists.
          part.set(source.serviceAccountToken.path, {
            content: Buffer.from('kloop-sandbox-issues-no-service-account-tokens'),
            mode: defaultMode,
          });
        }
        for (const [file, content] of part) files.set(file, content);
      }
      const dir = path.join(podDir, 'volumes', volume.name);
      writeProjection(dir, files);
      prepared.set(volume.name, { hostPath: dir, readOnly: true });
    } else if (volume.persistentVolumeClaim) {
      const dir = path.join(root, 'claims', namespace, volume.persistentVolumeClaim.claimName);
      fs.mkdirSync(dir, { recursive: true });
      fs.chmodSync(dir, 0o777);
      prepared.set(volume.name, { hostPath: dir, readOnly: volume.persistentVolumeClaim.readOnly === true });
    } else if (volume.hostPath) {
      if (volume.hostPath.type === 'DirectoryOrCreate') fs.mkdirSync(volume.hostPath.path, { recursive: true });
      prepared.set(volume.name, { hostPath: volume.hostPath.path, readOnly: false });
    } else {
      throw new ConfigError(`volume "${volume.name}": this volume type is not supported by the sandbox`);
    }
  }
  return prepared;
}

export function removePodVolumes(root: string, uid: string): void {
  fs.rmSync(path.join(root, 'pods', uid), { recursive: true, force: true });
}
