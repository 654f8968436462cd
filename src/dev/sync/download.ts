// The optional container → local direction. The container is listed every few seconds while the
// sync is idle; what changed there since the last sync is fetched with one `tar -c` exec and
// written locally. Conflict rule: local wins — a path changed locally since the last sync is not
// overwritten, it is uploaded again and reported as a conflict.
import { chmod, lstat, mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { extract } from 'tar-stream';
import type { RemoteEntry, SyncAgent } from './agent.ts';
import { type LocalEntry, statLocal } from './local-tree.ts';
import { isWithin, normalizeRelative, shQuote, symlinkStaysInside } from './paths.ts';
import { type ModelEntry, toModel } from './plan.ts';
import type { Connector } from './process.ts';

export interface DownloadPlan {
  fetch: RemoteEntry[];
  /** deleted in the container since the last sync: deleted locally too */
  deleteLocal: string[];
  /** changed on both sides: local wins */
  conflicts: string[];
}

function differs(r: RemoteEntry, m: ModelEntry | undefined): boolean {
  if (r.type === 'other') return false;
  if (!m) return true;
  if (r.type === 'dir' && m.type === 'dir') return false; // a directory's own mode is not worth a conflict
  return m.type !== r.type || m.mode !== r.mode || (r.type === 'file' && (m.size !== r.size || m.mtime !== r.mtime));
}

/** Paths changed or deleted in the container since the last sync: only these need a local stat. */
export function downloadCandidates(remote: readonly RemoteEntry[], model: ReadonlyMap<string, ModelEntry>): string[] {
  const seen = new Set(remote.map((r) => r.path));
  const out = remote.filter((r) => differs(r, model.get(r.path))).map((r) => r.path);
  for (const p of model.keys()) if (!seen.has(p)) out.push(p);
  return out;
}

/** `local` holds the current local state of every candidate path (see downloadCandidates). */
export function planDownload(
  remote: readonly RemoteEntry[],
  model: ReadonlyMap<string, ModelEntry>,
  local: ReadonlyMap<string, LocalEntry | null>,
  dirty: ReadonlySet<string>,
): DownloadPlan {
  const plan: DownloadPlan = { fetch: [], deleteLocal: [], conflicts: [] };
  const changedLocally = (p: string) => {
    if (dirty.has(p)) return true;
    const m = model.get(p);
    const l = local.get(p) ?? null;
    if (!m) return l !== null;
    if (!l) return true;
    return m.stamp !== undefined && m.type === 'file' ? m.stamp !== l.stamp : m.type !== l.type;
  };
  const seen = new Set<string>();
  for (const r of remote) {
    seen.add(r.path);
    if (!differs(r, model.get(r.path))) continue;
    if (changedLocally(r.path)) plan.conflicts.push(r.path);
    else plan.fetch.push(r);
  }
  for (const p of model.keys()) {
    if (seen.has(p)) continue;
    if (changedLocally(p)) plan.conflicts.push(p);
    else plan.deleteLocal.push(p);
  }
  plan.fetch.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // children of a deleted directory go with it
  plan.deleteLocal.sort();
  plan.deleteLocal = plan.deleteLocal.filter((p, i, all) => !all.slice(0, i).some((q) => p.startsWith(`${q}/`)));
  return plan;
}

/** Fetches the entries with one `tar -c` in the container and writes them below `root`. */
export async function fetchInto(
  connect: Connector,
  remoteRoot: string,
  root: string,
  entries: readonly RemoteEntry[],
): Promise<string[]> {
  const files = entries.filter((e) => e.type !== 'dir').map((e) => e.path);
  const dirs = entries.filter((e) => e.type === 'dir');
  const written: string[] = [];
  for (const d of dirs) {
    const abs = path.join(root, d.path);
    await mkdir(abs, { recursive: true });
    await chmod(abs, d.mode);
    written.push(d.path);
  }
  if (files.length === 0) return written;
  // --no-recursion is not in every tar; the list names files and symlinks only, so it is not needed
  const script = `cd ${shQuote(remoteRoot)} && tar -cf - ${files.map((f) => shQuote(`./${f}`)).join(' ')}`;
  const proc = await connect(['sh', '-c', script]);
  proc.stdin.end();
  const ex = extract();
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        void write(root, header, Buffer.concat(chunks), written).then(() => next(), next);
      });
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  proc.stdout.pipe(ex);
  const [exit] = await Promise.all([proc.exited, done]);
  if (exit.code !== 0)
    throw new Error(
      `fetching from the container failed (exit ${exit.code ?? '?'}): ${stderr.trim() || exit.reason || ''}`,
    );
  return written;
}

async function write(
  root: string,
  header: { name: string; type?: string | null; mode?: number | null; mtime?: Date | null; linkname?: string | null },
  content: Buffer,
  written: string[],
): Promise<void> {
  const rel = normalizeRelative(header.name);
  if (!rel) return; // never outside the folder
  const abs = path.join(root, rel);
  await mkdir(path.dirname(abs), { recursive: true });
  const existing = await lstat(abs).catch(() => null);
  if (header.type === 'symlink') {
    if (!header.linkname || !symlinkStaysInside(rel, header.linkname)) return;
    if (existing) await rm(abs, { recursive: true, force: true });
    await symlink(header.linkname, abs);
  } else if (header.type === 'file' || header.type === undefined) {
    if (existing && !existing.isFile()) await rm(abs, { recursive: true, force: true });
    await writeFile(abs, content);
    if (header.mode != null) await chmod(abs, header.mode & 0o7777);
    if (header.mtime) await utimes(abs, header.mtime, header.mtime);
  } else return;
  written.push(rel);
}

export async function deleteLocal(root: string, paths: readonly string[]): Promise<void> {
  for (const p of paths) await rm(path.join(root, p), { recursive: true, force: true });
}

export interface RoundContext {
  agent: SyncAgent;
  connector: Connector;
  from: string;
  to: string;
  /** the engine's record of the container: updated for what was fetched or deleted */
  model: Map<string, ModelEntry>;
  dirty: ReadonlySet<string>;
  excluded(path: string, isDir: boolean): boolean;
}

/** One round: list, compare, fetch and delete locally. Conflicts are returned for re-upload. */
export async function downloadRound(ctx: RoundContext): Promise<{ changed: number; conflicts: string[] }> {
  const remote = (await ctx.agent.list()).flatMap((r) => {
    const p = normalizeRelative(r.path);
    return p && !ctx.excluded(p, r.type === 'dir') ? [{ ...r, path: p }] : [];
  });
  const candidates = downloadCandidates(remote, ctx.model);
  if (candidates.length === 0) return { changed: 0, conflicts: [] };
  const local = new Map<string, LocalEntry | null>();
  await Promise.all(candidates.map(async (p) => local.set(p, await statLocal(ctx.from, p))));
  const plan = planDownload(remote, ctx.model, local, ctx.dirty);
  const written = await fetchInto(ctx.connector, ctx.to, ctx.from, plan.fetch);
  await deleteLocal(ctx.from, plan.deleteLocal);
  for (const d of plan.deleteLocal) for (const p of ctx.model.keys()) if (isWithin(p, d)) ctx.model.delete(p);
  // what was just written counts as synced: the watcher's events for it upload nothing
  for (const p of written) {
    const e = await statLocal(ctx.from, p);
    if (e) ctx.model.set(p, toModel(e));
  }
  return { changed: written.length + plan.deleteLocal.length, conflicts: plan.conflicts };
}
