// Records every process a program starts through PATH: a folder of wrappers, one per tool, each
// writing its argv and environment to a log folder before exec'ing the real tool. Put `bin` first
// on the program's PATH; `calls()` returns what ran. This sees what `ps` and /proc/<pid>/environ
// show any local user and root, which GIT_TRACE does not (git leaves top-level `-c` out of it).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SpiedCall {
  tool: string;
  /** the arguments after the program name */
  argv: string[];
  env: Record<string, string>;
}

export interface Spy {
  /** the folder of wrappers: put it first on PATH */
  bin: string;
  /** PATH with the wrappers first */
  path: string;
  calls(): SpiedCall[];
  cleanup(): void;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Wrappers for `tools` that resolve to the real tools on the current PATH. */
export function spyTools(tools: readonly string[], pathEnv = process.env.PATH ?? ''): Spy {
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-spy-'));
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'log');
  mkdirSync(bin);
  mkdirSync(log);
  for (const tool of tools) {
    const real = execFileSync('sh', ['-c', `command -v ${quote(tool)}`], {
      env: { ...process.env, PATH: pathEnv },
      encoding: 'utf8',
    }).trim();
    if (!real.startsWith('/')) throw new Error(`spyTools: ${tool} is not an executable on PATH (${real})`);
    writeFileSync(
      path.join(bin, tool),
      `#!/bin/sh
n=${quote(log)}/$(date +%s%N)-$$
printf '%s\\0' ${quote(tool)} "$@" > "$n.argv"
env -0 > "$n.env"
exec ${quote(real)} "$@"
`,
    );
    chmodSync(path.join(bin, tool), 0o755);
  }
  return {
    bin,
    path: `${bin}:${pathEnv}`,
    calls() {
      return readdirSync(log)
        .filter((f) => f.endsWith('.argv'))
        .sort()
        .map((f) => {
          const [tool = '', ...argv] = readFileSync(path.join(log, f), 'utf8').split('\0').slice(0, -1);
          const env: Record<string, string> = {};
          for (const entry of readFileSync(path.join(log, f.replace(/\.argv$/, '.env')), 'utf8').split('\0')) {
            const eq = entry.indexOf('=');
            if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
          }
          return { tool, argv, env };
        });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
