// skaffold.yaml (skaffold/v2beta*, v3*, v4beta*; several configs in one file that `requires`
// each other) → a kloop draft.
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { HookName } from '../config/schema.ts';
import { KloopError } from '../errors.ts';
import { type Draft, repositoryOf, shellLine, toName, uniqueKey } from './draft.ts';
import { fromBase, isDir, posix } from './paths.ts';
import { appNameFor } from './scan.ts';
import { type Node, Source } from './source.ts';

export function convertSkaffold(root: string, file: string, docs: unknown[], draft: Draft): Source[] {
  const base = dirname(file) === '.' ? '.' : dirname(file);
  const sources: Source[] = [];
  // config name → its apps, for requires: between configs of this file
  const appsOf = new Map<string, string[]>();
  const requiresOf = new Map<string, Node>();
  docs.forEach((doc, i) => {
    const meta = (doc as { metadata?: { name?: unknown } } | null)?.metadata;
    const label = docs.length > 1 ? `config ${typeof meta?.name === 'string' ? meta.name : i + 1}: ` : '';
    const src = new Source(file, doc, label);
    sources.push(src);
    const top = src.root();
    const api = top.str('apiVersion') ?? '';
    if (!/^skaffold\/v(2beta\d+|3(alpha\d+)?|4beta\d+)$/.test(api))
      throw new KloopError(
        `${file}${label ? ` (${label.slice(0, -2)})` : ''}: apiVersion "${api}" is not supported by kloop init`,
        {
          hint: 'kloop init converts skaffold/v2beta*, skaffold/v3 and skaffold/v4beta* (`skaffold fix` upgrades older files)',
        },
      );
    top.at('kind').take();
    // `.common: &common` holds anchors for the rest of the file, nothing of its own
    for (const [k, n] of top.entries()) if (k.startsWith('.')) n.take();
    const name = top.at('metadata').str('name') ?? `config-${i + 1}`;
    if (docs.length === 1 && top.at('metadata').has('name')) draft.name = toName(name);
    top.at('metadata').at('labels').take();
    top.at('metadata').at('annotations').take();
    const c = new Convert(root, base, src, draft);
    const before = new Set(Object.keys(draft.apps));
    c.build(top.at('build'));
    c.manifests(top.at('manifests'), name);
    c.deploy(top.at('deploy'), name);
    c.portForward(top.at('portForward'));
    c.profiles(top.at('profiles'));
    top.at('test').skip('kloop does not run container structure tests');
    top.at('verify').skip('kloop has no verify step: run the check as an afterDeploy hook');
    top.at('customActions').skip('custom actions have no kloop equivalent: use commands:');
    appsOf.set(
      name,
      Object.keys(draft.apps).filter((a) => !before.has(a)),
    );
    requiresOf.set(name, top.at('requires'));
  });
  for (const [name, requires] of requiresOf) {
    for (const r of requires.items()) {
      const configs = r.strings('configs') ?? [];
      const path = r.str('path');
      const git = r.at('git');
      r.at('activeProfiles').skip(
        "kloop projects have no profiles to activate: pick the dependency's environment there",
      );
      if (path) {
        const dir = fromBase(base, path.endsWith('.yaml') || path.endsWith('.yml') ? dirname(path) : path);
        if (!isDir(root, dir)) {
          r.skip(`${path} does not exist here: clone it beside this project and add it under dependencies:`);
          continue;
        }
        const dep = uniqueKey(toName(configs[0] ?? basename(resolve(root, dir))), draft.dependencies);
        draft.dependencies[dep] = { path: dir };
        r.at('path').take();
      } else if (git.has('repo')) {
        const dep = uniqueKey(
          toName(configs[0] ?? basename(git.str('repo') ?? 'dep').replace(/\.git$/, '')),
          draft.dependencies,
        );
        const ref = git.str('ref');
        const sub = git.str('path');
        draft.dependencies[dep] = {
          git: git.str('repo'),
          ...(ref ? { ref } : {}),
          ...(sub ? { subPath: dirname(sub) === '.' || sub.endsWith('/') ? sub : dirname(sub) } : {}),
        };
        git.at('sync').take();
        r.note('the dependency needs a kloop.yaml of its own: run `kloop init` in it too');
      } else {
        // configs of this same file: their apps are deployed (and ready) first
        const mine = appsOf.get(name) ?? [];
        const theirs = configs.flatMap((c) => appsOf.get(c) ?? []);
        const unknown = configs.filter((c) => !appsOf.has(c));
        if (unknown.length) r.note(`no config named ${unknown.join(', ')} in this file`);
        for (const a of mine) {
          const app = draft.apps[a] as { dependsOn?: string[] };
          app.dependsOn = [...new Set([...(app.dependsOn ?? []), ...theirs])];
        }
      }
    }
  }
  draft.sources.push(file);
  draft.namesManifests ||= Object.keys(draft.apps).length > 0;
  return sources;
}

