// Builds the resolved Project of test/fixtures/render/shop by hand (what loadProject produces for
// its kloop.yaml), so render tests do not depend on config loading.
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Project, ResolvedApp, Variable } from '../../../src/config/project.ts';
import { which } from '../../../src/render/tools.ts';

export const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/render/shop');

export const DEFAULTS: Record<string, string> = {
  TITLE: 'Shop',
  NAMESPACE: 'shop-dev',
  REPLICAS: '1',
  LOG_LEVEL: 'info',
};

/** The fixture's variable values for an environment (defaults overlaid by its env file). */
export function variables(root: string, env?: string): Record<string, string> {
  const values = { ...DEFAULTS };
  if (env) {
    for (const line of readFileSync(path.join(root, 'envs', `${env}.env`), 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) values[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
    }
  }
  return values;
}

/** A private copy of the fixture (tests that write caches or break files use one). */
export function copyFixture(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-render-fixture-'));
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

type AppSpec = Omit<ResolvedApp, 'name' | 'namespace' | 'manifests' | 'dependsOn'> & {
  manifests?: string[];
};

export function makeProject(
  root: string,
  options: {
    env?: string;
    apps?: Record<string, AppSpec>;
    images?: boolean;
    extraVars?: Record<string, string>;
    secret?: string[];
  } = {},
): Project {
  const values = { ...variables(root, options.env), ...options.extraVars };
  const own = new Map<string, Variable>(
    Object.entries(values).map(([name, value]) => [
      name,
      { name, value, secret: options.secret?.includes(name) ?? false, source: 'default' as const },
    ]),
  );
  const ns = values.NAMESPACE!;
  const abs = (p: string) => path.join(root, p);
  const helm = (chart: string, extra: Partial<NonNullable<ResolvedApp['helm']>> = {}, release?: string) => ({
    chart: abs(chart),
    releaseName: release ?? path.basename(path.dirname(chart)),
    values: [],
    set: {},
    setString: {},
    includeCRDs: true,
    ...extra,
  });
  const apps: Record<string, AppSpec> = options.apps ?? {
    web: {
      helm: helm('deploy/web/chart', { values: [abs('deploy/web/values.yaml')], set: { replicas: values.REPLICAS! } }),
    },
    api: { kustomize: abs('deploy/api/overlay') },
    jobs: { manifests: ['deploy/jobs/*.yaml'] },
    platform: { manifests: ['deploy/platform/*.yaml'] },
    front: { helm: helm('deploy/front/chart'), kustomize: abs('deploy/front/kustomize') },
    lib: { helm: helm('deploy/lib/chart'), kustomize: abs('deploy/lib/kustomize') },
  };
  const image = (name: string) => ({
    name,
    image: `registry.example.com/shop/${name}`,
    context: abs(`src/${name}`),
    dockerfile: abs(`src/${name}/Dockerfile`),
    buildArgs: {},
    builder: 'docker' as const,
  });
  const environment = options.env ? { name: options.env, envFile: `envs/${options.env}.env` } : undefined;
  return Object.freeze({
    name: 'shop',
    root,
    configFile: abs('kloop.yaml'),
    environment,
    environments: {
      staging: { name: 'staging', envFile: 'envs/staging.env' },
      production: { name: 'production', envFile: 'envs/production.env' },
    },
    vars: { own, process: { ...process.env } },
    kubeVersion: '1.32.0',
    build: { load: 'none', parallel: 1 },
    images: options.images === false ? {} : { web: image('web'), api: image('api') },
    apps: Object.fromEntries(
      Object.entries(apps).map(([name, a]) => [
        name,
        { name, namespace: ns, dependsOn: [], ...a, manifests: a.manifests ?? [] } as ResolvedApp,
      ]),
    ),
    dependencies: {},
    dev: {},
    hooks: {},
    commands: {},
    cluster: { namespace: ns },
    tools: {
      helm: which('helm') ?? 'helm',
      kubectl: which('kubectl') ?? 'kubectl',
      docker: 'docker',
      git: which('git') ?? 'git',
    },
    stateDir: abs('.kloop'),
    input: { cwd: root, vars: {} },
  }) as Project;
}
