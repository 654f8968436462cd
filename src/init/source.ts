// Reading another tool's config so that nothing is dropped silently: every key a converter reads
// is marked as taken; whatever is left over at the end is reported as not converted.
import type { Note } from './draft.ts';

type Key = string | number;

function pathText(path: readonly Key[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export class Source {
  readonly taken = new Set<string>();
  readonly notes: Note[] = [];
  readonly file: string;
  readonly doc: unknown;
  /** prefix for paths when one file holds several configs ("config 2: ") */
  readonly label: string;
  constructor(file: string, doc: unknown, label = '') {
    this.file = file;
    this.doc = doc;
    this.label = label;
  }

  root(): Node {
    return new Node(this, [], this.doc);
  }

  note(path: readonly Key[], reason: string): void {
    this.notes.push({ file: this.file, path: this.label + pathText(path), reason });
  }

  /** Keys never read, collapsed to the highest path whose whole subtree was left. */
  leftovers(reason = 'kloop has no equivalent for this key'): Note[] {
    const out: Note[] = [];
    // returns true when nothing under path was taken
    const walk = (path: Key[], value: unknown): boolean => {
      const key = pathText(path);
      if (this.taken.has(key)) return false;
      const children: [Key, unknown][] = Array.isArray(value)
        ? value.map((v, i): [Key, unknown] => [i, v])
        : isMap(value)
          ? Object.entries(value)
          : [];
      if (children.length === 0) return true;
      const untouched = children.map(([k, v]) => [k, v, walk([...path, k], v)] as const);
      if (untouched.every(([, , u]) => u)) return true;
      for (const [k, , u] of untouched)
        if (u) out.push({ file: this.file, path: this.label + pathText([...path, k]), reason });
      return false;
    };
    if (walk([], this.doc)) out.push({ file: this.file, path: this.label || '(whole file)', reason });
    return out;
  }
}

/** A value in the source config, at a path. */
export class Node {
  readonly src: Source;
  readonly path: readonly Key[];
  readonly value: unknown;
  constructor(src: Source, path: readonly Key[], value: unknown) {
    this.src = src;
    this.path = path;
    this.value = value;
  }

  get where(): string {
    return this.src.label + pathText(this.path);
  }

  has(key: Key): boolean {
    return this.at(key).value !== undefined && this.at(key).value !== null;
  }

  /** A child, not yet taken. */
  at(key: Key): Node {
    const v = this.value;
    const child = Array.isArray(v) && typeof key === 'number' ? v[key] : isMap(v) ? v[String(key)] : undefined;
    return new Node(this.src, [...this.path, key], child);
  }

  /** Marks this node (and everything under it) as converted. */
  take(): unknown {
    this.src.taken.add(pathText(this.path));
    return this.value;
  }

  /** A remark about this node (converted, but with a difference the user should know). */
  note(reason: string): void {
    this.src.note(this.path, reason);
  }

  /** Marks this node as not converted, with the reason. */
  skip(reason: string): void {
    if (this.value === undefined) return;
    this.take();
    this.src.note(this.path, reason);
  }

  str(key: Key): string | undefined {
    const n = this.at(key);
    if (typeof n.value === 'string') return n.take() as string;
    if (typeof n.value === 'number' || typeof n.value === 'boolean') return String(n.take());
    return undefined;
  }

  bool(key: Key): boolean | undefined {
    const n = this.at(key);
    if (typeof n.value === 'boolean') return n.take() as boolean;
    if (n.value === 'true' || n.value === 'false') return n.take() === 'true';
    return undefined;
  }

  num(key: Key): number | undefined {
    const n = this.at(key);
    if (typeof n.value === 'number') return n.take() as number;
    if (typeof n.value === 'string' && /^\d+$/.test(n.value)) return Number(n.take());
    return undefined;
  }

  /** A whole subtree, taken as it is. */
  raw(key: Key): unknown {
    const n = this.at(key);
    return n.value === undefined ? undefined : n.take();
  }

  /** Strings of a list (or one string). */
  strings(key: Key): string[] | undefined {
    const n = this.at(key);
    if (typeof n.value === 'string') return [n.take() as string];
    if (!Array.isArray(n.value)) return undefined;
    const out: string[] = [];
    n.value.forEach((v, i) => {
      if (typeof v === 'string' || typeof v === 'number') {
        n.at(i).take();
        out.push(String(v));
      }
    });
    if (n.value.length === 0) n.take();
    return out;
  }

  /** Items of a list. */
  items(): Node[] {
    return Array.isArray(this.value) ? this.value.map((_, i) => this.at(i)) : [];
  }

  /** [key, node] pairs of a map. */
  entries(): [string, Node][] {
    return isMap(this.value) ? Object.keys(this.value).map((k): [string, Node] => [k, this.at(k)]) : [];
  }

  get isMap(): boolean {
    return isMap(this.value);
  }
}
