// Dev patches: what a session changes in a workload (today: the restart loop `onSync: restart`
// wraps around the container's command). The original is recorded twice before anything is
// patched, in an annotation on the workload and in .kloop/dev-patches.json, so Ctrl-C, a crash,
// `kill -9` (undone by the next `kloop dev`) and purge can all put it back.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KloopError } from '../errors.ts';
import { ApiError, type KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/types.ts';
import { type TargetSpec, workloadPath } from '../kube/pods.ts';
import { RESTART_MARK } from './reload.ts';

export const PATCH_ANNOTATION = 'kloop.dev/dev-original';
const STATE_FILE = 'dev-patches.json';

// PID 1 of the container: runs the original command as a child and restarts it on SIGHUP, so
// synced files are picked up without a new pod. Any other exit of the child ends the container
// as before (the kubelet's restart policy applies).
const RESTART_LOOP = `trap 'restart=1; kill "$pid" 2>/dev/null' HUP
trap 'kill "$pid" 2>/dev/null; wait "$pid"; exit 143' TERM INT
while :; do
  restart=
  "$@" &
  pid=$!
  wait "$pid"; code=$?
  while [ -n "$restart" ] && kill -0 "$pid" 2>/dev/null; do wait "$pid"; done
  [ -n "$restart" ] || exit "$code"
  echo "kloop: restarting $1" >&2
done`;

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** What a dev patch may change in the target container; absent fields stay as deployed. */
export interface DevOverrides {
  image?: string;
  command?: string[];
  args?: string[];
  /** merged by name into the container's env */
  env?: Record<string, string>;
  workingDir?: string;
  /** wrap the (possibly overridden) command in kloop's restart loop (onSync: restart) */
  restartLoop?: boolean;
}

/** The container as deployed: every field a dev patch may change (absent = not set). */
export interface Original {
  container: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
}

export interface PatchRecord {
  namespace: string;
  workload: string;
  original: Original;
  at: string;
}

function statePath(stateDir: string): string {
  return path.join(stateDir, STATE_FILE);
}

export async function readPatchRecords(stateDir: string): Promise<PatchRecord[]> {
  try {
    const data = JSON.parse(await readFile(statePath(stateDir), 'utf8')) as { patches?: PatchRecord[] };
    return data.patches ?? [];
  } catch {
    return [];
  }
}

async function writePatchRecords(stateDir: string, patches: PatchRecord[]): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const tmp = `${statePath(stateDir)}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ patches }, null, 2)}\n`);
  await rename(tmp, statePath(stateDir));
}

const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

async function patchWorkload(client: KubeClient, apiPath: string, ops: unknown[]): Promise<void> {
  await client.request({
    method: 'PATCH',
    path: apiPath,
    // same field manager as deploy, so a later server-side apply takes the field back without a conflict
    query: { fieldManager: 'kloop' },
    contentType: 'application/json-patch+json',
    body: ops,
  });
}

function containerIndex(obj: KubeObject, target: TargetSpec): number {
  const containers: Array<{ name: string }> = obj.spec?.template?.spec?.containers ?? [];
  const names = containers.map((c) => c.name);
  if (target.container) {
    const i = names.indexOf(target.container);
    if (i < 0) {
      throw new KloopError(`dev target "${target.name}": ${target.workload} has no container "${target.container}"`, {
        hint: `its containers: ${names.join(', ')}`,
      });
    }
    return i;
  }
  if (names.length === 1) return 0;
  throw new KloopError(`dev target "${target.name}": ${target.workload} has ${names.length} containers`, {
    hint: `name one with container: in kloop.yaml (${names.join(', ')})`,
  });
}

type Container = { name: string } & Omit<Original, 'container'>;

const FIELDS = ['image', 'command', 'args', 'env', 'workingDir'] as const;

/** JSON-patch ops that make the container's fields equal `want` (absent = removed). */
function fieldOps(base: string, current: Container, want: Omit<Original, 'container'>): unknown[] {
  const ops: unknown[] = [];
  for (const f of FIELDS) {
    const now = current[f];
    const next = want[f];
    if (JSON.stringify(now) === JSON.stringify(next)) continue;
    if (next === undefined) ops.push({ op: 'remove', path: `${base}/${f}` });
    else ops.push({ op: now === undefined ? 'add' : 'replace', path: `${base}/${f}`, value: next });
  }
  return ops;
}

/**
 * Patches the target container for the session: overrides, and the restart loop for onSync:
 * restart. The original is recorded (state file, then annotation) before anything changes.
 */
