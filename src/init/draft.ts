// What a converter produces: a kloop.yaml in the making (plain data shaped like the schema's input),
// the dev targets and container hooks still to be placed on a workload, extra files to write, and
// every source key that was not converted, with the reason.
import type { HookName, VarSpec } from '../config/schema.ts';

/** A source key kloop did not take over, and why (printed at the end and written as a comment). */
export interface Note {
  file: string;
  path: string;
  reason: string;
}

/** How the source tool picks the pod: by the image a container runs, by labels, or by a named object. */
export interface PodSelector {
  /** an images: name of the draft */
  image?: string;
  labels?: Record<string, string>;
  container?: string;
  /** kind/name of a workload, or service/name */
  resource?: string;
}

export interface DevIntent {
  select: PodSelector;
  /** where the intent came from, for notes (e.g. "dev.sync[0]") */
  origin: string;
  sync?: { from: string; to: string; exclude?: string[]; download?: boolean }[];
  onSync?: 'restart' | { exec: string };
  /** local:remote; a remote port of a Service is resolved to the container's port */
  ports?: { local: number; remote: number }[];
  open?: string;
  patch?: { image?: string; command?: string[]; args?: string[]; env?: Record<string, string>; workingDir?: string };
  rebuild?: string[];
  /** a preferred target name */
  name?: string;
}

export interface HookIntent {
  hook: HookName;
  command: string;
  /** set for a command run inside a pod */
  select?: PodSelector;
  origin: string;
}

export type Obj = Record<string, unknown>;

export interface Draft {
  /** the converted files, relative to the project root */
  sources: string[];
  name?: string;
  envFile?: string;
  vars: Record<string, VarSpec>;
  images: Record<string, Obj>;
  apps: Record<string, Obj>;
  dependencies: Record<string, Obj>;
  dev: DevIntent[];
  hooks: HookIntent[];
  commands: Record<string, string | { run: string; description?: string }>;
  environments: Record<string, Obj>;
  /** files written beside kloop.yaml (values files, env files), relative path → text */
  files: Record<string, string | Obj>;
  notes: Note[];
  /** set when the source names its manifests: scanned directories are not added beside them */
  namesManifests: boolean;
}

export function emptyDraft(): Draft {
  return {
    sources: [],
    vars: {},
    images: {},
    apps: {},
    dependencies: {},
    dev: [],
    hooks: [],
    commands: {},
    environments: {},
    files: {},
    notes: [],
    namesManifests: false,
  };
}

/** A DNS label from any string: lower case, digits and "-". */
export function toName(s: string): string {
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 53)
    .replace(/-+$/, '');
  return n || 'app';
}

/** `name`, or `name-2`, `name-3` ... when taken. */
export function uniqueKey(name: string, taken: object): string {
  let candidate = name;
  for (let i = 2; Object.hasOwn(taken, candidate); i++) candidate = `${name}-${i}`;
  return candidate;
}

/** The repository part of an image reference: no tag, no digest. */
export function repositoryOf(image: string): string {
  const noDigest = image.replace(/@.*$/, '');
  return noDigest.replace(/:[^/:]+$/, '');
}

/** One shell word: quoted only when it needs to be. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./${}-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(argv: string[]): string {
  return argv.map(shellWord).join(' ');
}
