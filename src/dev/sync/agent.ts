// The container side of sync: one long-lived `sh` that applies framed requests from stdin and
// acknowledges each on stdout, so a batch costs no process spawn and no handshake.
//
// Request:  "<op> <id> <bytes>\n" then exactly <bytes> bytes.
//   T  a tar archive, extracted into the root by its own `tar -x` (busybox tar waits for EOF, so each
//      frame is cut out of the stream with dd and gets a clean end)
//   S  a shell script (rm, mkdir, chmod) evaluated in the root
//   L  a listing of the root: "<raw mode hex> <size> <mtime> ./<path>" lines, then the ack
//   Q  quit
// Reply:    "K <id>" when applied, "E <id> <exit code> <message>" when not.
import { KloopError } from '../../errors.ts';
import type { Connector, ExitStatus, RemoteProcess } from './process.ts';

// dd reads exactly N bytes from a pipe only with iflag=fullblock (head -c reads ahead and loses the
// next frame); the bounded block size keeps the container from allocating a whole frame at once.
const SCRIPT = `
root=$1
mkdir -p "$root" 2>/dev/null
cd "$root" 2>/dev/null || { echo "F cannot enter $root"; exit 3; }
for t in tar dd find stat; do
  command -v $t >/dev/null 2>&1 || { echo "F the container has no $t"; exit 4; }
done
if echo x | dd bs=1 count=1 iflag=fullblock >/dev/null 2>&1; then fb=1; else fb=; fi
readn() {
  if [ -n "$fb" ]; then
    q=$(($1 / 65536)); r=$(($1 % 65536))
    if [ $q -gt 0 ]; then dd bs=65536 count=$q iflag=fullblock 2>/dev/null; fi
    if [ $r -gt 0 ]; then dd bs=$r count=1 iflag=fullblock 2>/dev/null; fi
  elif [ "$1" -gt 0 ]; then dd bs=1 count=$1 2>/dev/null; fi
}
echo "R \${fb:-0}"
while read -r op id n; do
  case "$op" in
    T) out=$(readn "$n" | tar -xof - 2>&1); rc=$? ;;
    S) out=$(eval "$(readn "$n")" 2>&1); rc=$? ;;
    L) find . -exec stat -c '%f %s %Y %n' {} + 2>/dev/null; out=; rc=0 ;;
    Q) echo "K $id"; exit 0 ;;
    *) out="unknown request $op"; rc=2 ;;
  esac
  if [ $rc -eq 0 ]; then echo "K $id"; else printf 'E %s %s %s\\n' "$id" "$rc" "$(printf %s "$out" | tr '\\n' ' ')"; fi
done
`;

export type RemoteType = 'file' | 'dir' | 'symlink' | 'other';

export interface RemoteEntry {
  /** relative to the root, without "./" */
  path: string;
  type: RemoteType;
  /** permission bits */
  mode: number;
  size: number;
  /** seconds */
  mtime: number;
}

interface Pending {
  id: number;
  what: string;
  bytes: number;
  lines?: string[];
  resolve: (lines: string[]) => void;
  reject: (error: Error) => void;
}

export function parseListingLine(line: string): RemoteEntry | null {
  const m = /^([0-9a-f]+) (\d+) (\d+) \.\/(.+)$/.exec(line);
  if (!m) return null;
  const raw = Number.parseInt(m[1]!, 16);
  const fmt = raw & 0o170000;
  const type: RemoteType =
    fmt === 0o100000 ? 'file' : fmt === 0o040000 ? 'dir' : fmt === 0o120000 ? 'symlink' : 'other';
  return { path: m[4]!, type, mode: raw & 0o7777, size: Number(m[2]), mtime: Number(m[3]) };
}

export class SyncAgent {
  readonly root: string;
  /** whether dd has iflag=fullblock in this container (else the slow dd bs=1 fallback is used) */
  fullblock = false;
  private readonly proc: RemoteProcess;
  private readonly pending: Pending[] = [];
  private nextId = 1;
  private buffer = '';
  private stderrTail = '';
  private closedError: Error | null = null;
  private writeChain: Promise<void> = Promise.resolve();
  readonly exited: Promise<ExitStatus>;

  private constructor(proc: RemoteProcess, root: string) {
    this.proc = proc;
    this.root = root;
    this.exited = proc.exited;
  }

  /** Starts the agent in the container and waits until it is ready to apply requests. */
  static async start(connect: Connector, root: string): Promise<SyncAgent> {
    const proc = await connect(['sh', '-c', SCRIPT, 'kloop-sync', root]);
    const agent = new SyncAgent(proc, root);
    return agent.handshake();
  }

