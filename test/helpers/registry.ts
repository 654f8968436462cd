// A real registry for tests: Debian's `docker-registry` (the Distribution registry 2.8) on a free
// 127.0.0.1 port, plain HTTP (Docker, buildah and podman accept that for loopback), storage in a
// temp dir, optionally behind htpasswd basic auth. Its access log is kept, so a test can show that
// nothing was uploaded. stop() ends it and removes the dir (also at process exit).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

export interface Registry {
  /** host:port, the registry part of image references */
  readonly host: string;
  readonly url: string;
  /** everything the registry logged so far (access lines name each request) */
  log(): string;
  /** the requests the access log recorded, as "METHOD /path" */
  requests(): string[];
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** basic auth with one user */
  readonly auth?: { readonly username: string; readonly password: string };
}

const live = new Set<{ child: ChildProcess; dir: string }>();
process.on('exit', () => {
  for (const r of live) {
    r.child.kill('SIGKILL');
    rmSync(r.dir, { recursive: true, force: true });
  }
});

/** The registry binary, or a failure that names the Debian package (CI never skips). */
export function registryBinary(): string {
  try {
    execFileSync('docker-registry', ['--version'], { stdio: 'ignore' });
    return 'docker-registry';
  } catch {
    throw new Error('docker-registry is not installed: apt-get install docker-registry (scripts/setup.sh does)');
  }
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const bin = registryBinary();
  const dir = mkdtempSync(join(tmpdir(), 'kloop-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let auth = '';
  if (options.auth) {
    // bcrypt, the only hash the registry's htpasswd reader accepts
    const line = execFileSync('htpasswd', ['-Bbn', options.auth.username, options.auth.password], {
      encoding: 'utf8',
    });
    writeFileSync(join(dir, 'htpasswd'), line);
    auth = `auth:\n  htpasswd:\n    realm: kloop-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n${auth}`,
  );
  // A file, not a pipe: tests block the event loop (execFileSync), and a registry blocked on a
  // full pipe stops answering.
  const logFile = join(dir, 'registry.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(bin, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const entry = { child, dir };
  live.add(entry);
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`docker-registry exited at start:\n${readLog()}`);
    }
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not answer on ${host}:\n${readLog()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    host,
    url: `http://${host}`,
    log: readLog,
    requests: () =>
      [...readLog().matchAll(/"(GET|HEAD|POST|PUT|PATCH|DELETE) ([^ "]+) HTTP\/[\d.]+"/g)].map(
        (m) => `${m[1]} ${m[2]}`,
      ),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
