// The local counterpart of remoteTree(): the same lines for a local folder, without the symlinks
// that point outside it (sync rejects those).
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { symlinkStaysInside } from '../../../src/dev/sync/paths.ts';

export async function localTree(root: string, skip: (rel: string) => boolean = () => false): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const abs = path.join(root, r);
      const st = await lstat(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) {
        const target = await readlink(abs);
        if (symlinkStaysInside(r, target)) out.push(`l 777 ${target} ./${r}`);
      } else if (st.isDirectory()) {
        out.push(`d ${mode} - ./${r}`);
        await walk(r);
      } else
        out.push(
          `f ${mode} ${createHash('md5')
            .update(await readFile(abs))
            .digest('hex')} ./${r}`,
        );
    }
  };
  await walk('');
  return out.sort();
}
