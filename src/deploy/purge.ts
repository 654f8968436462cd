// kloop purge [app...]: deletes exactly what the inventory recorded (apps in reverse dependency
// order, each waiting until its objects are gone), then dependency projects when purging all.
// Objects kloop did not apply are never touched, whatever their labels.
import type { Project } from '../config/project.ts';
import { KloopError } from '../errors.ts';
import { deleteEntry } from '../kube/delete.ts';
import { openInventory } from '../kube/inventory.ts';
import { describeRef } from '../kube/types.ts';
import { formatDuration, waitForGone } from '../kube/wait.ts';
import { log } from '../log/logger.ts';
import { type Connection, openConnection, projectGraph } from './deploy.ts';
import { dependencyProject } from '../config/dependencies.ts';
import { buildGraph, type GraphNode, walk } from './graph.ts';
import type { ObjectRef } from '../kube/types.ts';
import { requestResync } from '../kube/gitops-pause.ts';
import { record, restore, type RestoreContext } from '../kube/journal.ts';
import { runHooks } from '../hooks/hooks.ts';
import { CREATED_NAMESPACES, NAMESPACE, namespaceRecord } from './namespaces.ts';
import { environmentName } from './labels.ts';
import { createProgress } from './progress.ts';

export interface PurgeOptions {
  apps: readonly string[];
  /** how long to wait for deleted objects to be gone; default 5m */
  timeoutMs?: number;
  /** --resync: ask the Flux/Argo CD objects whose reconciliation was given back to reconcile now */
  resync?: boolean;
}

export interface PurgeSummary {
  project: string;
  environment: string;
  apps: Record<string, { deleted: string[]; leftAlone: string[] }>;
  dependencies: Record<string, PurgeSummary>;
}

const isLast = (e: { group: string; kind: string }) =>
  (e.group === '' && e.kind === 'Namespace') ||
  (e.group === 'apiextensions.k8s.io' && e.kind === 'CustomResourceDefinition');

function holdsInventory(e: { group: string; kind: string; name: string }, namespace: string): boolean {
  return e.group === '' && e.kind === 'Namespace' && e.name === namespace;
}

export async function purgeProject(
  project: Project,
  options: PurgeOptions,
  shared?: Connection,
): Promise<PurgeSummary> {
  const configured = projectGraph(project);
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  await runHooks(project, 'beforePurge');
  const connection = shared ?? (await openConnection(project));
  const { client, mapper } = connection;
  // What sessions changed in the purged apps (dev patches, intercepts, ...) is undone first, so
  // nothing kloop changed outlives the purge; other apps' changes stay.
  const journal: RestoreContext = { client, mapper, stateDir: project.stateDir, onNotice: (m) => log.warn(m) };
  const environment = environmentName(project);
  const given = options.apps.length === 0 ? await restore(journal, { all: true, until: 'session' }) : [];
  for (const app of options.apps) given.push(...(await restore(journal, { app, until: 'session' })));
  for (const r of given) log.info(`restored ${r.describe}`);
  if (options.resync) await requestResync(client, given, (m) => log.info(m));
  const summary: PurgeSummary = { project: project.name, environment, apps: {}, dependencies: {} };
  try {
    const inventory = await openInventory(client, mapper, {
      project: project.name,
      environment,
      namespace: project.cluster.namespace,
    });
    const all = options.apps.length === 0;
    const recorded = inventory.apps().filter((a) => a !== CREATED_NAMESPACES);
    const names = all ? recorded : options.apps.filter((a) => recorded.includes(a));
    for (const a of options.apps)
      if (!recorded.includes(a)) {
        if (!project.apps[a]) throw new KloopError(`no app "${a}" in ${project.configFile} nor in the inventory`);
        log.info(`${a}: nothing recorded as deployed; nothing to purge`);
      }
    // Apps recorded but no longer configured have no edges: they go first, in parallel.
    const nodes: GraphNode[] = names.map((id) => ({
      id,
      dependsOn: (configured.nodes.get(id)?.dependsOn ?? []).filter((d) => names.includes(d)),
    }));
    const graph = buildGraph(nodes);
    const progress = createProgress(names);
    const result = await walk(
      graph,
      new Set(names),
      async (app) => {
        progress.update(app, 'purging');
        // Purging some apps must not delete the namespace that holds the inventory of the others.
        const keep = inventory.entries(app).filter((e) => !all && holdsInventory(e, inventory.namespace));
        for (const e of keep)
          log.warn(
            `${app}: namespace ${e.name} holds kloop's inventory, so only \`kloop purge\` of all apps deletes it`,
          );
        const entries = inventory.entries(app).filter((e) => !keep.includes(e));
        const deleted: string[] = [];
        const leftAlone: string[] = [];
        for (const batch of [entries.filter((e) => !isLast(e)), entries.filter(isLast)]) {
          const gone = [];
          for (const entry of batch) {
            const outcome = await deleteEntry(client, mapper, entry, project.name);
            if (outcome === 'foreign') leftAlone.push(describeRef(entry));
            else deleted.push(describeRef(entry));
            if (outcome === 'deleted') gone.push(entry);
          }
          const stuck = await waitForGone(client, mapper, gone, timeoutMs);
          if (stuck.length)
            throw new KloopError(`app ${app}: still being deleted after ${formatDuration(timeoutMs)}`, {
              details: stuck.map((r) => describeRef(r)),
              hint: 'finalizers may hold them; kubectl describe shows which',
            });
        }
        // A full purge removes the inventory at the end (its namespace may be gone by then).
        if (!all) await inventory.save(app, keep);
        summary.apps[app] = { deleted, leftAlone };
        for (const f of leftAlone)
          log.warn(`${app}: ${f} was not applied by kloop (another object has its name); left alone`);
        progress.update(app, 'purged', `${deleted.length} objects deleted`);
      },
      { reverse: true },
    );
    progress.done();
    if (result.failed.size) {
      const [id, error] = [...result.failed][0]!;
      if (error instanceof KloopError) throw error;
      throw new KloopError(`purge of ${id} failed: ${(error as Error).message}`, { cause: error });
    }
    if (all) {
      // Namespaces kloop created for the apps go last, once nothing of the project is in them. The
      // inventory's list covers a deploy from another clone; the journal undoes them all.
      for (const entry of inventory.entries(CREATED_NAMESPACES))
        await record(journal, namespaceRecord(entry, { project: project.name, environment, inventory }));
      const deleted = await restore(journal, { all: true, kind: NAMESPACE, environment });
      const gone = deleted.map((r) => (r.data as { ref: ObjectRef }).ref);
      const stuck = await waitForGone(client, mapper, gone, timeoutMs);
      if (stuck.length) log.warn(`namespaces still terminating: ${stuck.map((r) => describeRef(r)).join(', ')}`);
      await inventory.remove();
      for (const dep of Object.values(project.dependencies).reverse()) {
        const depProject = await dependencyProject(project, dep.name);
        summary.dependencies[dep.name] = await purgeProject(
          depProject,
          { ...options, apps: [] },
          depProject.cluster.context === project.cluster.context ? connection : undefined,
        );
      }
    }
    await runHooks(project, 'afterPurge');
    return summary;
  } finally {
    if (!shared) client.close();
  }
}