class Convert {
  readonly root: string;
  readonly base: string;
  readonly src: Source;
  readonly draft: Draft;
  constructor(root: string, base: string, src: Source, draft: Draft) {
    this.root = root;
    this.base = base;
    this.src = src;
    this.draft = draft;
  }

  path(p: string, from = this.base): string {
    return fromBase(from, p);
  }

  hostHooks(node: Node, before: HookName, after: HookName, what: string): void {
    for (const [phase, hook] of [
      ['before', before],
      ['after', after],
    ] as const) {
      for (const h of node.at(phase).items()) {
        const host = h.has('host') ? h.at('host') : h;
        if (h.has('container')) {
          h.skip(
            'a container hook of skaffold names pods by name pattern: add it as a {container: ...} hook with the workload',
          );
          continue;
        }
        const argv = host.strings('command');
        if (!argv?.length) continue;
        const dir = host.str('dir');
        host.at('os').take();
        const command = `${dir ? `cd ${shellLine([dir])} && ` : ''}${argv.length === 3 && /^(ba)?sh$/.test(argv[0] ?? '') && argv[1] === '-c' ? argv[2] : shellLine(argv)}`;
        this.draft.hooks.push({ hook, command, origin: h.where });
        if (what)
          h.note(
            `runs around every ${what} (skaffold ran it for ${what === 'build' ? 'this artifact' : 'this deployer'} only)`,
          );
      }
    }
  }

  build(build: Node): void {
    for (const a of build.at('artifacts').items()) {
      const image = a.str('image');
      if (!image) continue;
      const name = uniqueKey(toName(basename(repositoryOf(image))), this.draft.images);
      const context = this.path(a.str('context') ?? '.');
      const out: Record<string, unknown> = { image: repositoryOf(image), context };
      const docker = a.at('docker');
      const dockerfile = fromBase(context, docker.str('dockerfile') ?? 'Dockerfile');
      if (dockerfile !== fromBase(context, 'Dockerfile')) out.dockerfile = dockerfile;
      const target = docker.str('target');
      if (target) out.target = target;
      const args = docker.raw('buildArgs');
      if (args && typeof args === 'object') out.buildArgs = args;
      const custom = a.at('custom');
      if (custom.has('buildCommand')) {
        out.builder = 'custom';
        const paths = custom.at('dependencies').strings('paths');
        out.custom = {
          command: custom.str('buildCommand'),
          // inputs are globs inside the context, as skaffold's dependency paths are
          ...(paths?.length ? { inputs: paths } : {}),
        };
        custom.at('dependencies').at('ignore').skip('kloop hashes the inputs globs; ignored paths are not converted');
      }
      for (const k of ['jib', 'bazel', 'ko', 'buildpacks', 'kaniko'])
        a.at(k).skip(`${k} builds are not converted: use builder: custom with the command that runs ${k}`);
      this.hostHooks(a.at('hooks'), 'beforeBuild', 'afterBuild', 'build');
      const syncHooks = a.at('hooks').at('sync');
      for (const h of syncHooks.at('after').items()) {
        const cmd = h.at('container').strings('command');
        if (cmd?.length) {
          const intent = this.intent(name);
          intent.onSync = { exec: cmd.length === 3 && cmd[1] === '-c' ? (cmd[2] ?? '') : shellLine(cmd) };
        } else h.skip('a host hook after sync has no kloop equivalent');
      }
      syncHooks.at('before').skip('kloop runs commands after a sync (onSync), not before');
      this.sync(a.at('sync'), name, context, dockerfile);
      a.at('platforms').take();
      a.at('requires').skip(
        'artifact dependencies (FROM another artifact) are not converted: kloop builds images independently',
      );
      this.draft.images[name] = out;
    }
    build.at('tagPolicy').skip('kloop computes the tag from the build inputs (a content hash)');
    build.at('local').skip('how images reach the cluster is build.load in kloop (auto, kind, k3d, minikube, push)');
    build.at('platforms').take();
    for (const k of ['googleCloudBuild', 'cluster'])
      build.at(k).skip('remote builders are not converted: kloop builds locally');
    build.at('insecureRegistries').skip('configure insecure registries in Docker');
  }

