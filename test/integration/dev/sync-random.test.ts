// 5,000 random file operations while the engine syncs; afterwards the container tree must equal
// the local one in content and mode. The seed is printed so a failure can be replayed.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { SyncEngine } from '../../../src/dev/sync/engine.ts';
import { dockerConnector } from '../../../src/dev/sync/process.ts';
import { dockerAvailable, remoteTree, removeContainer, startContainer } from './container.ts';
import { localTree } from './local-tree-print.ts';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const haveDocker = await dockerAvailable();
if (!haveDocker && ci) throw new Error('Docker is required for the sync tests (CI=true)');

const OPS = 5000;
const seed = Number(process.env.KLOOP_SYNC_SEED ?? Date.now() % 1_000_000);

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

let container = '';
let tmp = '';
let engine: SyncEngine | null = null;

before(async () => {
  if (!haveDocker) return;
  container = await startContainer();
  tmp = await mkdtemp(path.join(tmpdir(), 'kloop-sync-random-'));
});
after(async () => {
  await engine?.stop();
  if (container) await removeContainer(container);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test(`${OPS} random operations end with identical trees (seed ${seed})`, {
  skip: !haveDocker && 'Docker is not available',
}, async () => {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const from = path.join(tmp, 'src');
  await mkdir(from);
  const files = new Set<string>();
  const dirs = new Set<string>(['']);
  const links = new Set<string>();
  let n = 0;
  const fresh = (dir: string, ext = '') => (dir ? `${dir}/` : '') + `n${n++}${ext}`;
  const abs = (rel: string) => path.join(from, rel);
  const forget = (rel: string) => {
    for (const f of [...files]) if (f === rel || f.startsWith(`${rel}/`)) files.delete(f);
    for (const d of [...dirs]) if (d === rel || d.startsWith(`${rel}/`)) dirs.delete(d);
    for (const l of [...links]) if (l.startsWith(`${rel}/`)) links.delete(l);
  };
  const content = () => 'x'.repeat(Math.floor(rnd() * 3000)) + String(rnd());

  // a starting tree, synced initially
  for (let i = 0; i < 20; i++) {
    const d = fresh('');
    await mkdir(abs(d));
    dirs.add(d);
    for (let j = 0; j < 10; j++) {
      const f = fresh(d, '.txt');
      await writeFile(abs(f), content());
      files.add(f);
    }
  }
  engine = new SyncEngine({
    from,
    to: '/random',
    exclude: ['*.skip'],
    connect: async () => dockerConnector(container),
  });
  await engine.start();

  const counts: Record<string, number> = {};
  for (let i = 0; i < OPS; i++) {
    const r = rnd();
    const fileList = [...files];
    const dirList = [...dirs];
    let op: string;
    if (r < 0.25 || fileList.length < 5) {
      op = 'create';
      const f = fresh(pick(dirList), rnd() < 0.05 ? '.skip' : '.txt');
      await writeFile(abs(f), content());
      files.add(f);
    } else if (r < 0.5) {
      op = 'modify';
      await writeFile(abs(pick(fileList)), content());
    } else if (r < 0.6) {
      op = 'delete';
      const f = pick(fileList);
      await rm(abs(f));
      files.delete(f);
    } else if (r < 0.7) {
      op = 'rename';
      const f = pick(fileList);
      const to = fresh(pick(dirList), '.txt');
      await rename(abs(f), abs(to));
      files.delete(f);
      files.add(to);
    } else if (r < 0.78) {
      op = 'chmod';
      await chmod(abs(pick(fileList)), pick([0o644, 0o755, 0o600, 0o640]));
    } else if (r < 0.86) {
      op = 'mkdir';
      const d = fresh(pick(dirList));
      await mkdir(abs(d));
      dirs.add(d);
    } else if (r < 0.9 && dirList.length > 3) {
      op = 'rmdir';
      const d = pick(dirList.filter((x) => x !== ''));
      await rm(abs(d), { recursive: true });
      forget(d);
    } else if (r < 0.94 && dirList.length > 3) {
      op = 'rename-dir';
      const d = pick(dirList.filter((x) => x !== ''));
      const target = fresh('');
      await rename(abs(d), abs(target));
      for (const f of [...files]) if (f.startsWith(`${d}/`)) files.add(target + f.slice(d.length));
      for (const x of [...dirs]) if (x === d || x.startsWith(`${d}/`)) dirs.add(target + x.slice(d.length));
      for (const l of [...links]) if (l.startsWith(`${d}/`)) links.add(target + l.slice(d.length));
      forget(d);
    } else if (r < 0.97) {
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
  const remote = await remoteTree(container, '/random');
  const missing = local.filter((l) => !remote.includes(l)).slice(0, 10);
  const extra = remote.filter((l) => !local.includes(l)).slice(0, 10);
  assert.deepEqual(
    { missing, extra },
    { missing: [], extra: [] },
    `seed ${seed}, ops ${JSON.stringify(counts)}, status ${JSON.stringify(engine.status)}`,
  );
  assert.equal(remote.length, local.length);
  assert.ok(local.length > 200, `a tree of ${local.length} entries was compared`);
  assert.equal(engine.status.state, 'in-sync');
});
