// Pausing the GitOps controller that owns an object kloop is about to change, through the change
// journal: the undo is recorded before the pause is applied, so Ctrl-C, the next run after a
// crash and purge all give it back (newest first: the session's own change is undone before the
// controller is handed its object again).
import { KloopError } from '../errors.ts';
import { ApiError, type KubeClient } from './client.ts';
import type { RestMapper } from './discovery.ts';
import {
  checkPausePermission,
  describeOwner,
  findOwner,
  type GitopsSettings,
  type OwnerHandle,
  pausePlan,
  resyncOps,
} from './gitops-owners.ts';
import { type JournalRecord, jsonPatch, record } from './journal.ts';
import type { KubeObject } from './types.ts';

/** The journal's kind for paused reconciliation. */
export const GITOPS_PAUSE = 'gitops-pause';

export interface PauseRequest {
  client: KubeClient;
  stateDir: string;
  mapper?: RestMapper;
  settings: GitopsSettings;
  /** the object the session is about to change, as it is now */
  object: KubeObject;
  objectPath: string;
  /** `deployment/web`, as messages name it */
  objectName: string;
  app?: string;
  target?: string;
  /** pause: ask; absent or false: not paused */
  confirm?: (question: string) => Promise<boolean>;
  onNotice(message: string): void;
}

export interface PauseOutcome {
  owner?: OwnerHandle;
  /** none: nothing reconciles it; paused; not-paused: the user chose so; quiet: the owner would not revert it anyway */
  state: 'none' | 'paused' | 'not-paused' | 'quiet';
  /** one line for the terminal and the dashboard */
  message?: string;
  record?: JournalRecord;
}

interface PauseData {
  /** the owner object, for --resync */
  ownerPath: string;
  tool: string;
}

export async function pauseOwner(req: PauseRequest): Promise<PauseOutcome> {
  const handle = await findOwner(req.client, req.object, req.settings, req.mapper);
  if (!handle) return { state: 'none' };
  const who = describeOwner(handle.owner);
  const plan = pausePlan(handle, req.objectPath, req.object, req.settings);
  if (!plan) {
    return {
      owner: handle,
      state: 'quiet',
      message: `owned by ${who}, which does not revert it now (already paused, or no self-heal)`,
    };
  }
  let mode = req.settings.pause;
  if (mode === 'ask') {
    const yes = req.confirm ? await req.confirm(`${req.objectName} is ${plan.describe}. Pause it? [y/N] `) : false;
    mode = yes ? 'auto' : 'never';
  }
  if (mode === 'never') {
    const message = `owned by ${who}, not paused: it may revert what the session changes`;
    req.onNotice(`warning: ${req.objectName} is ${message}`);
    return { owner: handle, state: 'not-paused', message };
  }
  await checkPausePermission(req.client, plan);
  const rec = await record(
    { client: req.client, stateDir: req.stateDir },
    {
      kind: GITOPS_PAUSE,
      key: `${plan.path}${plan.wide ? '' : `#${req.objectPath}`}`,
      ...(req.app ? { app: req.app } : {}),
      ...(req.target ? { target: req.target } : {}),
      describe: `${who} (reconciliation of ${plan.wide ? 'the whole object' : req.objectName})`,
      changed: 'paused',
      undo: { patches: [{ path: plan.path, ops: plan.undo }] },
      data: { ownerPath: handle.path, tool: handle.owner.tool } satisfies PauseData,
    },
  );
  try {
    await jsonPatch(req.client, plan.path, plan.pause);
  } catch (error) {
    if (error instanceof ApiError && error.code === 403) {
      throw new KloopError(`cannot pause ${who}: ${error.message}`, {
        hint: 'ask for the RBAC verb "patch" on it, or run with --gitops-pause never',
        cause: error,
      });
    }
    throw error;
  }
  return { owner: handle, state: 'paused', message: plan.describe, record: rec };
}

/**
 * After records of paused reconciliation were given back: asks each controller to reconcile now
 * (Flux requestedAt, Argo CD refresh), so the cluster returns to Git's state at once.
 */
export async function requestResync(
  client: KubeClient,
  restored: readonly JournalRecord[],
  onNotice: (m: string) => void,
): Promise<void> {
  const seen = new Set<string>();
  for (const r of restored) {
    if (r.kind !== GITOPS_PAUSE) continue;
    const data = r.data as PauseData | undefined;
    if (!data?.ownerPath || seen.has(data.ownerPath)) continue;
    seen.add(data.ownerPath);
    try {
      const object = await client.request<KubeObject>({ path: data.ownerPath });
      await jsonPatch(client, data.ownerPath, resyncOps(data.tool === 'Flux' ? 'Flux' : 'Argo CD', object));
      onNotice(`asked ${r.describe.replace(/ \(.*$/, '')} to reconcile now`);
    } catch (error) {
      onNotice(`could not ask ${r.describe} to reconcile: ${(error as Error).message}`);
    }
  }
}
