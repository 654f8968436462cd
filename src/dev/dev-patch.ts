// Dev patches: what a session changes in a workload (today: the restart loop `onSync: restart`
// wraps around the container's command). The original is recorded twice before anything is
// patched, in an annotation on the workload and in .kloop/dev-patches.json, so Ctrl-C, a crash,
// `kill -9` (undone by the next `kloop dev`) and purge can all put it back.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KloopError } from '../errors.ts';
import { ApiError, type KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/types.ts';
import { type TargetSpec, workloadPath } from './pods.ts';
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

export interface Original {
  container: string;
  command?: string[];
  args?: string[];
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

/** Wraps the target container's command in the restart loop (recorded first). No-op when already wrapped. */
export async function applyRestartPatch(client: KubeClient, stateDir: string, target: TargetSpec): Promise<void> {
  if (!target.workload) {
    throw new KloopError(`dev target "${target.name}": onSync: restart needs workload: <kind>/<name>`, {
      hint: 'kloop patches the workload to wrap the command in a restart loop; a labelSelector names no workload',
    });
  }
  const { path: apiPath } = workloadPath(target.workload, target.namespace);
  const obj = await client.request<KubeObject>({ path: apiPath });
  const i = containerIndex(obj, target);
  const c = obj.spec.template.spec.containers[i] as { name: string; command?: string[]; args?: string[] };
  if (c.command?.[3] === RESTART_MARK && obj.metadata.annotations?.[PATCH_ANNOTATION]) return;
  if (!c.command?.length) {
    throw new KloopError(
      `dev target "${target.name}": onSync: restart needs the command of container "${c.name}" in ${target.workload}`,
      {
        hint: "the image's ENTRYPOINT is not visible to kloop; set command: in the container spec, or use onSync: { exec: ... }",
      },
    );
  }
  const original: Original = { container: c.name, command: c.command, args: c.args };
  const records = (await readPatchRecords(stateDir)).filter(
    (r) => !(r.namespace === target.namespace && r.workload === target.workload),
  );
  records.push({ namespace: target.namespace, workload: target.workload, original, at: new Date().toISOString() });
  await writePatchRecords(stateDir, records);

  const base = `/spec/template/spec/containers/${i}`;
  const ops: unknown[] = [{ op: 'test', path: `${base}/name`, value: c.name }];
  if (!obj.metadata.annotations) ops.push({ op: 'add', path: '/metadata/annotations', value: {} });
  ops.push({ op: 'add', path: `/metadata/annotations/${pointer(PATCH_ANNOTATION)}`, value: JSON.stringify(original) });
  ops.push({
    op: 'replace',
    path: `${base}/command`,
    value: ['sh', '-c', RESTART_LOOP, RESTART_MARK, ...c.command, ...(c.args ?? [])],
  });
  if (c.args) ops.push({ op: 'remove', path: `${base}/args` });
  await patchWorkload(client, apiPath, ops);
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
  const annotation = obj.metadata.annotations?.[PATCH_ANNOTATION];
  const original: Original = annotation ? (JSON.parse(annotation) as Original) : record.original;
  const containers: Array<{ name: string; command?: string[] }> = obj.spec?.template?.spec?.containers ?? [];
  const i = containers.findIndex((c) => c.name === original.container);
  const ops: unknown[] = [];
  if (i >= 0 && containers[i]!.command?.[3] === RESTART_MARK) {
    const base = `/spec/template/spec/containers/${i}`;
    ops.push({ op: 'test', path: `${base}/name`, value: original.container });
    ops.push(
      original.command
        ? { op: 'replace', path: `${base}/command`, value: original.command }
        : { op: 'remove', path: `${base}/command` },
    );
    if (original.args) ops.push({ op: 'add', path: `${base}/args`, value: original.args });
  }
  if (annotation) ops.push({ op: 'remove', path: `/metadata/annotations/${pointer(PATCH_ANNOTATION)}` });
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