  intent(image: string) {
    let d = this.draft.dev.find((x) => x.select.image === image);
    if (!d) {
      d = { select: { image }, origin: `build.artifacts (${image})`, name: image };
      this.draft.dev.push(d);
    }
    return d;
  }

  sync(sync: Node, image: string, context: string, dockerfile: string): void {
    for (const m of sync.at('manual').items()) {
      const srcGlob = m.str('src') ?? '';
      const dest = m.str('dest') ?? '.';
      const strip = (m.str('strip') ?? '').replace(/\/$/, '');
      const parts = srcGlob.split('/');
      const fixed: string[] = [];
      for (const p of parts) {
        if (/[*?[{]/.test(p)) break;
        fixed.push(p);
      }
      const rest = parts.slice(fixed.length).join('/');
      // a file name without a glob syncs its directory
      const dir = fixed.length === parts.length ? fixed.slice(0, -1).join('/') : fixed.join('/');
      let sub = dir;
      if (strip && (sub === strip || sub.startsWith(`${strip}/`))) sub = sub.slice(strip.length).replace(/^\//, '');
      if (!dest.startsWith('/')) {
        m.skip(
          `the destination ${dest} is relative to the container's working directory: kloop needs an absolute path`,
        );
        continue;
      }
      const to = sub ? `${dest.replace(/\/$/, '')}/${sub}` : dest;
      const d = this.intent(image);
      d.sync = [...(d.sync ?? []), { from: fromBase(context, dir || '.'), to }];
      if (rest && rest !== '**' && rest !== '**/*')
        m.note(
          `the whole directory ${fromBase(context, dir || '.')} is synced; skaffold synced only files matching ${srcGlob}`,
        );
    }
    const infer = sync.strings('infer');
    if (infer?.length) {
      const copies = dockerfileCopies(resolve(this.root, dockerfile), resolve(this.root, context));
      if (!copies.length)
        sync.at('infer').skip(`no COPY/ADD of a directory found in ${dockerfile} to infer the sync from`);
      for (const c of copies) {
        const d = this.intent(image);
        d.sync = [...(d.sync ?? []), { from: fromBase(context, c.from), to: c.to }];
      }
      if (copies.length && !infer.every((g) => g === '**' || g === '**/*'))
        this.src.note(
          [...sync.path, 'infer'],
          `the whole COPY source is synced; skaffold synced only files matching ${infer.join(', ')}`,
        );
    }
    sync.at('auto').skip('automatic sync (Jib, Buildpacks) is not converted: add sync: entries');
  }

  manifests(m: Node, config: string): void {
    const raw = (m.strings('rawYaml') ?? []).map((p) => this.path(p));
    if (raw.length) this.app(config, { manifests: raw });
    for (const p of m.at('kustomize').strings('paths') ?? [])
      this.app(appNameFor(this.path(p), config), { kustomize: this.path(p) });
    m.at('kustomize').at('buildArgs').skip('extra kustomize build arguments are not converted');
    this.helm(m.at('helm'));
    this.hostHooks(m.at('hooks'), 'beforeRender', 'afterRender', '');
    m.at('transform').skip('kpt transforms are not converted');
    m.at('validate').skip('kpt validators are not converted (kloop validates against the Kubernetes schemas)');
    m.at('kpt').skip('kpt manifests are not converted');
  }

  app(name: string, spec: Record<string, unknown>): string {
    const key = uniqueKey(toName(name), this.draft.apps);
    this.draft.apps[key] = spec;
    return key;
  }

  helm(helm: Node): void {
    for (const r of helm.at('releases').items()) {
      const name = r.str('name') ?? 'release';
      const chartPath = r.str('chartPath');
      const chart = chartPath ? this.path(chartPath) : undefined;
      if (!chart || !isDir(this.root, chart)) {
        r.skip(
          `the chart ${r.at('remoteChart').value ?? chartPath ?? '(none)'} is not a local directory: \`helm pull --untar\` it into the repository and point helm.chart at it`,
        );
        continue;
      }
      const spec: Record<string, unknown> = { chart };
      if (toName(name) !== name) spec.releaseName = name;
      const values = (r.strings('valuesFiles') ?? []).map((p) => this.path(p));
      if (values.length) spec.values = values;
      const set: Record<string, unknown> = {};
      for (const [k, v] of r.at('setValues').entries()) set[k] = v.take();
      const setString: Record<string, string> = {};
      for (const [k, v] of r.at('artifactOverrides').entries()) setString[k] = repositoryOf(String(v.take()));
      for (const [k, v] of r.at('setValueTemplates').entries()) {
        const t = String(v.value);
        const m = /^\{\{\s*\.IMAGE_(REPO|FULLY_QUALIFIED|TAG|DOMAIN|REPO_NO_DOMAIN)_(\w+)\s*\}\}$/.exec(t);
        const image = m && this.imageByKey(m[2] ?? '');
        if (!m || !image) {
          v.skip('a template value that is not one image field is not converted');
          continue;
        }
        v.take();
        // the built reference is wired into the rendered objects by repository, so a placeholder tag is enough
        setString[k] =
          m[1] === 'TAG'
            ? 'kloop'
            : m[1] === 'DOMAIN'
              ? (image.split('/')[0] ?? '')
              : m[1] === 'REPO_NO_DOMAIN'
                ? image.split('/').slice(1).join('/')
                : image;
      }
      if (Object.keys(set).length) spec.set = set;
      if (Object.keys(setString).length) spec.setString = setString;
      const namespace = r.str('namespace');
      // deploy-time switches with no effect on what is rendered
      for (const k of [
        'wait',
        'upgradeOnChange',
        'skipBuildDependencies',
        'imageStrategy',
        'recreatePods',
        'skipTests',
      ])
        r.at(k).take();
      r.at('createNamespace').skip('kloop does not create the release namespace: add a Namespace object to the app');
      r.at('overrides').skip('inline values overrides are not converted: put them in a values file');
      r.at('setFiles').skip('--set-file values are not converted');
      this.app(name, { ...(namespace ? { namespace } : {}), helm: spec });
    }
    helm.at('flags').skip('extra helm flags are not converted');
    this.hostHooks(helm.at('hooks'), 'beforeDeploy', 'afterDeploy', 'deploy');
  }

  imageByKey(key: string): string | undefined {
    for (const spec of Object.values(this.draft.images)) {
      const image = String(spec.image);
      if (image.replace(/[^A-Za-z0-9]/g, '_') === key || basename(image) === key) return image;
    }
    return undefined;
  }

  deploy(deploy: Node, config: string): void {
    const kubectl = deploy.at('kubectl');
    // `kubectl: {}` only says "apply with kubectl", which is what kloop does
    if (kubectl.isMap && Object.keys(kubectl.value as object).length === 0) kubectl.take();
    const namespace = kubectl.str('defaultNamespace');
    const raw = (kubectl.strings('manifests') ?? []).map((p) => this.path(p));
    if (raw.length) this.app(config, { ...(namespace ? { namespace } : {}), manifests: raw });
    else if (namespace) for (const a of Object.values(this.draft.apps)) a.namespace ??= namespace;
    kubectl.at('remoteManifests').skip('manifests fetched from the cluster are not converted');
    kubectl.at('flags').skip('extra kubectl flags are not converted: kloop applies with server-side apply');
    this.hostHooks(kubectl.at('hooks'), 'beforeDeploy', 'afterDeploy', 'deploy');
    const kustomize = deploy.at('kustomize');
    for (const p of kustomize.strings('paths') ?? [])
      this.app(appNameFor(this.path(p), config), { kustomize: this.path(p) });
    kustomize.at('buildArgs').skip('extra kustomize build arguments are not converted');
    this.hostHooks(kustomize.at('hooks'), 'beforeDeploy', 'afterDeploy', 'deploy');
    this.helm(deploy.at('helm'));
    deploy.at('kubeContext').skip('pick the context with `kloop use context` (or environments.<env>.kubeContext)');
    for (const k of ['statusCheck', 'statusCheckDeadlineSeconds', 'tolerateFailuresUntilDeadline', 'logs'])
      deploy.at(k).take();
    for (const k of ['kpt', 'docker', 'cloudrun']) deploy.at(k).skip(`the ${k} deployer is not converted`);
  }

  portForward(pf: Node): void {
    for (const p of pf.items()) {
      const type = (p.str('resourceType') ?? '').toLowerCase();
      const resourceName = p.str('resourceName');
      const port = p.num('port');
      if (!resourceName || !port || !type) {
        p.skip('a port-forward needs resourceType, resourceName and a numeric port');
        continue;
      }
      const local = p.num('localPort') ?? port;
      p.at('namespace').take();
      p.at('address').take();
      const resource = `${type}/${resourceName}`;
      let d = this.draft.dev.find((x) => x.select.resource === resource);
      if (!d) {
        d = { select: { resource }, origin: p.where, name: resourceName };
        this.draft.dev.push(d);
      }
      d.ports = [...(d.ports ?? []), { local, remote: port }];
    }
  }

  profiles(node: Node): void {
    for (const p of node.items()) {
      const name = p.str('name');
      if (!name) continue;
      const key = uniqueKey(toName(name), this.draft.environments);
      const env: Record<string, unknown> = {};
      this.draft.environments[key] = env;
      for (const a of p.at('activation').items()) {
        const ctx = a.str('kubeContext');
        if (ctx && /^[-\w.@:]+$/.test(ctx) && !env.kubeContext) env.kubeContext = ctx;
        else a.at('kubeContext').skip('a context pattern cannot be a kloop kubeContext');
        a.at('env').skip(`kloop environments are chosen with --env ${key}, never activated by an environment variable`);
        a.at('command').skip(`kloop environments are chosen with --env ${key}, never activated by a command`);
      }
      p.at('requiresAllActivations').take();
      const ctx = p.at('deploy').str('kubeContext');
      if (ctx) env.kubeContext = ctx;
      const why = `kloop environments choose a kube context, namespace and values file for --env ${key}; they do not change images, apps or dev targets`;
      p.at('patches')
        .items()
        .forEach((patch) => {
          const path = String(patch.at('path').value ?? '');
          if (/^\/deploy\/kubeContext$/.test(path) && typeof patch.at('value').value === 'string') {
            env.kubeContext = patch.at('value').take();
            patch.take();
          } else patch.skip(`${why}: ${JSON.stringify(patch.value)}`);
        });
      for (const [k, n] of p.at('deploy').entries())
        if (k !== 'kubeContext') n.skip(`${why}: ${JSON.stringify({ [k]: n.value })}`);
      for (const k of ['build', 'manifests', 'portForward', 'test', 'verify'])
        p.at(k).skip(`${why}: ${JSON.stringify(p.at(k).value)}`);
    }
  }
}

/** The directories a Dockerfile's last stage copies from its context: COPY/ADD <dir> <dest>. */
export function dockerfileCopies(file: string, context: string): { from: string; to: string }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  let out: { from: string; to: string }[] = [];
  let workdir = '/';
  for (const line of lines) {
    const m = /^\s*(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = (m[1] ?? '').toUpperCase();
    const rest = (m[2] ?? '').trim();
    if (op === 'FROM') {
      out = [];
      workdir = '/';
    } else if (op === 'WORKDIR') workdir = rest.startsWith('/') ? rest : join(workdir, rest);
    else if (op === 'COPY' || op === 'ADD') {
      let args: string[];
      try {
        args = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
      } catch {
        continue;
      }
      if (args.some((a) => a.startsWith('--from'))) continue;
      args = args.filter((a) => !a.startsWith('--'));
      const dest = args.pop();
      if (!dest) continue;
      const to = dest.startsWith('/') ? dest : posix(join(workdir, dest));
      for (const a of args) {
        if (/[*?]/.test(a) || !isDir(context, a)) continue;
        out.push({ from: a, to: to.replace(/\/$/, '') || '/' });
      }
    }
  }
  return out;
}
