// Sync over the transport `kloop dev` uses: the API server's exec WebSocket (execConnector through a
// sandbox pod), checked with the real kubectl exec.
//   1. random file operations while the engine syncs: files up to several MB, file and directory
//      mode changes, renames of non-empty folders, symlinks, type changes, names with spaces,
//      quotes and unicode; afterwards the container tree equals the local one (type, mode, md5).
//      The seed is printed; KLOOP_SYNC_SEED=<seed> replays a run, KLOOP_SYNC_OPS sets its length.
//   2. an initial sync checked by the sha256 of every file; KLOOP_SYNC_INITIAL_MB=100 runs the
//      100 MB variant (CI runs a small one).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SyncEngine } from '../../../src/dev/sync/engine.ts';
import { execConnector } from '../../../src/kube/exec.ts';
import { createDialer, type Dialer } from '../../../src/kube/streams.ts';
import { resolveCredentials } from '../../../src/kube/credentials.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { localTree } from './local-tree-print.ts';
import { type Sandbox, startSandbox, webDeployment } from './sandbox.ts';

const haveDocker = await requireDocker('the sync tests');

const OPS = Number(process.env.KLOOP_SYNC_OPS ?? 1500);
const seed = Number(process.env.KLOOP_SYNC_SEED ?? Date.now() % 1_000_000);
const INITIAL_MB = Number(process.env.KLOOP_SYNC_INITIAL_MB ?? 8);
/** a sync that never settles fails the test after this long (mutation runs shorten it) */
const TIMEOUT_MS = Number(process.env.KLOOP_SYNC_TIMEOUT_MS ?? 0);
const run = promisify(execFile);

function prng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `bytes` pseudo-random bytes (incompressible, so a transfer cannot shortcut them) */
function randomBytes(rnd: () => number, bytes: number): Buffer {
  const b = Buffer.allocUnsafe(bytes + 4);
  for (let i = 0; i < bytes; i += 4) b.writeUInt32LE(Math.floor(rnd() * 4294967296), i);
  return b.subarray(0, bytes);
}

