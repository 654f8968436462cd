// Packs local entries into tar frames for the agent. Frames are bounded so neither side holds a
// whole burst in memory; a single file larger than the bound travels in a frame of its own.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Header, pack as tarPack } from 'tar-stream';
import type { LocalEntry } from './local-tree.ts';

export const FRAME_BYTES = 8 * 1024 * 1024;

export interface Frame {
  tar: Buffer;
  /** the entries it holds, with the stamp of what was actually read */
  entries: LocalEntry[];
}

/** Packs the entries (parents before children); files that vanished meanwhile are left out. */
export async function* packFrames(root: string, entries: readonly LocalEntry[]): AsyncGenerator<Frame> {
  let pack = tarPack();
  let chunks: Buffer[] = [];
  let size = 0;
  let held: LocalEntry[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });

  const finish = async (): Promise<Frame> => {
    const done = new Promise<void>((resolve, reject) => {
      pack.once('end', () => resolve());
      pack.once('error', reject);
    });
    pack.finalize();
    await done;
    const frame = { tar: Buffer.concat(chunks), entries: held };
    pack = tarPack();
    pack.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    chunks = [];
    size = 0;
    held = [];
    return frame;
  };

  // Files are read 64 at a time: one readFile after another leaves the disk and the stream idle.
  for (let i = 0; i < entries.length; i += 64) {
    const group = entries.slice(i, i + 64);
    const contents = await Promise.all(
      group.map((e) => (e.type === 'file' ? readFile(path.join(root, e.path)).catch(() => null) : undefined)),
    );
    for (const [j, e] of group.entries()) {
      const content = contents[j];
      if (content === null) continue; // vanished meanwhile: the watcher reports it
      if (content && size > 0 && size + content.length > FRAME_BYTES) yield await finish();
      const header: Partial<Header> & { name: string } = {
        name: e.path,
        mode: e.mode,
        mtime: new Date(Math.floor(e.mtimeMs / 1000) * 1000),
        uid: 0,
        gid: 0,
        type: e.type === 'dir' ? 'directory' : e.type === 'symlink' ? 'symlink' : 'file',
      };
      if (e.type === 'symlink') header.linkname = e.target;
      if (content) {
        header.size = content.length;
        pack.entry(header, content);
        size += content.length + 512;
      } else {
        pack.entry(header);
        size += 512;
      }
      held.push(content && content.length !== e.size ? { ...e, size: content.length } : e);
    }
  }
  if (held.length) yield await finish();
}
