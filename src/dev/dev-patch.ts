// Dev patches: what a session changes in a workload (overrides, and the restart loop `onSync:
// restart` wraps around the container's command). The original is recorded twice before anything
// is patched: in the change journal (kube/journal.ts, with the undo plan) and in an annotation on
// the workload (so a patch whose record was lost is still recognised), so Ctrl-C, a crash,
// `kill -9` (undone by the next `kloop dev`) and purge can all put it back.
import { KloopError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { annotationPath, ensureAnnotations, jsonPatch, type PatchOp, record, removeField } from '../kube/journal.ts';
import type { KubeObject } from '../kube/types.ts';
import { type TargetSpec, workloadPath } from '../kube/pods.ts';
import { RESTART_MARK } from './reload.ts';

export const PATCH_ANNOTATION = 'kloop.dev/dev-original';
/** The journal's kind for dev patches. */
export const DEV_PATCH = 'dev-patch';

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
function fieldOps(base: string, current: Omit<Original, 'container'>, want: Omit<Original, 'container'>): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const f of FIELDS) {
    const now = current[f];
    const next = want[f];
    if (JSON.stringify(now) === JSON.stringify(next)) continue;
    if (next !== undefined) ops.push({ op: 'add', path: `${base}/${f}`, value: next });
    // undo plans run later, on whatever is there then: removing must not fail on an absent field
    else ops.push(...removeField(`${base}/${f}`));
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
  target: TargetSpec & { app?: string },
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
  if (changes.length === 0 && !annotation) return;

  const marker = JSON.stringify(original);
  const { container: _, ...originalFields } = original;
  await record(
    { client, stateDir },
    {
      kind: DEV_PATCH,
      key: `${target.namespace}/${target.workload}`,
      app: target.app,
      target: target.name,
      describe: `${target.workload} in ${target.namespace}`,
      changed: 'patched',
      // guarded by the annotation this patch sets: once something else took the workload back
      // (a redeploy that dropped it, a newer patch of another original) the undo leaves it alone
      undo: {
        patches: [
          {
            path: apiPath,
            ops: [
              { op: 'test', path: annotationPath(PATCH_ANNOTATION), value: marker },
              { op: 'test', path: `${base}/name`, value: c.name },
              ...fieldOps(base, want, originalFields),
              { op: 'remove', path: annotationPath(PATCH_ANNOTATION) },
            ],
          },
        ],
      },
      data: { original },
    },
  );
  if (changes.length === 0) return;

  const ops: PatchOp[] = [
    { op: 'test', path: `${base}/name`, value: c.name },
    ...ensureAnnotations(obj),
    { op: 'add', path: annotationPath(PATCH_ANNOTATION), value: marker },
  ];
  await jsonPatch(client, apiPath, [...ops, ...changes]);
}

function mergeEnv(env: EnvVar[] | undefined, overrides: Record<string, string> | undefined): EnvVar[] | undefined {
  if (!overrides || Object.keys(overrides).length === 0) return env;
  const out = (env ?? []).map((e) => (e.name in overrides ? { name: e.name, value: overrides[e.name] } : e));
  for (const [name, value] of Object.entries(overrides))
    if (!out.some((e) => e.name === name)) out.push({ name, value });
  return out;
}

/** onSync: restart: the restart loop around the container's command. */
export function applyRestartPatch(
  client: KubeClient,
  stateDir: string,
  target: TargetSpec & { app?: string },
): Promise<void> {
  return applyDevPatch(client, stateDir, target, { restartLoop: true });
}