describe('sync over the exec WebSocket of the sandbox', {
  skip: haveDocker ? false : 'Docker is not available',
}, () => {
  let sandbox: Sandbox;
  let dialer: Dialer;
  let pod = '';
  let tmp = '';
  const engines: SyncEngine[] = [];

  /** runs a script in the pod with the real kubectl */
  const sh = async (script: string) =>
    (
      await run('kubectl', ['exec', pod, '-c', 'web', '--', 'sh', '-c', script], {
        env: { ...process.env, KUBECONFIG: sandbox.kubeconfig },
        maxBuffer: 256 * 1024 * 1024,
      })
    ).stdout;

  /** "<type> <mode> <md5 or link target> <path>" per entry below dir, sorted (as localTree prints) */
  const remoteTree = async (dir: string) =>
    (
      await sh(
        `cd '${dir}' && find . ! -name . | while IFS= read -r p; do
           if [ -L "$p" ]; then echo "l 777 $(readlink "$p") $p";
           elif [ -d "$p" ]; then echo "d $(stat -c %a "$p") - $p";
           else echo "f $(stat -c %a "$p") $(md5sum < "$p" | cut -d' ' -f1) $p"; fi
         done`,
      )
    )
      .split('\n')
      .filter(Boolean)
      .sort();

  const connect = async () => execConnector(dialer, { namespace: 'default', pod, container: 'web' });

  before(async () => {
    sandbox = await startSandbox();
    dialer = createDialer(await resolveCredentials({ kubeconfig: sandbox.kubeconfig }));
    await sandbox.kubectlInput(webDeployment('sync'), 'apply', '-f', '-');
    await sandbox.kubectl('rollout', 'status', 'deployment/sync', '--timeout=90s');
    pod = (await sandbox.kubectl('get', 'pods', '-l', 'app=sync', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    tmp = await mkdtemp(path.join(tmpdir(), 'kloop-sync-random-'));
  });
  after(async () => {
    for (const e of engines) await e.stop().catch(() => {});
    await sandbox?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test(`${OPS} random operations end with identical trees (seed ${seed}, replay: KLOOP_SYNC_SEED=${seed})`, {
    timeout: TIMEOUT_MS || Math.max(300_000, OPS * 200),
  }, async (t) => {
    t.diagnostic(`seed ${seed}: KLOOP_SYNC_SEED=${seed} replays this run`);
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const from = path.join(tmp, 'random');
    await mkdir(from);
    const files = new Set<string>();
    const dirs = new Set<string>(['']);
    const links = new Set<string>();
    let n = 0;
    // names a user's tree really has: spaces, quotes, shell characters, accents, CJK, emoji
    const stems = ['n', 'file ', 'naïve ', '日本語-', 'emoji 🎉 ', "it's ", '$HOME ', 'a&b;', 'Ünïcödé_', '(copy) '];
    const fresh = (dir: string, ext = '') => `${dir ? `${dir}/` : ''}${pick(stems)}${n++}${ext}`;
    const abs = (rel: string) => path.join(from, rel);
    const forget = (rel: string) => {
      for (const f of [...files]) if (f === rel || f.startsWith(`${rel}/`)) files.delete(f);
      for (const d of [...dirs]) if (d === rel || d.startsWith(`${rel}/`)) dirs.delete(d);
      for (const l of [...links]) if (l.startsWith(`${rel}/`)) links.delete(l);
    };
    let bigBytes = 0;
    let bigFiles = 0;
    const content = (): Buffer => {
      const r = rnd();
      if (r < 0.007) {
        // a large file: 256 KiB to 5 MiB
        const size = 256 * 1024 + Math.floor(rnd() * (5 * 1024 * 1024 - 256 * 1024));
        bigBytes += size;
        bigFiles++;
        return randomBytes(rnd, size);
      }
      return r < 0.5 ? randomBytes(rnd, Math.floor(rnd() * 3000)) : Buffer.from(`${'x'.repeat(rnd() * 3000)}${rnd()}`);
    };

    // a starting tree, synced initially
    for (let i = 0; i < 12; i++) {
      const d = fresh('');
      await mkdir(abs(d));
      dirs.add(d);
      for (let j = 0; j < 8; j++) {
        const f = fresh(d, '.txt');
        await writeFile(abs(f), content());
        files.add(f);
      }
    }
    const engine = new SyncEngine({ from, to: '/random', exclude: ['*.skip'], connect });
    engines.push(engine);
    await engine.start();

    const counts: Record<string, number> = {};
    for (let i = 0; i < OPS; i++) {
      const r = rnd();
      const fileList = [...files];
      const dirList = [...dirs];
      let op: string;
      if (r < 0.22 || fileList.length < 5) {
        op = 'create';
        const f = fresh(pick(dirList), rnd() < 0.05 ? '.skip' : '.txt');
        await writeFile(abs(f), content());
        files.add(f);
      } else if (r < 0.45) {
        op = 'modify';
        await writeFile(abs(pick(fileList)), content());
      } else if (r < 0.53) {
        op = 'delete';
        const f = pick(fileList);
        await rm(abs(f));
        files.delete(f);
      } else if (r < 0.62) {
        op = 'rename';
        const f = pick(fileList);
        const to = fresh(pick(dirList), '.txt');
        await rename(abs(f), abs(to));
        files.delete(f);
        files.add(to);
      } else if (r < 0.69) {
        op = 'chmod';
        await chmod(abs(pick(fileList)), pick([0o644, 0o755, 0o600, 0o640, 0o444]));
      } else if (r < 0.74 && dirList.length > 1) {
        op = 'chmod-dir';
        await chmod(abs(pick(dirList.filter((x) => x !== ''))), pick([0o755, 0o750, 0o700, 0o775, 0o711]));
      } else if (r < 0.8) {
        op = 'mkdir';
        const d = fresh(pick(dirList));
        await mkdir(abs(d));
        dirs.add(d);
      } else if (r < 0.815 && dirList.length > 3) {
        op = 'rmdir';
        const d = pick(dirList.filter((x) => x !== ''));
        await rm(abs(d), { recursive: true });
        forget(d);
      } else if (r < 0.91 && dirList.length > 3) {
        // a non-empty folder moves, possibly deeper into another one
        const d = pick(dirList.filter((x) => x !== ''));
        const parent = pick(dirList.filter((x) => x !== d && !x.startsWith(`${d}/`)));
        const target = fresh(parent);
        op = [...files].some((f) => f.startsWith(`${d}/`)) ? 'rename-dir' : 'rename-empty-dir';
        await rename(abs(d), abs(target));
        for (const f of [...files]) if (f.startsWith(`${d}/`)) files.add(target + f.slice(d.length));
        for (const x of [...dirs]) if (x === d || x.startsWith(`${d}/`)) dirs.add(target + x.slice(d.length));
        for (const l of [...links]) if (l.startsWith(`${d}/`)) links.add(target + l.slice(d.length));
        forget(d);
      } else if (r < 0.95) {
        op = 'symlink';
        const dir = pick(dirList);
        const l = fresh(dir);
        const target = path.posix.relative(dir || '.', pick(fileList));
        await symlink(target, abs(l));
        links.add(l);
      } else {
        op = 'type-change';
        const f = pick(fileList);
        await rm(abs(f));
        await mkdir(abs(f));
        files.delete(f);
        dirs.add(f);
        await writeFile(abs(`${f}/inside.txt`), content());
        files.add(`${f}/inside.txt`);
      }
      counts[op] = (counts[op] ?? 0) + 1;
      if (i % 50 === 49) await delay(Math.floor(rnd() * 30));
    }
    await delay(100);
    await engine.idle();
    await delay(100);
    await engine.idle();
    const local = await localTree(from, (rel) => rel.endsWith('.skip'));
    const remote = await remoteTree('/random');
    const missing = local.filter((l) => !remote.includes(l)).slice(0, 10);
    const extra = remote.filter((l) => !local.includes(l)).slice(0, 10);
    const what = `seed ${seed} (KLOOP_SYNC_SEED=${seed} replays it), ops ${JSON.stringify(counts)}, ${bigFiles} large files (${(bigBytes / 1e6).toFixed(1)} MB)`;
    assert.deepEqual(
      { missing, extra },
      { missing: [], extra: [] },
      `${what}, status ${JSON.stringify(engine.status)}`,
    );
    assert.equal(remote.length, local.length);
    t.diagnostic(what);
    // the run exercised what it claims (with the default length every kind occurs)
    assert.ok(local.length > 50, `a tree of ${local.length} entries was compared`);
    if (OPS >= 1000) {
      for (const op of ['rename-dir', 'chmod-dir', 'chmod', 'symlink', 'type-change'])
        assert.ok((counts[op] ?? 0) > 0, `${what}: no ${op}`);
      assert.ok(bigFiles > 0, `${what}: no large file`);
      assert.ok(
        local.some((l) => / /.test(l.split(' ').slice(3).join(' ')) && /[^\x00-\x7f]/.test(l)),
        'names with spaces and unicode were compared',
      );
    }
    assert.equal(engine.status.state, 'in-sync');
    await engine.stop();
  });

  test(`an initial sync of ${INITIAL_MB} MB arrives byte for byte (sha256 of every file)`, {
    timeout: TIMEOUT_MS || Math.max(300_000, INITIAL_MB * 10_000),
  }, async (t) => {
    const rnd = prng(seed + 1);
    const from = path.join(tmp, 'initial');
    const total = INITIAL_MB * 1024 * 1024;
    // a few large files (a quarter of the bytes), the rest in many small ones across nested folders
    let written = 0;
    let count = 0;
    const large = Math.max(2, Math.round(INITIAL_MB / 16));
    for (let i = 0; i < large; i++) {
      const dir = path.join(from, 'assets', `media ${i}`);
      await mkdir(dir, { recursive: true });
      const size = Math.floor(total / 4 / large);
      await writeFile(path.join(dir, `vidéo-${i}.bin`), randomBytes(rnd, size));
      written += size;
      count++;
    }
    for (let d = 0; written < total; d++) {
      const dir = path.join(from, `dir ${d % 40}`, `sub-${d}`);
      await mkdir(dir, { recursive: true });
      for (let f = 0; f < 50 && written < total; f++) {
        const size = Math.min(total - written, 1 + Math.floor(rnd() * 40 * 1024));
        await writeFile(path.join(dir, `f${f} ü.dat`), randomBytes(rnd, size));
        written += size;
        count++;
      }
    }
    const local = await hashes(from);
    assert.equal(local.size, count);

    const engine = new SyncEngine({ from, to: '/initial', watch: false, connect });
    engines.push(engine);
    const started = performance.now();
    await engine.start();
    const ms = performance.now() - started;
    await engine.stop();

    const remote = new Map<string, string>();
    for (const line of (await sh(`cd /initial && find . -type f -exec sha256sum {} +`)).split('\n')) {
      const m = /^([0-9a-f]{64}) {2}\.\/(.*)$/.exec(line);
      if (m) remote.set(m[2]!, m[1]!);
    }
    const wrong = [...local].filter(([p, h]) => remote.get(p) !== h).map(([p]) => p);
    const extra = [...remote.keys()].filter((p) => !local.has(p));
    assert.deepEqual({ wrong: wrong.slice(0, 10), extra: extra.slice(0, 10) }, { wrong: [], extra: [] });
    assert.equal(remote.size, count);
    t.diagnostic(`${count} files, ${(written / 1e6).toFixed(1)} MB in ${(ms / 1000).toFixed(1)} s (informational)`);
  });
});

/** relative path → sha256 of every regular file below root */
async function hashes(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if ((await stat(path.join(root, r))).isDirectory()) await walk(r);
      else
        out.set(
          r,
          createHash('sha256')
            .update(await readFile(path.join(root, r)))
            .digest('hex'),
        );
    }
  };
  await walk('');
  return out;
}
