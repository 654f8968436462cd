// The resolved project: kloop.yaml + the selected environment + CLI flags, resolved once
// (paths absolute, variables substituted, defaults applied) and frozen. Every engine receives
// this object; none re-reads kloop.yaml, env files or process.env.
import type {
  AppConfig,
  DependencyConfig,
  DevTargetConfig,
  EnvironmentConfig,
  GitopsConfig,
  HookCommand,
  HookName,
  ImageConfig,
} from './schema.ts';

/** Where a variable's value came from, highest precedence first. */
export type VariableSource = 'flag' | 'process' | 'envFile' | 'default';

export interface Variable {
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
  readonly source: VariableSource;
  /** env file path when source is 'envFile' */
  readonly file?: string;
}

/**
 * The variables substitution sees. `own` are those kloop's own sources define (declared vars,
 * env files, --var): only they replace a bare `$VAR`. `${VAR}` also sees the process environment.
 */
export interface VariableSet {
  readonly own: ReadonlyMap<string, Variable>;
  /** process environment as captured at resolution (read-only snapshot) */
  readonly process: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedImage extends Readonly<Omit<ImageConfig, 'context' | 'dockerfile'>> {
  readonly name: string;
  /** absolute */
  readonly context: string;
  /** absolute */
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
}

export interface ResolvedApp
  extends Readonly<Omit<AppConfig, 'namespace' | 'helm' | 'kustomize' | 'manifests' | 'dependsOn'>> {
  readonly name: string;
  /** the app's namespace, else the selected namespace */
  readonly namespace: string;
  readonly helm?: {
    /** absolute */
    readonly chart: string;
    readonly releaseName: string;
    /** absolute paths */
    readonly values: readonly string[];
    readonly set: Readonly<Record<string, string | number | boolean>>;
    readonly setString: Readonly<Record<string, string>>;
    readonly includeCRDs: boolean;
    /** render the chart's test hooks (helm.sh/hook: test); left out by default */
    readonly includeTests?: boolean;
  };
  /** absolute */
  readonly kustomize?: string;
  /** globs, relative to the project root */
  readonly manifests: readonly string[];
  readonly dependsOn: readonly string[];
}

export type ResolvedDependency = { readonly name: string } & Readonly<DependencyConfig>;

export interface ResolvedDevTarget extends Readonly<DevTargetConfig> {
  readonly name: string;
  readonly namespace: string;
}

export interface ResolvedEnvironment extends Readonly<Omit<EnvironmentConfig, 'gitops'>> {
  readonly name: string;
  readonly gitops?: Readonly<GitopsConfig>;
}

export interface ClusterTarget {
  /** kube context: --kube-context, else the environment's kubeContext, else `kloop use context`, else the kubeconfig's current */
  readonly context?: string;
  /** --namespace, else the environment's, else `kloop use namespace`, else the context's, else "default" */
  readonly namespace: string;
}

export interface Tools {
  readonly helm: string;
  readonly kubectl: string;
  /** a standalone kustomize when configured or found; otherwise `kubectl kustomize` is used */
  readonly kustomize?: string;
  readonly docker: string;
  readonly git: string;
}

/** What loading a project takes from its caller: the CLI passes its global flags. */
export interface LoadInput {
  /** the directory the command runs in (kloop.yaml is searched upward from it) */
  cwd: string;
  /** a kloop.yaml path or its directory; default: searched upward from cwd */
  config?: string;
  /** the environment to resolve */
  env?: string;
  kubeContext?: string;
  namespace?: string;
  /** --var KEY=VALUE, in order */
  vars: Record<string, string>;
  /** --strict-vars: an undefined ${VAR} in a file render substitutes is an error */
  strictVars?: boolean;
}

export interface Project {
  readonly name: string;
  /** absolute directory of kloop.yaml */
  readonly root: string;
  /** absolute path of kloop.yaml */
  readonly configFile: string;
  /** the environment chosen with --env, if any */
  readonly environment?: ResolvedEnvironment;
  /** every environment (promote and diff name one) */
  readonly environments: Readonly<Record<string, ResolvedEnvironment>>;
  readonly vars: VariableSet;
  /** an undefined ${VAR} in a file render substitutes is an error (strictVars: true or --strict-vars) */
  readonly strictVars?: boolean;
  readonly kubeVersion: string;
  /** extra .Capabilities.APIVersions for helm (the environment's list, else the top-level one) */
  readonly apiVersions?: readonly string[];
  readonly build: { readonly load: 'auto' | 'none' | 'kind' | 'k3d' | 'minikube' | 'push'; readonly parallel: number };
  readonly images: Readonly<Record<string, ResolvedImage>>;
  readonly apps: Readonly<Record<string, ResolvedApp>>;
  readonly dependencies: Readonly<Record<string, ResolvedDependency>>;
  readonly dev: Readonly<Record<string, ResolvedDevTarget>>;
  /** a string runs locally with sh -c; {container} runs in a pod of the app */
  readonly hooks: Readonly<Partial<Record<HookName, readonly HookCommand[]>>>;
  readonly commands: Readonly<Record<string, { readonly run: string; readonly description?: string }>>;
  readonly cluster: ClusterTarget;
  readonly tools: Tools;
  /** directory for kloop's own state and caches: <root>/.kloop */
  readonly stateDir: string;
  /** what it was loaded with (dependency projects load with the same environment and flags) */
  readonly input: Readonly<LoadInput>;
}
