// Pod volumes as host directories that containers bind-mount: emptyDir per pod, configMap and
// secret projected as files (kept in step with their objects), a directory per claim, hostPath.

import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../contract.ts';
import { ConfigError } from './env.ts';
import { CONFIGMAPS, type KeyToPath, type Pod, SECRETS, type Volume } from './types.ts';

export interface PreparedVolume {
  hostPath: string;
  readOnly: boolean;
}

function projectionFiles(
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
): Map<string, { content: Buffer; mode: number }> {
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

function objectData(store: Store, volume: Volume, namespace: string): Record<string, Buffer> | undefined {
  if (volume.configMap) {
    const cm = store.get(CONFIGMAPS, namespace, volume.configMap.name);
    if (!cm) return undefined;
    const data: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries((cm.data as Record<string, string>) ?? {})) data[k] = Buffer.from(v, 'utf8');
    for (const [k, v] of Object.entries((cm.binaryData as Record<string, string>) ?? {})) {
      data[k] = Buffer.from(v, 'base64');
    }
    return data;
  }
  const secret = store.get(SECRETS, namespace, volume.secret!.secretName);
  if (!secret) return undefined;
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((secret.data as Record<string, string>) ?? {}))
    data[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries((secret.stringData as Record<string, string>) ?? {})) {
    data[k] = Buffer.from(v, 'utf8');
  }
  return data;
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
      const source = volume.configMap ?? volume.secret!;
      const name = volume.configMap ? volume.configMap.name : volume.secret!.secretName;
      const what = volume.configMap ? `configmap "${name}"` : `secret "${name}"`;
      const dir = path.join(podDir, 'volumes', volume.name);
      const data = objectData(store, volume, namespace);
      if (!data && !source.optional) {
        throw new ConfigError(`MountVolume.SetUp failed for volume "${volume.name}": ${what} not found`);
      }
      const defaultMode = source.defaultMode ?? 0o644;
      writeProjection(dir, projectionFiles(data ?? {}, data ? source.items : undefined, defaultMode, what));
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
