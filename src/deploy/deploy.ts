// kloop deploy through the one pipeline (pipeline/pipeline.ts): build → beforeRender → render →
// afterRender → beforeDeploy → apply → afterDeploy. The apply step is here: per app (dependencies
// first, independent apps in parallel) apply + prune + wait. Dependency projects deploy, as whole
// projects, before this project's apps.
import { mark } from '../log/timing.ts';
import type { Project } from '../config/project.ts';
import { userInfo, hostname } from 'node:os';
import { KloopError } from '../errors.ts';
import { connect, type KubeClient } from '../kube/client.ts';
import { clusterCapabilities, type ServerVersion } from '../kube/capabilities.ts';
import { createRestMapper, type RestMapper } from '../kube/discovery.ts';
import { type DeployRecord, openInventory } from '../kube/inventory.ts';
import type { KubeObject } from '../kube/types.ts';
import { parseDuration } from '../kube/wait.ts';
import { log } from '../log/logger.ts';
import { buildRenderApply } from '../pipeline/pipeline.ts';
import type { ImageInfo, ImageRewrite, RenderMetadata, RenderResult } from '../render/types.ts';
import { type AppResult, type ClusterSession, deployApp, pruneEntries } from './apply-app.ts';
import { dependencyProject } from '../config/dependencies.ts';
import { buildGraph, type GraphNode, walk, withDependencies } from './graph.ts';
import { CREATED_NAMESPACES, ensureNamespaces } from './namespaces.ts';
import { environmentName } from './labels.ts';
import { createProgress } from './progress.ts';

export const DEFAULT_TIMEOUT = '5m';
const DEP = 'dependency:';

export interface DeployOptions {
  /** apps named on the command line (empty: all) */
  apps: readonly string[];
  /** --image NAME=REF */
  images: Readonly<Record<string, string>>;
  skipBuild: boolean;
  forceConflicts: boolean;
  wait: boolean;
  /** --timeout, overriding every app's timeout */
  timeout?: string;
  /** the command's global flags, for loading dependency projects */
}

export interface DeploySummary {
  project: string;
  environment: string;
  context: string;
  namespace: string;
  apps: Record<string, AppResult>;
  images: Record<string, ImageInfo>;
  dependencies: Record<string, DeploySummary>;
}

/** The graph of a project: its apps with dependsOn, and its dependency projects before all apps. */
export function projectGraph(project: Project) {
  const deps = Object.keys(project.dependencies).map((d) => `${DEP}${d}`);
  const nodes: GraphNode[] = [
    ...deps.map((id) => ({ id, dependsOn: [] })),
    ...Object.values(project.apps).map((app) => ({
      id: app.name,
      dependsOn: [...app.dependsOn, ...deps],
      declaredAt: `apps.${app.name}.dependsOn`,
    })),
  ];
  return buildGraph(nodes, project.configFile);
}

export function selectApps(project: Project, names: readonly string[]): string[] {
  const unknown = names.filter((n) => !project.apps[n]);
  if (unknown.length)
    throw new KloopError(`no app "${unknown[0]}" in ${project.configFile}`, {
      hint: `apps: ${Object.keys(project.apps).join(', ') || '(none)'}`,
    });
  return names.length ? [...names] : Object.keys(project.apps);
}

export interface Connection {
  client: KubeClient;
  mapper: RestMapper;
  /** what /version answered when the connection was opened */
  server?: ServerVersion;
}

export async function openConnection(project: Project): Promise<Connection> {
  const client = await connect({
    context: project.cluster.context,
    namespace: project.cluster.namespace,
    env: project.vars.process,
  });
  // Asking for /version first turns an unreachable or unauthorised cluster into one clear error.
  const server = await client.request<ServerVersion>({ path: '/version', timeout: 10_000 });
  return { client, mapper: createRestMapper(client), server };
}

export async function deployProject(
  project: Project,
  options: DeployOptions,
  shared?: Connection,
): Promise<DeploySummary> {
  const graph = projectGraph(project);
  const names = selectApps(project, options.apps);
  const subset = withDependencies(graph, names);
  const appNames = [...subset].filter((id) => !id.startsWith(DEP));

  // connecting (and discovery) overlaps with the build; the render waits for it
  const connecting = shared ? Promise.resolve(shared) : openConnection(project);
  connecting.catch(() => {}); // a failed build must not leave an unhandled rejection behind
  try {
    return await buildRenderApply(
      project,
      {
        apps: appNames,
        images: options.images,
        build: !options.skipBuild,
        output: (r) => {
          for (const w of r.warnings) log.warn(w);
        },
        cluster: async () => {
          const c = await connecting;
          return clusterCapabilities(c.client, c.mapper, c.server);
        },
      },
      async (rendered) => applyProject(project, rendered, { options, graph, subset, appNames }, await connecting),
    );
  } finally {
    if (!shared) (await connecting.catch(() => undefined))?.client.close();
  }
}

