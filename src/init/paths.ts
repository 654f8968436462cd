// Paths from a source config, made relative to the project root (where kloop.yaml is written).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, normalize, relative, resolve, sep } from 'node:path';

export const posix = (p: string) => p.split(sep).join('/') || '.';

/** A path written in a file under `base` (a directory relative to root), relative to root. */
export function fromBase(base: string, p: string): string {
  if (p.includes('$')) return p;
  return posix(normalize(join(base, p))).replace(/\/$/, '') || '.';
}

export function isDir(root: string, p: string): boolean {
  try {
    return statSync(resolve(root, p)).isDirectory();
  } catch {
    return false;
  }
}

export function exists(root: string, p: string): boolean {
  return existsSync(resolve(root, p));
}

const KUSTOMIZATION = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
export function isKustomization(root: string, dir: string): boolean {
  return KUSTOMIZATION.some((k) => existsSync(resolve(root, dir, k)));
}
export function kustomizationFile(root: string, dir: string): string | undefined {
  const k = KUSTOMIZATION.find((f) => existsSync(resolve(root, dir, f)));
  return k ? join(resolve(root, dir), k) : undefined;
}

/** What `kubectl apply -f <entry>` reads, as kloop manifest globs: a directory becomes its *.yaml / *.yml / *.json files. */
export function manifestGlobs(root: string, entry: string): string[] {
  if (!isDir(root, entry)) return [entry];
  const names = readdirSync(resolve(root, entry));
  return ['yaml', 'yml', 'json']
    .filter((ext) => names.some((n) => n.endsWith(`.${ext}`)))
    .map((ext) => (entry === '.' ? `*.${ext}` : `${entry}/*.${ext}`));
}

export function rel(root: string, abs: string): string {
  return posix(relative(root, abs));
}
