// What a batch must do to make the container match the local folder, computed from the local state
// and the engine's record of the container (its model): pure, so it is unit-tested on its own.
import type { LocalEntry } from './local-tree.ts';
import { symlinkStaysInside } from './paths.ts';

export interface ModelEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  size: number;
  /** seconds */
  mtime: number;
  target?: string;
  /** the local stat stamp of what was uploaded; absent when known only from a container listing */
  stamp?: string;
  mtimeMs?: number;
}

export interface Plan {
  /** removed with rm -rf, parents only (children of a removed path are not listed) */
  deletes: string[];
  /** packed into tar frames, parents before children */
  uploads: LocalEntry[];
  /** entries whose mode alone changed */
  chmods: LocalEntry[];
  /** local entries matching the model already: their stamp is recorded without a transfer */
  unchanged: LocalEntry[];
  /** symlinks pointing outside the sync folder, never synced */
  rejected: Array<{ path: string; reason: string }>;
}

export function toModel(e: LocalEntry): ModelEntry {
  return {
    type: e.type,
    mode: e.mode,
    size: e.size,
    mtime: Math.floor(e.mtimeMs / 1000),
    target: e.target,
    stamp: e.stamp,
    mtimeMs: e.mtimeMs,
  };
}

/**
 * `scope` is the path the local entries were walked from ("" = everything); every model entry
 * within it that has no local counterpart is deleted.
 */
export function planBatch(
  scopes: readonly string[],
  local: readonly LocalEntry[],
  model: ReadonlyMap<string, ModelEntry>,
): Plan {
  const plan: Plan = { deletes: [], uploads: [], chmods: [], unchanged: [], rejected: [] };
  const seen = new Set<string>();
  const deletes = new Set<string>();
  for (const l of local) {
    if (seen.has(l.path)) continue;
    // A link that escapes is treated as absent, so an older copy in the container goes too.
    if (l.type === 'symlink' && !symlinkStaysInside(l.path, l.target ?? '')) {
      plan.rejected.push({ path: l.path, reason: `symlink to "${l.target}" points outside the synced folder` });
      continue;
    }
    seen.add(l.path);
    const m = model.get(l.path);
    if (!m) {
      plan.uploads.push(l);
      continue;
    }
    if (m.type !== l.type || (l.type === 'symlink' && m.target !== l.target)) {
      deletes.add(l.path);
      plan.uploads.push(l);
      continue;
    }
    if (l.type === 'dir') {
      if (m.mode !== l.mode) plan.chmods.push(l);
      else plan.unchanged.push(l);
      continue;
    }
    if (l.type === 'symlink') {
      plan.unchanged.push(l);
      continue;
    }
    if (m.stamp === l.stamp) continue;
    const sameContent =
      m.size === l.size && (m.stamp === undefined ? m.mtime === Math.floor(l.mtimeMs / 1000) : m.mtimeMs === l.mtimeMs);
    if (!sameContent) plan.uploads.push(l);
    else if (m.mode !== l.mode) plan.chmods.push(l);
    else plan.unchanged.push(l);
  }
  const scopeSet = new Set(scopes);
  const all = scopeSet.has('');
  for (const p of model.keys()) {
    if (!seen.has(p) && (all || scopeSet.has(p) || hasAncestorIn(p, scopeSet))) deletes.add(p);
  }
  for (const d of [...deletes].sort()) if (!hasAncestorIn(d, deletes)) plan.deletes.push(d);
  plan.uploads.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return plan;
}

export function hasAncestorIn(p: string, set: ReadonlySet<string>): boolean {
  for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) if (set.has(p.slice(0, i))) return true;
  return false;
}