/** Applies a rendered project (dependency projects first, as whole deploys), prunes, waits. */
async function applyProject(
  project: Project,
  rendered: RenderResult,
  plan: { options: DeployOptions; graph: ReturnType<typeof projectGraph>; subset: Set<string>; appNames: string[] },
  connection: Connection,
): Promise<DeploySummary> {
  const { options, graph, subset, appNames } = plan;
  mark('deploy: rendered');
  const environment = environmentName(project);
  const inventory = await openInventory(connection.client, connection.mapper, {
    project: project.name,
    environment,
    namespace: project.cluster.namespace,
  });
  mark('deploy: inventory read');
  const summary: DeploySummary = {
    project: project.name,
    environment,
    context: connection.client.context,
    namespace: project.cluster.namespace,
    apps: {},
    images: rendered.metadata.kloop.images,
    dependencies: {},
  };
  const progress = createProgress(appNames);
  const existing: ClusterSession['existing'] = new Map();
  const byName = new Map(rendered.apps.map((a) => [a.name, a]));
  await ensureNamespaces(
    { ...connection, inventory, project: project.name, environment, existing },
    rendered.apps.flatMap((a) => a.objects as never as KubeObject[]),
    project.stateDir,
  );
  mark('deploy: namespaces ensured');
  const result = await walk(graph, subset, async (id) => {
    if (id.startsWith(DEP)) {
      const dep = project.dependencies[id.slice(DEP.length)]!;
      const depProject = await dependencyProject(project, dep.name);
      summary.dependencies[dep.name] = await deployProject(
        depProject,
        { ...options, apps: [], images: {} },
        depProject.cluster.context === project.cluster.context ? connection : undefined,
      );
      return;
    }
    const app = project.apps[id]!;
    const timeout = parseDuration(
      options.timeout ?? app.timeout ?? DEFAULT_TIMEOUT,
      options.timeout ? '--timeout' : `apps.${id}.timeout`,
    );
    try {
      summary.apps[id] = await deployApp(
        { ...connection, inventory, project: project.name, environment, existing },
        id,
        byName.get(id)!.objects as never,
        {
          force: options.forceConflicts,
          wait: options.wait && app.wait !== false,
          timeoutMs: timeout,
          progress,
          record: deployRecord(rendered.metadata, byName.get(id)!.imageRewrites),
        },
      );
    } catch (error) {
      progress.update(id, 'failed', error instanceof Error ? error.message : String(error));
      throw error;
    }
  });
  mark('deploy: apps deployed');
  for (const [id, blocker] of result.skipped) progress.update(id, 'skipped', `${blocker} failed`);
  if (result.failed.size) {
    progress.done();
    throw combineFailures(project, result.failed, result.skipped);
  }
  // A full deploy also prunes apps that left kloop.yaml: their objects left the config too.
  if (options.apps.length === 0) {
    const session = { ...connection, inventory, project: project.name, environment, existing };
    for (const app of inventory.apps().filter((a) => !project.apps[a] && a !== CREATED_NAMESPACES)) {
      progress.update(app, 'purging', 'no longer in kloop.yaml');
      const pruned = await pruneEntries(
        session,
        app,
        inventory.entries(app),
        parseDuration(options.timeout ?? DEFAULT_TIMEOUT, '--timeout'),
      );
      await inventory.save(app, []);
      summary.apps[app] = { status: 'removed', applied: [], unchanged: [], drifted: [], ...pruned };
      progress.update(app, 'purged', `${pruned.pruned.length} objects deleted`);
    }
  }
  progress.done();
  return summary;
}

function combineFailures(project: Project, failed: Map<string, unknown>, skipped: Map<string, string>): KloopError {
  const errors = [...failed.entries()];
  const [firstId, first] = errors[0]!;
  if (errors.length === 1 && skipped.size === 0 && first instanceof KloopError) return first;
  const details: string[] = [];
  for (const [id, error] of errors) {
    details.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof KloopError) details.push(...error.details.map((d) => `  ${d}`));
  }
  for (const [id, blocker] of skipped) details.push(`${id}: not deployed because ${blocker} failed`);
  return new KloopError(`deploy of ${project.name} failed: ${[...failed.keys()].join(', ')}`, {
    details,
    hint: first instanceof KloopError ? first.hint : `see the error of ${firstId} above`,
  });
}

/** What `kloop status` shows of an app's last deploy: when, by whom, its images and the source commit. */
function deployRecord(metadata: RenderMetadata, rewrites: readonly ImageRewrite[]): DeployRecord {
  let user = '';
  try {
    user = userInfo().username;
  } catch {}
  return {
    at: new Date().toISOString(),
    by: `${user || 'unknown'}@${hostname()}`,
    kloopVersion: metadata.kloop.version,
    images: Object.fromEntries(rewrites.map((r) => [r.image, r.to])),
    ...(metadata.drySha
      ? { source: { commit: metadata.drySha, dirty: metadata.kloop.dirty === true, subject: metadata.subject } }
      : {}),
  };
}
