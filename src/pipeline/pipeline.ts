// The one pipeline every command that produces manifests runs: build (images not pinned) →
// beforeRender → render → (the caller's output) → afterRender, and for deploy → beforeDeploy →
// apply → afterDeploy. `kloop render`, `kloop deploy` (and through it `kloop dev`), `kloop promote`
// and `kloop diff` compose it instead of assembling hooks, build and render each on their own.
// The apply step is the caller's (deploy/ sits above this layer): the pipeline owns the order.
import type { Project } from '../config/project.ts';
import type { ClusterCapabilities } from '../kube/capabilities.ts';
import { runHooks } from '../hooks/hooks.ts';
import { render } from '../render/index.ts';
import type { RenderOptions, RenderResult } from '../render/types.ts';

export interface PipelineOptions extends RenderOptions {
  /** build the images not pinned with `images` first (deploy, dev); render and promote do not build */
  build?: boolean;
  /** extra environment for the render hooks (e.g. KLOOP_RENDER_OUT) */
  hookEnv?: Record<string, string>;
  /** what the caller does with the result before afterRender runs (write it out, print it) */
  output?: (result: RenderResult) => Promise<void> | void;
  /**
   * The cluster the output goes to (deploy, dev): its version and API list are what this render
   * is for, as `helm install` renders for its cluster; the configured apiVersions are added.
   * Asked for after the build, so connecting overlaps with it.
   */
  cluster?: () => Promise<ClusterCapabilities>;
}

/** The project as rendered for a cluster: its version, its APIs plus the configured ones. */
function forCluster(project: Project, caps: ClusterCapabilities): Project {
  return {
    ...project,
    kubeVersion: caps.kubeVersion || project.kubeVersion,
    apiVersions: [...new Set([...caps.apiVersions, ...(project.apiVersions ?? [])])],
  };
}

/** Builds every image not pinned (unchanged ones are skipped by the build engine); returns name → ref. */
export async function buildUnpinned(
  project: Project,
  pinned: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const names = Object.keys(project.images).filter((n) => !pinned[n]);
  if (names.length === 0) return {};
  // loaded only when something is built: a render of pinned images never needs the builders
  const { buildImages } = await import('../images/build.ts');
  const built = await buildImages(project, names);
  // pin: digest names what the registry holds; images that never went to a registry keep their tag
  const pin = (n: string, b: { ref: string; digest?: string }) =>
    project.images[n]?.pin === 'digest' && b.digest ? `${b.ref}@${b.digest}` : b.ref;
  return Object.fromEntries(Object.entries(built).map(([n, b]) => [n, pin(n, b)]));
}

/** build → beforeRender → render → output → afterRender. */
export async function buildAndRender(project: Project, options: PipelineOptions = {}): Promise<RenderResult> {
  const { build, hookEnv = {}, output, cluster, ...renderOptions } = options;
  const pinned = renderOptions.images ?? {};
  const built = build ? await buildUnpinned(project, pinned) : {};
  await runHooks(project, 'beforeRender', hookEnv);
  // only render sees the cluster's view: hooks and dependencies keep the project they were loaded with
  const target = cluster ? forCluster(project, await cluster()) : project;
  const result = await render(target, { ...renderOptions, images: { ...built, ...pinned } });
  await output?.(result);
  await runHooks(project, 'afterRender', hookEnv);
  return result;
}

/** build → beforeRender → render → output → afterRender → beforeDeploy → apply → afterDeploy. */
export async function buildRenderApply<T>(
  project: Project,
  options: PipelineOptions,
  apply: (rendered: RenderResult) => Promise<T>,
): Promise<T> {
  const rendered = await buildAndRender(project, options);
  await runHooks(project, 'beforeDeploy');
  const applied = await apply(rendered);
  await runHooks(project, 'afterDeploy');
  return applied;
}