  private handshake(): Promise<SyncAgent> {
    // a broken stdin shows up as the end of the stream; the exit status says why
    this.proc.stdin.on('error', () => {});
    return new Promise((resolve, reject) => {
      let ready = false;
      this.proc.stderr.on('data', (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
      });
      this.proc.stdout.on('data', (chunk: Buffer) => {
        this.buffer += chunk.toString('utf8');
        let nl = this.buffer.indexOf('\n');
        while (nl >= 0) {
          const line = this.buffer.slice(0, nl);
          this.buffer = this.buffer.slice(nl + 1);
          if (!ready) {
            if (line.startsWith('R ')) {
              ready = true;
              this.fullblock = line === 'R 1';
              resolve(this);
            } else if (line.startsWith('F ')) {
              reject(new KloopError(`sync cannot start in the container: ${line.slice(2)}`, { hint: hintFor(line) }));
            }
          } else this.onLine(line);
          nl = this.buffer.indexOf('\n');
        }
      });
      this.proc.exited.then((status) => {
        const error = new Error(this.describeExit(status));
        this.closedError = error;
        if (!ready) reject(new KloopError(`sync cannot start in the container: ${error.message}`));
        for (const p of this.pending.splice(0)) p.reject(error);
      });
    });
  }

  private describeExit(status: ExitStatus): string {
    const tail = this.stderrTail.trim().split('\n').slice(-3).join(' ');
    const why = status.reason ?? (status.code === null ? 'connection lost' : `exit code ${status.code}`);
    return `the sync stream ended (${why})${tail ? `: ${tail}` : ''}`;
  }

  private onLine(line: string): void {
    const head = this.pending[0];
    const ack = /^([KE]) (\d+)(?: (\d+) ?(.*))?$/.exec(line);
    if (ack && head && Number(ack[2]) === head.id) {
      this.pending.shift();
      if (ack[1] === 'K') head.resolve(head.lines ?? []);
      else
        head.reject(
          new Error(`${head.what} failed in the container (exit ${ack[3]}): ${ack[4]?.trim() || 'no message'}`),
        );
      return;
    }
    if (head?.lines) head.lines.push(line);
  }

  private request(op: string, body: Buffer, what: string, collect = false): Promise<string[]> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const result = new Promise<string[]>((resolve, reject) => {
      this.pending.push({ id, what, bytes: body.length, lines: collect ? [] : undefined, resolve, reject });
    });
    const header = Buffer.from(`${op} ${id} ${body.length}\n`);
    this.writeChain = this.writeChain.then(() => this.write(body.length ? Buffer.concat([header, body]) : header));
    return result;
  }

  private write(data: Buffer): Promise<void> {
    const { stdin } = this.proc;
    if (stdin.destroyed || stdin.writableEnded || this.closedError) return Promise.resolve();
    return new Promise((resolve) => {
      if (stdin.write(data)) resolve();
      else {
        const done = () => {
          stdin.off('drain', done);
          stdin.off('close', done);
          resolve();
        };
        stdin.on('drain', done);
        stdin.on('close', done);
      }
    });
  }

  /** Extracts one tar archive into the root. */
  async extract(tar: Buffer): Promise<void> {
    await this.request('T', tar, 'extracting files');
  }

  /** Runs a generated shell script in the root. */
  async script(sh: string): Promise<void> {
    await this.request('S', Buffer.from(sh), 'applying deletes and modes');
  }

  /** Everything below the root. Entries with unsafe names are dropped. */
  async list(): Promise<RemoteEntry[]> {
    const lines = await this.request('L', Buffer.alloc(0), 'listing the container directory', true);
    const out: RemoteEntry[] = [];
    for (const line of lines) {
      const e = parseListingLine(line);
      if (e) out.push(e);
    }
    return out;
  }

  /** Asks the agent to exit and waits briefly; kills the stream if it does not. */
  async close(): Promise<void> {
    if (!this.closedError) {
      this.request('Q', Buffer.alloc(0), 'quit').catch(() => {});
      this.writeChain = this.writeChain.then(() => {
        this.proc.stdin.end();
      });
    }
    const timer = setTimeout(() => this.proc.kill(), 2000);
    await this.proc.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.proc.kill();
  }

  /** bytes sent or queued and not yet acknowledged */
  pendingBytes(): number {
    return this.pending.reduce((n, p) => n + p.bytes, 0);
  }

  /** false once the stream ended; requests then fail at once */
  get alive(): boolean {
    return this.closedError === null;
  }
}

function hintFor(line: string): string | undefined {
  if (/no (tar|dd|find|stat)/.test(line))
    return 'sync needs sh, tar, dd, find and stat in the container; use an image with busybox or coreutils for development';
  if (line.includes('cannot enter')) return 'check that the sync target directory can be created by the container user';
  return undefined;
}
