// The IDE's side of `kloop dev --debug`: one VS Code attach configuration per debugged target,
// with the target's sync mapping as the path mapping (local files ↔ container files), merged into
// .vscode/launch.json. The file is JSON with comments: edits go through jsonc-parser so the
// user's comments, order and other entries stay; kloop's entries are found again by name.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { applyEdits, type ParseError, modify, parse, printParseErrorCode } from 'jsonc-parser';
import { KloopError } from '../errors.ts';
import type { DebugPlan } from './debug.ts';

export interface SyncMapping {
  /** absolute local directory */
  from: string;
  /** container directory */
  to: string;
}

export interface LaunchTarget {
  /** dev target name */
  target: string;
  plan: DebugPlan;
  /** the first sync mapping is the source root; the others become extra mappings where the runtime has them */
  sync: readonly SyncMapping[];
}

const NAME_PREFIX = 'kloop: ';

export function launchName(t: Pick<LaunchTarget, 'target' | 'plan'>): string {
  return `${NAME_PREFIX}${t.target} (${t.plan.runtime})`;
}

/** `${workspaceFolder}/rel` for paths inside the workspace, so the entry works on every clone. */
function local(workspace: string, dir: string): string {
  const rel = path.relative(workspace, dir);
  if (rel === '') return '${workspaceFolder}';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return dir;
  return `\${workspaceFolder}/${rel.split(path.sep).join('/')}`;
}

/** One VS Code launch configuration (attach) for the target. */
export function launchConfiguration(workspace: string, t: LaunchTarget): Record<string, unknown> {
  const name = launchName(t);
  const maps = t.sync.map((s) => ({ localRoot: local(workspace, s.from), remoteRoot: s.to }));
  const first = maps[0];
  const port = t.plan.port;
  switch (t.plan.runtime) {
    case 'node':
      return {
        name,
        type: 'node',
        request: 'attach',
        address: '127.0.0.1',
        port,
        ...(first ? { localRoot: first.localRoot, remoteRoot: first.remoteRoot } : {}),
        // a pod replaced or restarted by onSync: the inspector comes back on the same port
        restart: true,
        skipFiles: ['<node_internals>/**'],
      };
    case 'python':
      return {
        name,
        type: 'debugpy',
        request: 'attach',
        connect: { host: '127.0.0.1', port },
        pathMappings: maps,
        justMyCode: false,
      };
    case 'go':
      return {
        name,
        type: 'go',
        request: 'attach',
        mode: 'remote',
        host: '127.0.0.1',
        port,
        substitutePath: maps.map((m) => ({ from: m.localRoot, to: m.remoteRoot })),
      };
    case 'jvm':
      // the Java debugger finds sources by the project's source paths; no mapping to give
      return { name, type: 'java', request: 'attach', hostName: '127.0.0.1', port };
    case 'dotnet':
      return {
        name,
        type: 'coreclr',
        request: 'attach',
        processId: '1',
        pipeTransport: {
          pipeProgram: 'kloop',
          pipeArgs: ['enter', t.target, '--'],
          pipeCwd: '${workspaceFolder}',
          debuggerPath: '/vsdbg/vsdbg',
          quoteArgs: false,
        },
        sourceFileMap: Object.fromEntries(maps.map((m) => [m.remoteRoot, m.localRoot])),
      };
  }
}

const FORMAT = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } };

/**
 * The launch.json text with kloop's entries for `targets` added or replaced; everything else in
 * the file (comments, other configurations, compounds) is kept as it was.
 */
export function mergeLaunch(
  text: string | undefined,
  file: string,
  workspace: string,
  targets: readonly LaunchTarget[],
): string {
  let out = text?.trim() ? text : '{\n  "version": "0.2.0",\n  "configurations": []\n}\n';
  const errors: ParseError[] = [];
  const doc = parse(out, errors, { allowTrailingComma: true }) as { configurations?: unknown } | undefined;
  if (errors.length || !doc || typeof doc !== 'object' || Array.isArray(doc)) {
    const e = errors[0];
    const line = e ? out.slice(0, e.offset).split('\n').length : 1;
    throw new KloopError(
      `${file}:${line}: cannot read it${e ? ` (${printParseErrorCode(e.error)})` : ''}; kloop leaves it untouched`,
      { hint: 'fix the file, or print the entries with kloop dev --debug --print-launch and add them by hand' },
    );
  }
  if (!Array.isArray(doc.configurations)) out = applyEdits(out, modify(out, ['configurations'], [], FORMAT));
  for (const t of targets) {
    const entry = launchConfiguration(workspace, t);
    const current = (parse(out, [], { allowTrailingComma: true }) as { configurations: Array<{ name?: unknown }> })
      .configurations;
    const i = current.findIndex((c) => c && typeof c === 'object' && c.name === entry.name);
    const at = i >= 0 ? i : current.length;
    out = applyEdits(
      out,
      modify(out, ['configurations', at], entry, { ...FORMAT, ...(i >= 0 ? {} : { isArrayInsertion: true }) }),
    );
  }
  return out.endsWith('\n') ? out : `${out}\n`;
}

/** Writes kloop's entries into <workspace>/.vscode/launch.json (atomically); returns its path. */
export async function writeLaunch(workspace: string, targets: readonly LaunchTarget[]): Promise<string> {
  const file = path.join(workspace, '.vscode', 'launch.json');
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const next = mergeLaunch(text, file, workspace, targets);
  if (next === text) return file;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.kloop-${process.pid}.tmp`;
  await writeFile(tmp, next);
  await rename(tmp, file);
  return file;
}
