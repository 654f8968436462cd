// kloop status: per app what was deployed last (the inventory's deploy record), whether the cluster
// still holds it as applied (drift), the workloads' readiness, and the sessions that run and what
// they changed. Read-only: it lists objects and never writes.
//
// Drift is the deploy's own rule (kube/drift.ts): an object whose resourceVersion moved is compared
// at the paths kloop applied. Those paths come from rendering the app again with the images it was
// deployed with; when that render differs from what was applied (the sources changed since), the
// app is "outdated" and its changed objects cannot be judged.
import type { Project } from '../config/project.ts';
import type { Connection } from '../deploy/deploy.ts';
import { environmentName, projectSelector, withKloopLabels } from '../deploy/labels.ts';
import { CREATED_NAMESPACES } from '../deploy/namespaces.ts';
import { changedBy, driftOf } from '../kube/drift.ts';
import { type DeployRecord, type InventoryEntry, objectHash, openInventory } from '../kube/inventory.ts';
import { hasReadinessRule, readiness } from '../kube/readiness.ts';
import { describeRef, type KubeObject, refKey, refOf } from '../kube/types.ts';
import { render } from '../render/index.ts';
import { type ChangeInfo, recordedChanges, runningSessions, type SessionInfo } from './sessions.ts';

export interface DriftedObject {
  object: string;
  kind: 'changed' | 'deleted';
  /** field managers that wrote it last (kubectl, a controller), or the kloop session that patched it */
  by: string[];
  /** a running kloop session changed it on purpose (a dev patch, an intercept) */
  bySession?: boolean;
}

export interface AppStatus {
  name: string;
  namespace: string;
  /** false: kloop has no record of deploying it in this environment */
  deployed: boolean;
  /** the app left kloop.yaml but its objects are still recorded (the next full deploy prunes them) */
  removedFromConfig?: boolean;
  last?: DeployRecord;
  objects: number;
  drift: {
    state: 'none' | 'drifted' | 'unknown';
    objects: DriftedObject[];
    reason?: string;
  };
  /** kloop.yaml or the sources render differently from what was deployed */
  outdated?: boolean;
  workloads: { object: string; ready: boolean; message: string }[];
  ready: boolean;
}

export interface StatusReport {
  project: string;
  environment: string;
  context: string;
  namespace: string;
  /** every app deployed and every workload ready */
  ready: boolean;
  apps: Record<string, AppStatus>;
  sessions: SessionInfo[];
  changes: ChangeInfo[];
}

const show = (e: InventoryEntry) => describeRef(e);

/** Changes a running session made to an object: its describe/key names the object. */
function sessionChange(changes: readonly ChangeInfo[], e: InventoryEntry): ChangeInfo | undefined {
  const what = `${e.kind.toLowerCase()}/${e.name}`;
  return changes.find(
    (c) =>
      c.ownerRunning &&
      !c.untilPurge &&
      (c.key === `${e.namespace ?? ''}/${what}` ||
        (c.kind === 'intercept' && e.kind === 'Service' && c.key === `${e.namespace ?? ''}/${e.name}`) ||
        (c.describe.includes(what) && (!e.namespace || c.describe.includes(e.namespace)))),
  );
}

