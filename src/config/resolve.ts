// A validated config + the chosen environment + CLI flags → the frozen Project every engine gets.
import { isAbsolute, join, resolve } from 'node:path';
import { findContext, type Kubeconfig } from './kubeconfig.ts';
import type {
  ClusterTarget,
  LoadInput,
  Project,
  ResolvedApp,
  ResolvedDevTarget,
  ResolvedEnvironment,
  ResolvedImage,
  VariableSet,
} from './project.ts';
import type { HookCommand, KloopConfig } from './schema.ts';
import type { ProjectState } from './state.ts';
import { resolveTool } from './tools.ts';

export const DEFAULT_KUBE_VERSION = '1.32';

export interface ResolveContext {
  root: string;
  configFile: string;
  vars: VariableSet;
  globals: Pick<LoadInput, 'env' | 'kubeContext' | 'namespace'>;
  /** the whole load input, kept on the project (default: the globals above, from its root) */
  input?: LoadInput;
  kubeconfig: Kubeconfig;
  state: ProjectState;
  /** PATH used to find tools (default: process.env.PATH) */
  pathEnv?: string;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (!(value instanceof Map)) for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A GitOps repo given as a local path becomes absolute; URLs stay as they are. */
function resolveRepo(repo: string, root: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^:]+:/.test(repo) || isAbsolute(repo)
    ? repo
    : resolve(root, repo);
}

export function resolveCluster(
  environment: ResolvedEnvironment | undefined,
  ctx: Pick<ResolveContext, 'globals' | 'kubeconfig' | 'state'>,
): ClusterTarget {
  const context =
    ctx.globals.kubeContext ?? environment?.kubeContext ?? ctx.state.context ?? ctx.kubeconfig.currentContext;
  const namespace =
    ctx.globals.namespace ??
    environment?.namespace ??
    ctx.state.namespace ??
    findContext(ctx.kubeconfig, context)?.namespace ??
    'default';
  return context === undefined ? { namespace } : { context, namespace };
}

export function resolveProject(config: KloopConfig, ctx: ResolveContext): Project {
  const { root } = ctx;
  const environments: Record<string, ResolvedEnvironment> = {};
  for (const [name, env] of Object.entries(config.environments ?? {})) {
    environments[name] = {
      ...env,
      name,
      ...(env.envFile ? { envFile: resolve(root, env.envFile) } : {}),
      ...(env.gitops ? { gitops: { ...env.gitops, repo: resolveRepo(env.gitops.repo, root) } } : {}),
    };
  }
  const environment = ctx.globals.env ? environments[ctx.globals.env] : undefined;
  const cluster = resolveCluster(environment, ctx);

  const images: Record<string, ResolvedImage> = {};
  for (const [name, image] of Object.entries(config.images ?? {})) {
    const context = resolve(root, image.context);
    images[name] = {
      ...image,
      name,
      context,
      dockerfile: image.dockerfile ? resolve(root, image.dockerfile) : join(context, 'Dockerfile'),
      buildArgs: Object.fromEntries(Object.entries(image.buildArgs ?? {}).map(([k, v]) => [k, String(v)])),
    };
  }

  const apps: Record<string, ResolvedApp> = {};
  for (const [name, app] of Object.entries(config.apps ?? {})) {
    const { helm, kustomize, manifests, dependsOn, namespace, ...rest } = app;
    apps[name] = {
      ...rest,
      wait: app.wait ?? true,
      timeout: app.timeout ?? '5m',
      name,
      namespace: namespace ?? cluster.namespace,
      ...(helm
        ? {
            helm: {
              chart: resolve(root, helm.chart),
              releaseName: helm.releaseName ?? name,
              values: (helm.values ?? []).map((v) => resolve(root, v)),
              set: helm.set ?? {},
              setString: helm.setString ?? {},
              includeCRDs: helm.includeCRDs ?? true,
              includeTests: helm.includeTests === true,
            },
          }
        : {}),
      ...(kustomize ? { kustomize: resolve(root, kustomize) } : {}),
      manifests: manifests ?? [],
      dependsOn: dependsOn ?? [],
    };
  }

  const dev: Record<string, ResolvedDevTarget> = {};
  for (const [name, target] of Object.entries(config.dev ?? {})) {
    dev[name] = { ...target, name, namespace: target.namespace ?? apps[target.app]?.namespace ?? cluster.namespace };
  }

  const hooks: Project['hooks'] = {};
  for (const [hook, value] of Object.entries(config.hooks ?? {})) {
    if (value !== undefined)
      (hooks as Record<string, readonly HookCommand[]>)[hook] = typeof value === 'string' ? [value] : value;
  }
  const commands: Record<string, { run: string; description?: string }> = {};
  for (const [name, c] of Object.entries(config.commands ?? {}))
    commands[name] = typeof c === 'string' ? { run: c } : c;

  const tool = (name: 'helm' | 'kubectl' | 'docker' | 'git') =>
    resolveTool(config.tools?.[name], name, root, ctx.pathEnv) ?? config.tools?.[name] ?? name;
  const kustomize = resolveTool(config.tools?.kustomize, 'kustomize', root, ctx.pathEnv);
  const build = { load: 'auto' as const, parallel: 2, ...config.build, ...environment?.build };

  const project: Project = {
    name: config.name,
    root,
    configFile: ctx.configFile,
    ...(environment ? { environment } : {}),
    environments,
    vars: ctx.vars,
    strictVars: ctx.input?.strictVars === true || config.strictVars === true,
    apiVersions: environment?.apiVersions ?? config.apiVersions ?? [],
    kubeVersion: environment?.kubeVersion ?? config.kubeVersion ?? DEFAULT_KUBE_VERSION,
    build,
    images,
    apps,
    // a dependency's path becomes absolute; git dependencies stay as written
    dependencies: Object.fromEntries(
      Object.entries(config.dependencies ?? {}).map(([n, d]) => [
        n,
        'path' in d ? { name: n, path: resolve(root, d.path) } : { name: n, ...d },
      ]),
    ),
    dev,
    hooks,
    commands,
    cluster,
    tools: {
      helm: tool('helm'),
      kubectl: tool('kubectl'),
      ...(kustomize ? { kustomize } : {}),
      docker: tool('docker'),
      git: tool('git'),
    },
    stateDir: join(root, '.kloop'),
    input: ctx.input ?? { cwd: root, vars: {}, ...ctx.globals },
  };
  return deepFreeze(project);
}
