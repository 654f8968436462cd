// A minimal tar (ustar + PAX for long names) writer for sync frames. Building headers by hand is
// about ten times cheaper than a streaming packer for thousands of small files, which is most of
// an initial sync's local CPU time.
const BLOCK = 512;

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  /** seconds */
  mtime: number;
  content?: Buffer;
  linkname?: string;
}

function octal(buf: Buffer, offset: number, length: number, value: number): void {
  buf.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

function header(
  name: string,
  type: string,
  mode: number,
  size: number,
  mtime: number,
  linkname = '',
  prefix = '',
): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, mode & 0o7777);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  h.write(type, 156, 1, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 8, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

function padding(size: number): Buffer | null {
  const rest = size % BLOCK;
  return rest ? Buffer.alloc(BLOCK - rest) : null;
}

/** A PAX record "<len> key=value\n", where len counts the whole record including itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Splits a long name into ustar prefix + name when it fits, else null. */
function split(name: string): [string, string] | null {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return [prefix, rest];
  }
  return null;
}

/** Appends the blocks of one entry to `out`. */
export function appendEntry(out: Buffer[], e: TarEntry): void {
  const name = e.type === 'dir' ? `${e.name}/` : e.name;
  const type = e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0';
  const size = e.type === 'file' ? (e.content?.length ?? 0) : 0;
  const linkname = e.linkname ?? '';
  let parts = split(name);
  if (!parts || Buffer.byteLength(linkname) > 100) {
    let pax = '';
    if (!parts) pax += paxRecord('path', name);
    if (Buffer.byteLength(linkname) > 100) pax += paxRecord('linkpath', linkname);
    const body = Buffer.from(pax, 'utf8');
    out.push(header('PaxHeader', 'x', 0o644, body.length, e.mtime), body);
    const pad = padding(body.length);
    if (pad) out.push(pad);
    parts = parts ?? ['', name.slice(-100)];
  }
  out.push(header(parts[1], type, e.mode, size, e.mtime, linkname.slice(0, 100), parts[0]));
  if (size) {
    out.push(e.content!);
    const pad = padding(size);
    if (pad) out.push(pad);
  }
}

/** The end-of-archive marker: two zero blocks. */
export function endOfArchive(out: Buffer[]): void {
  out.push(Buffer.alloc(BLOCK * 2));
}
