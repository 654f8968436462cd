// The one schema of kloop.yaml v1: it validates the file, gives the TypeScript types
// (`KloopConfig` and friends) and is exported as the published JSON Schema (schema/kloop.schema.json).
// Descriptions here are what editors show and what docs/config.md is generated from.
import { z } from 'zod';

const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label: lower case letters, digits and "-"')
  .max(53);

const stringList = z.array(z.string());
const scalar = z.union([z.string(), z.number(), z.boolean()]);

// a number or boolean where a variable value is expected is taken as its text (REPLICAS: 3)
const varValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const varSpecSchema = z.union([
  varValue.describe('shorthand for { default: <value> }'),
  z.strictObject({
    default: varValue.optional().describe('value when no other source defines the variable'),
    required: z.boolean().optional().describe('an error when no source defines it'),
    secret: z.boolean().optional().describe('redacted in every output; never written to GitOps output'),
    description: z.string().optional().describe('what the variable is for'),
  }),
]);

export const imageSchema = z.strictObject({
  image: z
    .string()
    .regex(/^[^@\s]+$/, 'must be a repository without a digest')
    .refine((s) => s.includes('@') || !/:[^/]+$/.test(s), 'must be a repository without a tag: kloop computes the tag')
    .describe('repository, no tag: kloop computes the tag from the build inputs'),
  context: z.string().default('.').describe('build context directory, relative to kloop.yaml'),
  dockerfile: z.string().optional().describe('default: <context>/Dockerfile'),
  buildArgs: z.record(z.string(), scalar).optional().describe('build arguments; part of the tag'),
  target: z.string().optional().describe('multi-stage build target'),
  platform: z.string().optional().describe('e.g. linux/amd64'),
  builder: z
    .enum(['docker', 'buildah', 'podman', 'custom'])
    .default('docker')
    .describe('the tool that builds the image'),
  pin: z
    .enum(['tag', 'digest'])
    .optional()
    .describe(
      'how rendered manifests name the image: tag (repo:tag, the default) or digest (repo:tag@sha256:…, the digest the registry serves for the tag; render and promote fail when the registry lacks it)',
    ),
  custom: z
    .strictObject({
      command: z.string().describe('run with IMAGE, TAG, CONTEXT in its environment; must produce IMAGE'),
      inputs: stringList.optional().describe('globs whose content makes the tag (default: the whole context)'),
    })
    .optional()
    .describe('for builder: custom (Jib, ko, Bazel, Buildpacks ...)'),
});

export const helmSchema = z.strictObject({
  chart: z.string().describe('local chart directory'),
  releaseName: z.string().optional().describe('default: the app name'),
  values: stringList.optional().describe('values files; ${VAR} substituted in a copy, the source is never modified'),
  set: z.record(z.string(), scalar).optional().describe('--set values'),
  setString: z.record(z.string(), z.string()).optional().describe('--set-string values'),
  includeCRDs: z.boolean().optional().describe('render the chart crds/ directory (default true)'),
  includeTests: z
    .boolean()
    .optional()
    .describe(
      'render the chart test hooks (helm.sh/hook: test); default false, as Argo CD and helm template --skip-tests',
    ),
});

export const appSchema = z
  .strictObject({
    namespace: z.string().optional().describe('default: the selected namespace'),
    helm: helmSchema.optional().describe('render a local Helm chart'),
    kustomize: z
      .string()
      .optional()
      .describe('kustomization directory; together with helm, the helm output becomes one of its resources'),
    manifests: stringList.optional().describe('plain manifest files (globs)'),
    dependsOn: z.array(z.string()).optional().describe('apps deployed (and ready) before this one'),
    wait: z.boolean().optional().describe('wait for readiness after deploy (default true)'),
    timeout: z
      .string()
      .regex(/^\d+(ms|s|m|h)$/, 'must be a duration like 90s or 5m')
      .optional()
      .describe('readiness timeout (default 5m)'),
  })
  .refine((a) => a.helm || a.kustomize || a.manifests, {
    message: 'an app needs at least one of helm, kustomize or manifests',
  });

export const dependencySchema = z.union([
  z.strictObject({ path: z.string().describe('a directory holding another kloop.yaml') }),
  z.strictObject({
    git: z.string().describe('git URL of another kloop project'),
    ref: z.string().default('HEAD').describe('branch, tag or commit'),
    subPath: z.string().optional().describe('directory of its kloop.yaml inside the repository'),
  }),
]);

export const syncSchema = z.strictObject({
  from: z.string().describe('local directory, relative to kloop.yaml'),
  to: z.string().describe('absolute directory in the container'),
  exclude: stringList.optional().describe('gitignore-style patterns'),
  download: z.boolean().optional().describe('also sync changes made in the container back (default false)'),
});