export async function projectStatus(project: Project, connection: Connection): Promise<StatusReport> {
  const { client, mapper } = connection;
  const environment = environmentName(project);
  const inventory = await openInventory(client, mapper, {
    project: project.name,
    environment,
    namespace: project.cluster.namespace,
  });
  const changes = await recordedChanges(project.stateDir);
  const lists = new Map<string, Promise<Map<string, KubeObject>>>();
  const liveOf = async (e: InventoryEntry): Promise<KubeObject | undefined> => {
    const resource = await mapper.resolve(e);
    const namespace = resource.namespaced ? e.namespace : undefined;
    const key = `${resource.group}/${resource.resource}/${namespace ?? ''}`;
    let list = lists.get(key);
    if (!list) {
      const apiVersion = e.group ? `${e.group}/${e.version}` : e.version;
      list = client
        .request<{ items?: KubeObject[] }>({
          path: mapper.path(resource, namespace),
          query: { labelSelector: projectSelector(project.name, environment) },
        })
        .then(
          (l) =>
            new Map(
              (l.items ?? [])
                .filter((o) => !o.metadata.deletionTimestamp)
                .map((o) => [o.metadata.uid ?? '', { ...o, apiVersion, kind: e.kind }]),
            ),
        );
      lists.set(key, list);
    }
    return (await list).get(e.uid ?? '');
  };

  const names = [
    ...Object.keys(project.apps),
    ...inventory.apps().filter((a) => !project.apps[a] && a !== CREATED_NAMESPACES),
  ];
  const apps: Record<string, AppStatus> = {};
  await Promise.all(
    names.map(async (name) => {
      const entries = inventory.entries(name);
      const status: AppStatus = {
        name,
        namespace: project.apps[name]?.namespace ?? project.cluster.namespace,
        deployed: entries.length > 0,
        ...(project.apps[name] ? {} : { removedFromConfig: true }),
        ...(inventory.deployed(name) ? { last: inventory.deployed(name) } : {}),
        objects: entries.length,
        drift: { state: 'none', objects: [] },
        workloads: [],
        ready: false,
      };
      apps[name] = status;
      if (!entries.length) return;
      const live = new Map<string, KubeObject | undefined>();
      await Promise.all(entries.map(async (e) => live.set(refKey(e), await liveOf(e))));

      // objects whose resourceVersion moved are judged against the applied body, from a render
      const moved = entries.filter((e) => {
        const l = live.get(refKey(e));
        return l && !(e.rv && l.metadata.resourceVersion === e.rv);
      });
      let applied: Map<string, KubeObject> | undefined;
      let renderError: string | undefined;
      if (moved.length && project.apps[name]) {
        try {
          const result = await render(project, { apps: [name], images: status.last?.images ?? {}, validate: false });
          applied = new Map(
            (result.apps[0]?.objects ?? []).map((o) => {
              const labelled = withKloopLabels(o as KubeObject, project.name, name, environment);
              return [refKey(refOf(labelled)), labelled];
            }),
          );
        } catch (error) {
          renderError = `cannot render ${name} to compare: ${(error as Error).message.split('\n')[0]}`;
        }
      } else if (moved.length) renderError = `${name} is no longer in kloop.yaml`;

      let unknown = 0;
      for (const e of entries) {
        const l = live.get(refKey(e));
        const session = sessionChange(changes, e);
        const note = (kind: 'changed' | 'deleted', by: string[]) =>
          status.drift.objects.push({
            object: show(e),
            kind,
            by: session && kind === 'changed' ? [`kloop ${session.kind} (pid ${session.owner?.pid ?? '?'})`] : by,
            ...(session && kind === 'changed' ? { bySession: true } : {}),
          });
        if (!l) {
          note('deleted', []);
        } else if (moved.includes(e)) {
          const body = applied?.get(refKey(e));
          if (!body) {
            unknown++;
          } else if (objectHash(body) !== e.hash) {
            status.outdated = true;
            unknown++;
          } else {
            const kind = driftOf(e, l, body);
            if (kind === 'changed' || kind === 'deleted') note(kind, kind === 'changed' ? changedBy(l) : []);
            else if (kind === 'unrecorded') unknown++;
          }
        }
        if (
          hasReadinessRule(
            e.group ? { apiVersion: `${e.group}/${e.version}`, kind: e.kind } : { apiVersion: e.version, kind: e.kind },
          )
        ) {
          const r = l ? readiness(l) : { ready: false, message: 'deleted from the cluster' };
          status.workloads.push({ object: show(e), ready: r.ready, message: r.message });
        }
      }
      const unexpected = status.drift.objects.filter((d) => !d.bySession);
      if (unexpected.length) status.drift.state = 'drifted';
      else if (unknown) {
        status.drift.state = 'unknown';
        status.drift.reason =
          renderError ??
          (status.outdated
            ? 'the sources changed since the last deploy: redeploy, then status can compare again'
            : 'some objects have no live state recorded (deployed by an older kloop)');
      }
      status.ready = status.workloads.every((w) => w.ready);
    }),
  );
  const ordered = Object.fromEntries(names.map((n) => [n, apps[n]!]));
  return {
    project: project.name,
    environment,
    context: client.context,
    namespace: project.cluster.namespace,
    ready: names.length > 0 && Object.values(ordered).every((a) => a.removedFromConfig || (a.deployed && a.ready)),
    apps: ordered,
    sessions: runningSessions(project.stateDir),
    changes,
  };
}
