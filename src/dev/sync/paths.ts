// Path rules shared by upload and download: every path the engine handles is a normalized POSIX path
// relative to the sync root, and nothing may point outside it.
import path from 'node:path';

/** A relative POSIX path without "." or ".." segments, or null when it escapes or is malformed. */
export function normalizeRelative(p: string): string | null {
  if (p.includes('\0') || p.includes('\n')) return null;
  const trimmed = p.startsWith('./') ? p.slice(2) : p;
  if (trimmed === '' || trimmed === '.') return null;
  if (trimmed.startsWith('/')) return null;
  const norm = path.posix.normalize(trimmed).replace(/\/+$/, '');
  if (norm === '.' || norm === '..' || norm.startsWith('../')) return null;
  if (norm !== trimmed.replace(/\/+$/, '')) return null;
  return norm;
}

/** Whether a symlink at `linkPath` (relative to the root) with this target stays inside the root. */
export function symlinkStaysInside(linkPath: string, target: string): boolean {
  if (target === '' || path.posix.isAbsolute(target)) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkPath), target));
  return resolved !== '..' && !resolved.startsWith('../');
}

/** Single-quotes a word for POSIX sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** True when `child` is `parent` or lies below it. */
export function isWithin(child: string, parent: string): boolean {
  return child === parent || child.startsWith(`${parent}/`);
}

/** The container directory a sync writes into: absolute, and never the container's root. */
export function checkRemoteRoot(to: string): string | null {
  if (!path.posix.isAbsolute(to)) return `"${to}" is not an absolute path`;
  const norm = path.posix.normalize(to).replace(/\/+$/, '');
  if (norm === '') return 'syncing into "/" would make the whole container filesystem equal the local folder';
  return null;
}