export async function applyDevPatch(
  client: KubeClient,
  stateDir: string,
  target: TargetSpec,
  overrides: DevOverrides,
): Promise<void> {
  if (!target.workload) {
    throw new KloopError(`dev target "${target.name}": a dev patch needs workload: <kind>/<name>`, {
      hint: 'kloop patches the workload (onSync: restart wraps its command); a labelSelector names no workload',
    });
  }
  const { path: apiPath } = workloadPath(target.workload, target.namespace);
  const obj = await client.request<KubeObject>({ path: apiPath });
  const i = containerIndex(obj, target);
  const c = obj.spec.template.spec.containers[i] as Container;
  // Patched already (a session that did not end cleanly): the annotation holds the real original.
  const annotation = obj.metadata.annotations?.[PATCH_ANNOTATION];
  const original: Original = annotation
    ? (JSON.parse(annotation) as Original)
    : { container: c.name, image: c.image, command: c.command, args: c.args, env: c.env, workingDir: c.workingDir };

  const want: Omit<Original, 'container'> = {
    image: overrides.image ?? original.image,
    command: overrides.command ?? original.command,
    args: overrides.args ?? original.args,
    env: mergeEnv(original.env, overrides.env),
    workingDir: overrides.workingDir ?? original.workingDir,
  };
  if (overrides.restartLoop) {
    if (!want.command?.length) {
      throw new KloopError(
        `dev target "${target.name}": onSync: restart needs the command of container "${c.name}" in ${target.workload}`,
        {
          hint: "the image's ENTRYPOINT is not visible to kloop; set command: in the container spec, or use onSync: { exec: ... }",
        },
      );
    }
    want.command = ['sh', '-c', RESTART_LOOP, RESTART_MARK, ...want.command, ...(want.args ?? [])];
    want.args = undefined;
  }
  const base = `/spec/template/spec/containers/${i}`;
  const changes = fieldOps(base, c, want);
  if (changes.length === 0) return;

  const records = (await readPatchRecords(stateDir)).filter(
    (r) => !(r.namespace === target.namespace && r.workload === target.workload),
  );
  records.push({ namespace: target.namespace, workload: target.workload, original, at: new Date().toISOString() });
  await writePatchRecords(stateDir, records);

  const ops: unknown[] = [{ op: 'test', path: `${base}/name`, value: c.name }];
  if (!obj.metadata.annotations) ops.push({ op: 'add', path: '/metadata/annotations', value: {} });
  ops.push({ op: 'add', path: `/metadata/annotations/${pointer(PATCH_ANNOTATION)}`, value: JSON.stringify(original) });
  await patchWorkload(client, apiPath, [...ops, ...changes]);
}

function mergeEnv(env: EnvVar[] | undefined, overrides: Record<string, string> | undefined): EnvVar[] | undefined {
  if (!overrides || Object.keys(overrides).length === 0) return env;
  const out = (env ?? []).map((e) => (e.name in overrides ? { name: e.name, value: overrides[e.name] } : e));
  for (const [name, value] of Object.entries(overrides))
    if (!out.some((e) => e.name === name)) out.push({ name, value });
  return out;
}

/** onSync: restart: the restart loop around the container's command. */
export function applyRestartPatch(client: KubeClient, stateDir: string, target: TargetSpec): Promise<void> {
  return applyDevPatch(client, stateDir, target, { restartLoop: true });
}

/** Puts back what one record changed; false when the workload is gone (nothing to restore). */
async function restoreOne(client: KubeClient, record: PatchRecord): Promise<boolean> {
  const { path: apiPath } = workloadPath(record.workload, record.namespace);
  let obj: KubeObject;
  try {
    obj = await client.request<KubeObject>({ path: apiPath });
  } catch (error) {
    if (error instanceof ApiError && error.code === 404) return false;
    throw error;
  }
  // Without the annotation the workload is not patched (a redeploy put the manifest back).
  const annotation = obj.metadata.annotations?.[PATCH_ANNOTATION];
  if (!annotation) return true;
  const original = JSON.parse(annotation) as Original;
  const containers: Container[] = obj.spec?.template?.spec?.containers ?? [];
  const i = containers.findIndex((c) => c.name === original.container);
  const ops: unknown[] = [];
  if (i >= 0) {
    const base = `/spec/template/spec/containers/${i}`;
    const { container: _, ...fields } = original;
    const changes = fieldOps(base, containers[i]!, fields);
    if (changes.length) ops.push({ op: 'test', path: `${base}/name`, value: original.container }, ...changes);
  }
  ops.push({ op: 'remove', path: `/metadata/annotations/${pointer(PATCH_ANNOTATION)}` });
  if (ops.length) await patchWorkload(client, apiPath, ops);
  return true;
}

/**
 * Restores every recorded dev patch (all of them, or those in `namespace`), and forgets the
 * records. Called when a session ends, when the next session starts after a crash, and by purge.
 */
export async function restoreDevPatches(
  client: KubeClient,
  stateDir: string,
  namespace?: string,
): Promise<PatchRecord[]> {
  const records = await readPatchRecords(stateDir);
  const restored: PatchRecord[] = [];
  const kept: PatchRecord[] = [];
  for (const r of records) {
    if (namespace && r.namespace !== namespace) {
      kept.push(r);
      continue;
    }
    try {
      await restoreOne(client, r);
      restored.push(r);
    } catch (error) {
      kept.push(r);
      throw new KloopError(
        `cannot restore the dev patch of ${r.workload} in ${r.namespace}: ${(error as Error).message}`,
        {
          hint: `it stays recorded in ${statePath(stateDir)}; the next kloop dev or purge tries again`,
          cause: error,
        },
      );
    } finally {
      await writePatchRecords(stateDir, [...kept, ...records.slice(records.indexOf(r) + 1)]);
    }
  }
  return restored;
}
