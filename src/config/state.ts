// Per-project choices made with `kloop use`, kept in <project>/.kloop/state.json (gitignored);
// the kubeconfig is never touched.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KloopError } from '../errors.ts';

export interface ProjectState {
  context?: string;
  namespace?: string;
}

export function stateFile(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export function readState(stateDir: string): ProjectState {
  let text: string;
  try {
    text = readFileSync(stateFile(stateDir), 'utf8');
  } catch {
    return {};
  }
  try {
    const data = JSON.parse(text) as Record<string, unknown>;
    const state: ProjectState = {};
    if (typeof data.context === 'string') state.context = data.context;
    if (typeof data.namespace === 'string') state.namespace = data.namespace;
    return state;
  } catch {
    throw new KloopError(`${stateFile(stateDir)} is not valid JSON`, {
      hint: 'delete it and pick again with `kloop use context` / `kloop use namespace`',
    });
  }
}

export function writeState(stateDir: string, update: ProjectState): ProjectState {
  const state = { ...readState(stateDir), ...update };
  mkdirSync(stateDir, { recursive: true });
  const file = stateFile(stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
  return state;
}
