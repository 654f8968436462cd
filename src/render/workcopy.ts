// The private work copy: every file render feeds to helm or kustomize is written under a temp
// directory at the same absolute path (<tmp>/<abs path>), so relative references between files keep
// working and the repository itself is never written. Files inside the project are substituted
// (unless binary); the text each input had is also what the cache key is made of.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { VariableSet } from '../config/project.ts';
import { substitute } from '../config/variables.ts';
import { seen, seenText } from './fingerprint.ts';

export interface WorkCopy {
  readonly dir: string;
  /** where an absolute source path lives in the work copy */
  at(file: string): string;
  /** writes a source file into the work copy, substituted when it is a text file inside the project */
  copy(file: string, options?: { substitute?: boolean }): Promise<Buffer>;
  /** writes a whole directory verbatim (charts: templates are never substituted) */
  copyDir(dir: string): Promise<void>;
  write(file: string, content: string | Buffer): Promise<void>;
  remove(): Promise<void>;
}

export function isBinary(data: Buffer): boolean {
  return data.subarray(0, 8000).includes(0);
}

export function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export interface InputContext {
  root: string;
  vars: VariableSet;
  /** undefined ${VAR} is an error instead of a warning-at-most */
  strictVars?: boolean;
  warn?: (message: string) => void;
}

const CONFIG_FILE = /\.(ya?ml|json)$|(^|\/)Kustomization$/;

/**
 * Whether render substitutes variables in a file: only where it is configuration. `config` files
 * (values files, plain manifests, kustomizations and the resources/patches they list) are, when
 * they are YAML or JSON; `data` (configMapGenerator/secretGenerator sources) only when YAML.
 * Scripts, properties, env files and anything else are taken in verbatim.
 */
export function substitutes(file: string, role: 'values' | 'manifest' | 'config' | 'data' | 'chart'): boolean {
  if (role === 'chart') return false;
  if (role === 'values' || role === 'manifest') return true;
  return role === 'config' ? CONFIG_FILE.test(file) : /\.ya?ml$/.test(file);
}

/** Reads a source file as render sees it: substituted when it is text inside the project root. */
export async function readInput(
  file: string,
  ctx: InputContext,
  options: { substitute?: boolean } = {},
): Promise<Buffer> {
  seen(file);
  const raw = await readFile(file);
  const shouldSubstitute = (options.substitute ?? isInside(ctx.root, file)) && !isBinary(raw);
  if (!shouldSubstitute) return raw;
  const text = raw.toString('utf8');
  seenText(text);
  const name = path.relative(ctx.root, file) || file;
  return Buffer.from(substitute(text, ctx.vars, name, { strict: ctx.strictVars, warn: ctx.warn }), 'utf8');
}

export async function createWorkCopy(ctx: InputContext): Promise<WorkCopy> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kloop-render-'));
  const at = (file: string) => path.join(dir, path.resolve(file));
  const write = async (file: string, content: string | Buffer) => {
    const target = at(file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  };
  return {
    dir,
    at,
    write,
    async copy(file, options) {
      const data = await readInput(file, ctx, options);
      await write(file, data);
      return data;
    },
    async copyDir(source) {
      for (const file of await listFiles(source)) await write(file, await readFile(file));
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Every file under a directory, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  seen(dir);
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  for (const e of entries) {
    const file = path.join(e.parentPath, e.name);
    if (e.isDirectory()) seen(file);
    if (e.isFile()) out.push(file);
    // a symlink counts when it points at a file (helm follows it the same way)
    else if (e.isSymbolicLink() && (await stat(file).catch(() => undefined))?.isFile()) out.push(file);
  }
  return out.sort();
}

/** Accumulates the inputs of a render into one cache key. */
export class InputHash {
  #hash = createHash('sha256');
  add(label: string, data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.#hash.update(`${label}\0${bytes.length}\0`);
    this.#hash.update(bytes);
  }
  digest(): string {
    return this.#hash.digest('hex');
  }
}
