// Packs local entries into tar frames for the agent. Frames are bounded so neither side holds a
// whole burst in memory; a single file larger than the bound travels in a frame of its own.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { appendEntry, endOfArchive } from './tar-writer.ts';
import type { LocalEntry } from './local-tree.ts';

export const FRAME_BYTES = 8 * 1024 * 1024;

export interface Frame {
  tar: Buffer;
  /** the entries it holds, with the stamp of what was actually read */
  entries: LocalEntry[];
}

/** Packs the entries (parents before children); files that vanished meanwhile are left out. */
export async function* packFrames(root: string, entries: readonly LocalEntry[]): AsyncGenerator<Frame> {
  let blocks: Buffer[] = [];
  let size = 0;
  let held: LocalEntry[] = [];
  const finish = (): Frame => {
    endOfArchive(blocks);
    const frame = { tar: Buffer.concat(blocks), entries: held };
    blocks = [];
    size = 0;
    held = [];
    return frame;
  };
  // Small files are read synchronously: for thousands of them that is four times faster than
  // going through the thread pool (10,000 × 10 KB: 120 ms against 530 ms). The event loop gets a
  // turn after every group so port-forwards stay responsive during a big initial sync.
  for (let i = 0; i < entries.length; i += 64) {
    const group = entries.slice(i, i + 64);
    const contents = await Promise.all(group.map((e) => read(root, e)));
    await new Promise((resolve) => setImmediate(resolve));
    for (const [j, e] of group.entries()) {
      const content = contents[j];
      if (content === null) continue; // vanished meanwhile: the watcher reports it
      if (content && size > 0 && size + content.length > FRAME_BYTES) yield finish();
      appendEntry(blocks, {
        name: e.path,
        type: e.type,
        mode: e.mode,
        mtime: Math.floor(e.mtimeMs / 1000),
        content: content ?? undefined,
        linkname: e.target,
      });
      size += (content?.length ?? 0) + 512;
      held.push(content && content.length !== e.size ? { ...e, size: content.length } : e);
    }
  }
  if (held.length) yield finish();
}

const SMALL = 256 * 1024;

/** The content of a file entry (undefined for others), or null when it vanished meanwhile. */
function read(root: string, e: LocalEntry): Buffer | null | undefined | Promise<Buffer | null> {
  if (e.type !== 'file') return undefined;
  const abs = path.join(root, e.path);
  if (e.size >= SMALL) return readFile(abs).catch(() => null);
  try {
    return readFileSync(abs);
  } catch {
    return null;
  }
}