const portSpec = z.union([
  z.number().int().min(1).max(65535),
  z.string().regex(/^(\d{1,5})(:\d{1,5})?$/, 'must be "local:remote" or a port number'),
]);

export const devTargetSchema = z
  .strictObject({
    app: z.string().describe('the app whose objects hold the workload'),
    workload: z
      .string()
      .regex(/^[a-zA-Z]+\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be kind/name, e.g. deployment/web')
      .optional()
      .describe('the workload whose pod is used, kind/name'),
    labelSelector: z.record(z.string(), z.string()).optional().describe('pick the pod by labels instead of workload'),
    container: z.string().optional().describe('default: the only container, else an error listing them'),
    namespace: z.string().optional().describe("default: the app's namespace"),
    sync: z.array(syncSchema).optional().describe('directories kept in sync with the container'),
    onSync: z
      .union([z.literal('restart'), z.strictObject({ exec: z.string() })])
      .optional()
      .describe('restart the main process, or run a command after each applied batch'),
    rebuild: stringList.optional().describe('globs that trigger build + redeploy instead of sync'),
    patch: z
      .strictObject({
        image: z.string().optional(),
        command: stringList.optional(),
        args: stringList.optional(),
        env: z.record(z.string(), z.string()).optional().describe('merged by name into the container env'),
        workingDir: z.string().optional(),
      })
      .optional()
      .describe('what the session changes in the container while it runs; restored on exit, after a crash, by purge'),
    ports: z.array(portSpec).optional().describe('port-forwards, "local:remote"'),
    open: z.string().optional().describe('URL opened once the target is ready'),
    debug: z
      .strictObject({
        runtime: z
          .enum(['node', 'python', 'go', 'jvm', 'dotnet'])
          .optional()
          .describe("default: detected from the container's command and environment"),
        port: z
          .number()
          .int()
          .min(1)
          .max(65535)
          .optional()
          .describe(
            'debugger port in the container, forwarded to the same local port (node 9229, python 5678, go 2345, jvm 5005)',
          ),
        wait: z
          .boolean()
          .optional()
          .describe('start paused until a debugger attaches (--inspect-brk, --wait-for-client, suspend=y)'),
      })
      .optional()
      .describe(
        'kloop dev --debug: the process starts under its debugger, the port is forwarded, .vscode/launch.json gets an attach entry',
      ),
    gitops: z
      .strictObject({
        pause: z
          .enum(['auto', 'never', 'ask'])
          .optional()
          .describe(
            'auto (default): pause the Flux/Argo CD object that reconciles what the session changes, and give it back after; never: warn only; ask: ask on the terminal',
          ),
        argocdNamespace: z.string().optional().describe("where Argo CD's Applications live (default argocd)"),
        argocdPause: z
          .enum(['selfHeal', 'skipReconcile'])
          .optional()
          .describe(
            'Argo CD: turn self-heal off on the Application (default), or set argocd.argoproj.io/skip-reconcile on it',
          ),
      })
      .optional()
      .describe('when Flux or Argo CD keeps the workload in sync with Git (docs/gitops-managed-clusters.md)'),
  })
  .refine((t) => !(t.workload && t.labelSelector), { message: 'use workload or labelSelector, not both' });

export const hookNames = [
  'beforeBuild',
  'afterBuild',
  'beforeRender',
  'afterRender',
  'beforeDeploy',
  'afterDeploy',
  'beforePurge',
  'afterPurge',
  'beforeDev',
] as const;

export const containerHookSchema = z.strictObject({
  container: z
    .strictObject({
      app: z.string().describe('the app whose pods run the command'),
      workload: z
        .string()
        .regex(/^[a-zA-Z]+\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be kind/name, e.g. deployment/web')
        .optional(),
      labelSelector: z.record(z.string(), z.string()).optional(),
      container: z.string().optional().describe('default: the only container'),
      command: z.union([z.string(), stringList]).describe('a string runs with sh -c; a list runs as it is'),
    })
    .refine((c) => c.workload || c.labelSelector, { message: 'name the pods with workload or labelSelector' }),
});
const hookCommand = z.union([z.string(), containerHookSchema]);
const hookList = z.union([z.string(), z.array(hookCommand)]);
export const hooksSchema = z.strictObject(
  Object.fromEntries(
    hookNames.map((h) => [
      h,
      hookList
        .optional()
        .describe(
          `command(s) run ${h.replace(/[A-Z].*/, '')} ${h.replace(/^[a-z]+/, '').toLowerCase()}: local (sh -c) or {container: ...} in a pod`,
        ),
    ]),
  ) as Record<(typeof hookNames)[number], z.ZodOptional<typeof hookList>>,
);

export const commandSchema = z.union([
  z.string(),
  z.strictObject({
    run: z.string().describe('shell command, run with sh -c'),
    description: z.string().optional().describe('what the command does'),
  }),
]);

export const gitopsSchema = z.strictObject({
  repo: z.string().describe('URL or local path of the GitOps repository'),
  branch: z.string().default('main').describe('base branch the pull request targets'),
  path: z.string().describe('where rendered files go; placeholders {env} {app} {namespace} {project}'),
  provider: z
    .enum(['github', 'gitlab', 'azure', 'gitea', 'bitbucket', 'local'])
    .optional()
    .describe('default: detected from the URL'),
  apiUrl: z.string().optional().describe('forge API base URL (GitHub Enterprise, self-hosted GitLab/Gitea)'),
  labels: stringList.optional().describe('labels put on the pull request'),
  reviewers: stringList.optional().describe('reviewers requested on the pull request'),
});

export const buildSettingsSchema = z.strictObject({
  load: z
    .enum(['auto', 'none', 'kind', 'k3d', 'minikube', 'push'])
    .default('auto')
    .describe('how built images reach the cluster; auto decides from the kube context'),
  parallel: z.number().int().min(1).max(32).default(2).describe('images built at once'),
});

export const environmentSchema = z.strictObject({
  envFile: z.string().optional().describe('committed, non-secret values of this environment'),
  kubeContext: z.string().optional().describe('kube context used with --env (--kube-context overrides it)'),
  namespace: z.string().optional().describe('namespace used with --env (-n overrides it)'),
  kubeVersion: z
    .string()
    .optional()
    .describe('Kubernetes version to render and validate for (deploy and dev use the cluster’s own)'),
  apiVersions: stringList
    .optional()
    .describe(
      'API versions the chart sees in .Capabilities.APIVersions besides the built-in ones (helm --api-versions), e.g. monitoring.coreos.com/v1/ServiceMonitor; deploy and dev add them to what the cluster serves; default: the top-level list',
    ),
  build: buildSettingsSchema.partial().optional().describe('build settings for this environment'),
  gitops: gitopsSchema.optional().describe('where promote writes rendered manifests'),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional().describe('JSON Schema of this file, for editors'),
  version: z.literal('v1').describe('the kloop.yaml format version'),
  name: name.describe('project name: labels, inventory, branch names'),
  envFile: z.string().default('.env').describe('local values for the inner loop (gitignored)'),
  vars: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), varSpecSchema)
    .optional()
    .describe('declared variables: a default, required, secret'),
  strictVars: z
    .boolean()
    .optional()
    .describe(
      'an undefined ${VAR} in a file render substitutes is an error (default: left as written, with a warning when it resembles a declared variable; --strict-vars)',
    ),
  kubeVersion: z
    .string()
    .optional()
    .describe('Kubernetes version to render and validate for (default 1.32; deploy and dev use the cluster’s own)'),
  apiVersions: stringList
    .optional()
    .describe(
      'API versions the chart sees in .Capabilities.APIVersions besides the built-in ones (helm --api-versions), e.g. monitoring.coreos.com/v1/ServiceMonitor; deploy and dev add them to what the cluster serves',
    ),
  build: buildSettingsSchema.optional().describe('how images are built and reach the cluster'),
  tools: z
    .strictObject({
      helm: z.string().optional(),
      kubectl: z.string().optional(),
      kustomize: z.string().optional(),
      docker: z.string().optional(),
      git: z.string().optional(),
    })
    .optional()
    .describe('paths of the tools kloop runs (default: found on PATH)'),
  images: z.record(name, imageSchema).optional().describe('images kloop builds, by name'),
  apps: z.record(name, appSchema).optional().describe('deployable units; each renders to its own set of objects'),
  dependencies: z.record(name, dependencySchema).optional().describe('other kloop projects, deployed before this one'),
  dev: z.record(name, devTargetSchema).optional().describe('dev targets: one container of one workload each'),
  hooks: hooksSchema.optional().describe('shell commands run around build, render, deploy, purge and dev'),
  commands: z
    .record(z.string().regex(/^[a-zA-Z0-9][-a-zA-Z0-9_:]*$/, 'must be a command name'), commandSchema)
    .optional()
    .describe('custom commands for kloop run <name>'),
  environments: z.record(name, environmentSchema).optional().describe('targets of the outer loop: --env <name>'),
});

export type KloopConfig = z.output<typeof configSchema>;
export type ImageConfig = z.output<typeof imageSchema>;
export type AppConfig = z.output<typeof appSchema>;
export type HelmConfig = z.output<typeof helmSchema>;
export type DependencyConfig = z.output<typeof dependencySchema>;
export type DevTargetConfig = z.output<typeof devTargetSchema>;
export type SyncConfig = z.output<typeof syncSchema>;
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type GitopsConfig = z.output<typeof gitopsSchema>;
export type HookName = (typeof hookNames)[number];
export type HookCommand = z.output<typeof hookCommand>;
export type ContainerHook = z.output<typeof containerHookSchema>;
export type VarSpec = z.output<typeof varSpecSchema>;
