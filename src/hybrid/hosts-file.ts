// `kloop connect --hosts`: Service names in the hosts file, for programs that ignore HTTP_PROXY.
// The block is marked with kloop's pid; it is removed when connect ends, and a block whose
// process is gone (a crash, kill -9) is removed by the next connect. The file is rewritten in
// place, not renamed over: in containers /etc/hosts is a bind mount.
import { readFileSync, writeFileSync } from 'node:fs';
import { KloopError } from '../errors.ts';
import { alive } from '../process/alive.ts';

const BEGIN = '# >>> kloop connect';
const END = '# <<< kloop connect';

export function hostsFilePath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.KLOOP_HOSTS_FILE || '/etc/hosts';
}

/** The text without the blocks whose owner is `pid` or no longer running (all blocks of dead owners). */
export function withoutBlocks(text: string, drop: (pid: number) => boolean): { text: string; removed: number[] } {
  const out: string[] = [];
  const removed: number[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    const begin = line.startsWith(BEGIN) ? /pid=(\d+)/.exec(line) : null;
    if (begin && drop(Number(begin[1]))) {
      skipping = true;
      removed.push(Number(begin[1]));
      continue;
    }
    if (skipping) {
      if (line.startsWith(END)) skipping = false;
      continue;
    }
    out.push(line);
  }
  return { text: out.join('\n'), removed };
}

export function hostsBlock(pid: number, entries: ReadonlyArray<{ address: string; names: string[] }>): string {
  const lines = entries.map((e) => `${e.address}\t${e.names.join(' ')}`);
  return `${BEGIN} pid=${pid} (removed when it ends)\n${lines.join('\n')}\n${END} pid=${pid}\n`;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new KloopError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function write(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KloopError(`--hosts: cannot write ${file} (${code ?? (error as Error).message})`, {
      hint:
        code === 'EACCES' || code === 'EPERM'
          ? `give your user write access to ${file}, or leave out --hosts: the HTTP proxy kloop exports resolves Service names without it`
          : undefined,
    });
  }
}

/** Removes blocks left by kloop processes that are gone; returns their pids. */
export function removeStaleBlocks(file: string): number[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  if (!text.includes(BEGIN)) return [];
  const { text: cleaned, removed } = withoutBlocks(text, (pid) => !alive(pid));
  if (removed.length) write(file, cleaned);
  return removed;
}

export interface HostsEntry {
  address: string;
  names: string[];
}

/** Adds this process's block; returns the function that removes it (safe to call twice). */
export function addHostsBlock(file: string, entries: HostsEntry[]): () => void {
  const pid = process.pid;
  const current = withoutBlocks(read(file), (p) => p === pid).text;
  write(file, `${current.replace(/\n*$/, '\n')}${hostsBlock(pid, entries)}`);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    try {
      const { text, removed: found } = withoutBlocks(readFileSync(file, 'utf8'), (p) => p === pid);
      if (found.length) writeFileSync(file, text);
    } catch {
      // the next connect removes it (its pid is gone by then)
    }
  };
  // the last chance when kloop is ending without reaching its own cleanup
  process.once('exit', remove);
  return remove;
}
